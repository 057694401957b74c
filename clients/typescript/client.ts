import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

/** What a GraphQL response carries; `data` may be partial when `errors` is present. */
export interface GraphQLResult<T> {
  data: T | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string; serviceName?: string } }>;
}

/**
 * The smallest useful costgraph client: a typed document in, its typed result out. Result and
 * variable types come from the generated `graphql.ts`, so a schema change breaks the build.
 */
export async function request<TResult, TVariables extends Record<string, unknown>>(
  endpoint: string,
  token: string,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
): Promise<GraphQLResult<TResult>> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as GraphQLResult<TResult>;
  if (!response.ok && !body.errors) throw new Error(`costgraph answered HTTP ${response.status}`);
  return { data: body.data ?? null, ...(body.errors ? { errors: body.errors } : {}) };
}
