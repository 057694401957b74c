import type { Role } from '../../lib/accounts/roles';
import { CONTEXT_HEADER, signContext } from '../../lib/internal-auth/signed-context';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string } }>;
}

/** Posts to a subgraph the way the gateway does: JSON, with the signed caller context (an admin's unless `role` says otherwise). */
export async function callSubgraph<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  auth: { secret: string; organizationIds: string[]; ttlMs?: number; role?: Role } | { header?: string },
): Promise<GraphQLResponse<T>> {
  const header = 'secret' in auth ? signContext({ subject: 'test', organizationIds: auth.organizationIds, role: auth.role ?? 'admin' }, auth.secret, auth.ttlMs) : auth.header;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(header ? { [CONTEXT_HEADER]: header } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: GraphQLResponse['errors'] };
  return { status: response.status, ...body };
}
