import DataLoader from 'dataloader';
import { findCloudAccounts, findOrganizations, listCloudAccounts } from '../../lib/accounts/repository';
import type { CloudAccount, Organization } from '../../lib/accounts/types';
import type { Database } from '../../lib/db/database';
import { summarize, type ExpenseScope } from '../../lib/expenses/queries';

/**
 * Per-request loaders. Every lookup is scoped to the caller's organizations here, once, so
 * no resolver can forget: an id of another organization loads as null, like a missing one.
 */
export function createLoaders(db: Database, organizationIds: readonly string[]) {
  const allowed = new Set(organizationIds);
  return {
    organization: new DataLoader<string, Organization | null>(async (ids) => {
      const found = await findOrganizations(db, ids.filter((id) => allowed.has(id)));
      const byId = new Map(found.map((org) => [org.id, org]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    cloudAccount: new DataLoader<string, CloudAccount | null>(async (ids) => {
      const found = await findCloudAccounts(db, ids);
      const byId = new Map(found.filter((a) => allowed.has(a.organizationId)).map((a) => [a.id, a]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    accountsOfOrganization: new DataLoader<string, CloudAccount[]>(async (orgIds) => {
      const accounts = await listCloudAccounts(db, orgIds.filter((id) => allowed.has(id)));
      return orgIds.map((id) => accounts.filter((a) => a.organizationId === id));
    }),
    // totalCost and count of one report come from one query.
    summary: new DataLoader<ExpenseScope, { totalCost: number; count: number }, string>(
      (scopes) => Promise.all(scopes.map((scope) => summarize(db, scope))),
      { cacheKeyFn: (scope) => JSON.stringify(scope) },
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
