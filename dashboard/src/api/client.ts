import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import { clearToken, readToken } from '../auth/token-store';

export interface GraphQLErrorEntry {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; serviceName?: string };
}

/** An answer: `data` may be partial when `errors` is not empty (one subgraph down). */
export interface Answer<T> {
  data: T | null;
  errors: GraphQLErrorEntry[];
}

/** The API refused the token; the app has already returned to sign-in. */
export class Unauthenticated extends Error {}

/**
 * Runs one typed operation against the gateway's /graphql on the same origin. The token goes
 * in the Authorization header only; a 401 clears it, which shows the sign-in form.
 */
export async function execute<TResult, TVariables>(
  document: DocumentTypeDecoration<TResult, TVariables> & { toString(): string },
  variables: TVariables,
  signal?: AbortSignal,
): Promise<Answer<TResult>> {
  const token = readToken();
  if (!token) {
    clearToken('signed-out');
    throw new Unauthenticated('not signed in');
  }
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: document.toString(), variables }),
    credentials: 'omit',
    signal,
  });
  if (response.status === 401) {
    clearToken('refused');
    throw new Unauthenticated('the API refused the token');
  }
  let body: { data?: TResult | null; errors?: GraphQLErrorEntry[] };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new Error(`the API answered HTTP ${response.status} without a GraphQL body`);
  }
  if (!body.data && !body.errors?.length) throw new Error(`the API answered HTTP ${response.status}`);
  return { data: body.data ?? null, errors: body.errors ?? [] };
}
