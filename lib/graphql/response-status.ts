import Negotiator from 'negotiator';
import { ErrorCode } from './errors';

/*
 * Status codes as the GraphQL over HTTP specification gives them. A client that accepts
 * `application/graphql-response+json` gets 4xx for a request that never ran (a document that
 * does not parse or validate, variables that do not fit, limits); one that accepts
 * `application/json` only (legacy clients) gets 200 with the same `errors`, as it expects.
 * Refusals of the HTTP request itself (authentication, body size, batching, CSRF) keep their
 * status either way.
 */

export const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json';
const MEDIA_TYPES = ['application/json', GRAPHQL_RESPONSE_TYPE];

/** Codes of a GraphQL request that was well-formed HTTP but did not run. */
const REQUEST_ERROR_CODES = new Set<string>(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', ErrorCode.BAD_USER_INPUT, ErrorCode.QUERY_TOO_COMPLEX, 'OPERATION_RESOLUTION_FAILURE']);

/** Whether the client prefers the GraphQL response media type (no Accept, or *\/*: plain JSON). */
export function prefersGraphQLResponse(accept: string | undefined): boolean {
  return new Negotiator({ headers: { accept: accept ?? 'application/json' } }).mediaType(MEDIA_TYPES) === GRAPHQL_RESPONSE_TYPE;
}

/** A 400 answer whose errors all say the GraphQL request did not run (and which has no data). */
export function isRequestError(status: number, body: string): boolean {
  if (status !== 400) return false;
  try {
    const parsed = JSON.parse(body) as { data?: unknown; errors?: Array<{ extensions?: { code?: unknown } }> };
    return parsed.data === undefined && Array.isArray(parsed.errors) && parsed.errors.length > 0 && parsed.errors.every((e) => REQUEST_ERROR_CODES.has(String(e.extensions?.code)));
  } catch {
    return false;
  }
}

/** The status to answer: 200 instead of 400 for a request error asked by a plain JSON client. */
export function statusFor(status: number, body: string, accept: string | undefined): number {
  return isRequestError(status, body) && !prefersGraphQLResponse(accept) ? 200 : status;
}
