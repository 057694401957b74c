import DataLoader from 'dataloader';
import { findCloudAccounts, findOrganizations, listCloudAccounts } from '../../lib/accounts/repository';
import type { CloudAccount, Organization } from '../../lib/accounts/types';
import type { Database } from '../../lib/db/database';
import { loadIngestStatuses, type IngestStatus } from '../../lib/accounts/ingest-status';
import { breakdownWithSummary, summarize, type BreakdownEntry, type ExpenseDimension, type ExpenseScope } from './data/queries';

/**
 * Per-request loaders. Every lookup is scoped to the caller's organizations here, once, so
 * no resolver can forget: an id of another organization loads as null, like a missing one.
 */
export function createLoaders(db: Database, organizationIds: readonly string[]) {
  const allowed = new Set(organizationIds);
  const loaders = {
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
    // Keyed by clusters the caller was already allowed to load (CloudAccount's parent), so a
    // list of clusters costs one batch; the resolver checks the organization again.
    ingestStatus: new DataLoader<string, IngestStatus>(async (ids) => {
      const statuses = await loadIngestStatuses(db, ids);
      return ids.map((id) => statuses.get(id) ?? new Error(`no ingest status for ${id}`));
    }),
    accountsOfOrganization: new DataLoader<string, CloudAccount[]>(async (orgIds) => {
      const accounts = await listCloudAccounts(db, orgIds.filter((id) => allowed.has(id)));
      return orgIds.map((id) => accounts.filter((a) => a.organizationId === id));
    }),
  };
  const reportParts = createReportLoader(db);
  return {
    ...loaders,
    // totalCost and count of one report come from one query, shared with a breakdown of the
    // same report when the request asks for one.
    summary: { load: async (scope: ExpenseScope) => (await reportParts.load({ scope, part: 'summary' })) as Summary },
    breakdown: {
      load: async (scope: ExpenseScope, by: ExpenseDimension, tagKey?: string) => (await reportParts.load({ scope, part: 'breakdown', by, tagKey })) as BreakdownEntry[],
    },
  };
}

type Summary = { totalCost: number; count: number };
type ReportPart = { scope: ExpenseScope; part: 'summary' } | { scope: ExpenseScope; part: 'breakdown'; by: ExpenseDimension; tagKey?: string };

/**
 * Summaries and breakdowns of one request in one batch, so that a report asking for both
 * (the dashboard's overview) scans its rows once: the summary is taken from the first
 * breakdown of the same scope. Failures stay in the slot of the part that caused them.
 */
function createReportLoader(db: Database) {
  return new DataLoader<ReportPart, Summary | BreakdownEntry[], string>(
    async (parts) => {
      const byScope = new Map<string, ReportPart[]>();
      for (const part of parts) {
        const key = JSON.stringify(part.scope);
        byScope.set(key, [...(byScope.get(key) ?? []), part]);
      }
      const answers = new Map<ReportPart, Promise<Summary | BreakdownEntry[]>>();
      for (const group of byScope.values()) {
        const wantsSummary = group.some((part) => part.part === 'summary');
        let summary: Promise<Summary> | undefined;
        for (const part of group) {
          if (part.part !== 'breakdown') continue;
          const both = breakdownWithSummary(db, part.scope, part.by, part.tagKey);
          answers.set(part, both.then((result) => result.groups));
          // Only derived when awaited below: an unobserved rejection would crash the process.
          if (wantsSummary) summary ??= both.then((result) => result.summary);
        }
        for (const part of group) {
          if (part.part !== 'summary') continue;
          const scope = part.scope;
          // A breakdown that fails (a bad tagKey) must not fail the summary with it.
          answers.set(part, summary ? summary.catch(() => summarize(db, scope)) : summarize(db, scope));
        }
      }
      return Promise.all(parts.map((part) => answers.get(part)!.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))));
    },
    { cacheKeyFn: (part) => JSON.stringify(part) },
  );
}

export type Loaders = ReturnType<typeof createLoaders>;
