import type { Database } from '../../../lib/db/database';
import { ensureBillLinks } from '../../../lib/reconciliation/bill-link-backfill';
import type { Promql } from '../promql/thanos-client';
import type { RollupStore } from '../rollups/rollup-store';
import { loadBillMatches, type BillMatches } from './bill-matches';
import { learnClusterKeys } from './cluster-identity';
import { VolumeHandles } from './volume-handles';

/** Clusters of one organization matched with its bill over a range (bill-matches.ts). */
export class Reconciler {
  /** Learned keys already kept (cluster id and key): most requests learn what they learned before. */
  private readonly known = new Set<string>();
  private readonly volumeHandles: VolumeHandles;

  constructor(
    private readonly db: Database,
    private readonly rollups: RollupStore,
  ) {
    this.volumeHandles = new VolumeHandles(db);
  }

  async matches(client: Promql, organizationId: string, ids: readonly string[], from: Date, to: Date): Promise<Map<string, BillMatches>> {
    await ensureBillLinks(this.db, organizationId);
    const [billed] = await this.db.query<{ billed: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM expense_bill_links WHERE organization_id = $1 AND charge_period_start >= $2 AND charge_period_start < $3) AS billed',
      [organizationId, from, to],
    );
    const [learned] = await Promise.all([
      // Without a bill in the range there is nothing to match clusters' names with.
      billed.billed ? learnClusterKeys(client, ids, from.getTime(), to.getTime()) : new Map<string, string[]>(),
      // The hours the costs just computed are read back from the store.
      this.rollups.saved(ids),
    ]);
    if (billed.billed) await this.volumeHandles.learn(client, ids, from.getTime(), to.getTime());
    const keys = await this.clusterKeys(ids, learned);
    return loadBillMatches(this.db, organizationId, ids, from.getTime(), to.getTime(), keys);
  }

  /**
   * Each cluster's keys: the ones set on its account, else the ones learned (kept, so that the
   * expenses subgraph can tell which cluster a bill row belongs to).
   */
  private async clusterKeys(ids: readonly string[], learned: Map<string, string[]>): Promise<Map<string, string[]>> {
    const fresh = [...learned].flatMap(([id, keys]) => keys.filter((key) => !this.known.has(`${id}|${key}`)).map((key) => [id, key] as const));
    if (fresh.length > 0) {
      await this.db.query(
        `INSERT INTO kubernetes_cluster_keys (cloud_account_id, cluster_key, source)
         SELECT k.id, k.cluster_key, 'learned' FROM unnest($1::uuid[], $2::text[]) AS k (id, cluster_key) JOIN cloud_accounts c ON c.id = k.id
         ON CONFLICT (cloud_account_id, cluster_key) DO NOTHING`,
        [fresh.map(([id]) => id), fresh.map(([, key]) => key)],
      );
      if (this.known.size > 100_000) this.known.clear();
      for (const [id, key] of fresh) this.known.add(`${id}|${key}`);
    }
    const set = await this.db.query<{ cloud_account_id: string; cluster_key: string }>(
      `SELECT cloud_account_id, cluster_key FROM kubernetes_cluster_keys WHERE cloud_account_id = ANY($1::uuid[]) AND source = 'set'`,
      [ids],
    );
    const keys = new Map(learned);
    for (const id of new Set(set.map((row) => row.cloud_account_id))) keys.set(id, set.filter((row) => row.cloud_account_id === id).map((row) => row.cluster_key));
    return keys;
  }
}
