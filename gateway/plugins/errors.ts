import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode } from '../../lib/graphql/errors';
import type { Logger } from '../../lib/log';

/** Codes a client can act on; anything else from a subgraph is reported as that subgraph failing. */
const SUBGRAPH_CODES = new Set<string>([
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.NOT_FOUND,
  ErrorCode.FORBIDDEN,
  ErrorCode.UPSTREAM_UNAVAILABLE,
  ErrorCode.DOWNSTREAM_SERVICE_ERROR,
  ErrorCode.QUERY_TOO_EXPENSIVE,
]);

/** Errors the gateway itself raises about a request (parsing, validation, limits, variables). */
const REQUEST_CODES = new Set<string>([
  ErrorCode.GRAPHQL_PARSE_FAILED,
  ErrorCode.GRAPHQL_VALIDATION_FAILED,
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.BAD_REQUEST,
  ErrorCode.OPERATION_RESOLUTION_FAILURE,
  ErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
  ErrorCode.PERSISTED_QUERY_NOT_FOUND,
  ErrorCode.UNAUTHENTICATED,
]);

/**
 * Shapes every error the gateway answers with: subgraph errors keep their typed code and name
 * the subgraph (`serviceName`); the gateway's own request errors keep their code; anything
 * unexpected is logged and masked, so no internal detail (URLs, stacks, bodies) leaks.
 */
export function formatGatewayError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const extensions = formatted.extensions ?? {};
    const code = typeof extensions.code === 'string' ? extensions.code : undefined;
    const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };
    if (typeof extensions.serviceName === 'string') {
      const known = code !== undefined && SUBGRAPH_CODES.has(code);
      if (!known) logger.warn({ subgraph: extensions.serviceName, code, message: formatted.message, path: formatted.path }, 'subgraph error');
      return {
        ...base,
        message: known ? formatted.message : `${extensions.serviceName} failed`,
        extensions: { code: known ? code : ErrorCode.DOWNSTREAM_SERVICE_ERROR, serviceName: extensions.serviceName, ...argumentOf(extensions), ...(known ? limitOf(extensions) : {}) },
      };
    }
    // Apollo reports every validation rule's error as GRAPHQL_VALIDATION_FAILED; a limit gets its own code.
    if (typeof extensions.limit === 'string') return { ...base, extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, ...limitOf(extensions) } };
    // An invalid literal of a subgraph's scalar, refused before planning (scalarLiteralRule).
    if (extensions.badInput === true) return { ...base, extensions: { code: ErrorCode.BAD_USER_INPUT } };
    if (code !== undefined && REQUEST_CODES.has(code)) return { ...base, extensions: { code, ...argumentOf(extensions) } };
    logger.error({ err: unwrapResolverError(error), path: formatted.path }, 'unexpected gateway error');
    return { message: 'internal error', path: formatted.path, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  };
}

const argumentOf = (e: Record<string, unknown>) => (typeof e.argument === 'string' ? { argument: e.argument } : {});
const limitOf = (e: Record<string, unknown>) => (typeof e.limit === 'string' ? { limit: e.limit } : {});
