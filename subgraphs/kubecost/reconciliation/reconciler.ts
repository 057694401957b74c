import { LRUCache } from 'lru-cache';
import { HOUR_MS, isHourClosed } from '../../../lib/cost-rollups/closing';
import type { Database } from '../../../lib/db/database';
import { ensureBillLinks } from '../../../lib/reconciliation/bill-link-backfill';
import type { Promql } from '../promql/thanos-client';
import type { RollupStore } from '../rollups/rollup-store';
import { loadBillMatches, noMatches, type BillMatches } from './bill-matches';
import { learnClusterKeys } from './cluster-identity';
import { VolumeHandles } from './volume-handles';

const MEMO_TTL_MS = 5 * 60_000;
const UNBILLED_TTL_MS = 60_000;

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

  /**
   * Matches of ranges whose hours were all closed, by organization, range and clusters: valid
   * while the organization's bill links and the clusters' rollups (their generations) stay as
   * they were, for at most MEMO_TTL_MS (names set or learned meanwhile show within it).
   */
  private readonly memo = new LRUCache<string, { matches: Map<string, BillMatches>; version: string }>({ max: 1_000, ttl: MEMO_TTL_MS });
  /**
   * "Nothing billed in this range", kept for exact repeats within UNBILLED_TTL_MS, like the
   * PromQL results of a range ending now: a dashboard's refresh asks nothing again, and a bill
   * imported meanwhile shows within that time.
   */
  private readonly unbilled = new LRUCache<string, Map<string, BillMatches>>({ max: 1_000, ttl: UNBILLED_TTL_MS });
  /**
   * Matches being worked out, by key: one query often reaches this subgraph twice at once (the
   * cost summary and the clusters), and both get the same answer from one computation.
   */
  private readonly inFlight = new Map<string, Promise<Map<string, BillMatches>>>();

  matches(client: Promql, organizationId: string, ids: readonly string[], from: Date, to: Date, nowMs = Date.now()): Promise<Map<string, BillMatches>> {
    const key = `${organizationId}|${from.getTime()}|${to.getTime()}|${[...ids].sort().join(',')}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const computing = this.matchesOnce(key, client, organizationId, ids, from, to, nowMs).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, computing);
    return computing;
  }

  private async matchesOnce(key: string, client: Promql, organizationId: string, ids: readonly string[], from: Date, to: Date, nowMs: number): Promise<Map<string, BillMatches>> {
    const unbilled = this.unbilled.get(key);
    if (unbilled) return unbilled;
    // Waited for first: the state then sees the generations the saves were made under, and the
    // assets they named.
    await Promise.all([this.rollups.saved(ids), ensureBillLinks(this.db, organizationId)]);
    const state = await this.state(organizationId, ids, from, to);
    // Without a bill in the range (most organizations, most of the time) this is the answer.
    if (!state.billed) {
      const matches = new Map(ids.map((id) => [id, { ...noMatches(), unmatchedAssets: state.assets.get(id) ?? 0 }]));
      this.unbilled.set(key, matches);
      return matches;
    }
    const kept = this.memo.get(key);
    if (kept && kept.version === state.version) return kept.matches;
    const matches = await this.compute(client, organizationId, ids, from, to);
    if (isHourClosed(Math.floor(to.getTime() / HOUR_MS) * HOUR_MS - HOUR_MS, nowMs)) this.memo.set(key, { matches, version: state.version });
    return matches;
  }

  /**
   * In one round trip: the bill links' version and the clusters' rollup generations (as one
   * text), whether the organization has bill rows starting in the range, and each cluster's
   * nodes and volumes present in the range's whole hours.
   */
  private async state(organizationId: string, ids: readonly string[], from: Date, to: Date): Promise<{ version: string; billed: boolean; assets: Map<string, number> }> {
    const firstHour = new Date(Math.ceil(from.getTime() / HOUR_MS) * HOUR_MS);
    const endHour = new Date(Math.max(firstHour.getTime(), Math.floor(to.getTime() / HOUR_MS) * HOUR_MS));
    const [row] = await this.db.query<{ version: string | null; generations: string | null; billed: boolean; assets: string | Record<string, number> | null }>(
      `SELECT (SELECT version::text FROM expense_bill_link_versions WHERE organization_id = $1) AS version,
              (SELECT string_agg(cloud_account_id::text || ':' || generation, ',' ORDER BY cloud_account_id) FROM kubecost_rollup_state WHERE cloud_account_id = ANY($2::uuid[])) AS generations,
              EXISTS (SELECT 1 FROM expense_bill_links WHERE organization_id = $1 AND charge_period_start >= $3 AND charge_period_start < $4) AS billed,
              (SELECT json_object_agg(cloud_account_id, n) FROM (
                 SELECT cloud_account_id, count(*) AS n FROM kubecost_assets
                  WHERE cloud_account_id = ANY($2::uuid[]) AND kind IN ('node', 'volume') AND first_hour < $6 AND last_hour >= $5
                  GROUP BY 1) present) AS assets`,
      [organizationId, ids, from, to, firstHour, endHour],
    );
    const assets = typeof row.assets === 'string' ? (JSON.parse(row.assets) as Record<string, number>) : (row.assets ?? {});
    return { version: `${row.version ?? 0}|${row.generations ?? ''}`, billed: row.billed, assets: new Map(Object.entries(assets).map(([id, n]) => [id, Number(n)])) };
  }

  private async compute(client: Promql, organizationId: string, ids: readonly string[], from: Date, to: Date): Promise<Map<string, BillMatches>> {
    const learned = await learnClusterKeys(client, ids, from.getTime(), to.getTime());
    await this.volumeHandles.learn(client, ids, from.getTime(), to.getTime());
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
