import type { Database } from '../../../lib/db/database';
import { ensureBillLinks } from '../../../lib/reconciliation/bill-link-backfill';
import type { Promql } from '../promql/thanos-client';
import type { RollupStore } from '../rollups/rollup-store';
import { loadBillMatches, type BillMatches } from './bill-matches';
import { learnClusterKeys } from './cluster-identity';

/** Clusters of one organization matched with its bill over a range (bill-matches.ts). */
export class Reconciler {
  constructor(
    private readonly db: Database,
    private readonly rollups: RollupStore,
  ) {}

  async matches(client: Promql, organizationId: string, ids: readonly string[], from: Date, to: Date): Promise<Map<string, BillMatches>> {
    const [keys] = await Promise.all([
      learnClusterKeys(client, ids, from.getTime(), to.getTime()),
      ensureBillLinks(this.db, organizationId),
      // The hours the costs just computed are read back from the store.
      this.rollups.saved(ids),
    ]);
    return loadBillMatches(this.db, organizationId, ids, from.getTime(), to.getTime(), keys);
  }
}
