import type { Database } from '../../../lib/db/database';
import { silentLogger, type Logger } from '../../../lib/log';
import { ASSET_CATEGORIES, type AssetCategory } from '../costs/queries';
import type { PieceCosts } from '../costs/pieces';

/*
 * Closed hours of cluster costs in PostgreSQL, where every kubecost replica sees them
 * (migration 013). Staleness: ingest marks a cluster's `stale_from` when it receives samples
 * for a closed hour (lib/cost-rollups/late-samples.ts). A reader that finds a mark throws away
 * the rows from that hour on and bumps the cluster's generation, in one transaction; rows
 * computed by anyone who started before the bump are then refused, so a computation that read
 * the store before the late samples arrived can never put its numbers back.
 */

const COLUMNS: Record<AssetCategory, string> = {
  cpu: 'cpu',
  ram: 'ram',
  gpu: 'gpu',
  persistentVolumes: 'persistent_volumes',
  loadBalancers: 'load_balancers',
  clusterManagement: 'cluster_management',
};

interface StateRow {
  cloud_account_id: string;
  stale_from: Date | null;
  generation: string;
}

interface Row {
  cloud_account_id: string;
  hour_start: Date;
  cpu: number;
  ram: number;
  gpu: number;
  persistent_volumes: number;
  load_balancers: number;
  cluster_management: number;
  non_finite: Partial<Record<AssetCategory, number>> | null;
  capacity_missing: number;
  last_sample_at: Date | null;
  samples: number;
}

/** Per cluster, the generation its rollups were read at: what `save` checks. */
export type Generations = Map<string, number>;

/** A group of closed hours (a bucket of a series, or the whole range) summed in the database. */
export interface StoredGroup {
  /** How many of the group's hours are rolled up. */
  hours: number;
  costs: PieceCosts;
}

interface SumRow {
  cloud_account_id: string;
  bucket: string;
  hours: string;
  cpu: number;
  ram: number;
  gpu: number;
  persistent_volumes: number;
  load_balancers: number;
  cluster_management: number;
  nf_cpu: number | null;
  nf_ram: number | null;
  nf_gpu: number | null;
  nf_persistent_volumes: number | null;
  nf_load_balancers: number | null;
  nf_cluster_management: number | null;
  capacity_missing: number;
  samples: number;
  newest_sampled: Date | null;
  newest_last_sample: Date | null;
}

const fromRow = (row: Row): PieceCosts => ({
  sampleCosts: Object.fromEntries(ASSET_CATEGORIES.map((c) => [c, Number(row[COLUMNS[c] as keyof Row])])) as Record<AssetCategory, number>,
  nonFinite: row.non_finite ?? {},
  capacityMissing: row.capacity_missing,
  lastSampleMs: row.last_sample_at === null ? null : new Date(row.last_sample_at).getTime(),
  samples: Number(row.samples),
});

export class RollupStore {
  constructor(
    private readonly db: Database,
    private readonly logger: Logger = silentLogger,
  ) {}

  /**
   * Throws away what late samples made stale (per cluster, its rollups from the marked hour on),
   * and returns each cluster's generation: rows computed from what is read afterwards are
   * stored only if the generation has not moved meanwhile.
   */
  async prepare(ids: readonly string[]): Promise<Generations> {
    const state = await this.db.query<StateRow>('SELECT cloud_account_id, stale_from, generation FROM kubecost_rollup_state WHERE cloud_account_id = ANY($1::uuid[])', [ids]);
    const generations: Generations = new Map(ids.map((id) => [id, 0]));
    for (const row of state) generations.set(row.cloud_account_id, Number(row.generation));
    const stale = state.filter((row) => row.stale_from !== null).map((row) => row.cloud_account_id);
    if (stale.length > 0) {
      // Locked, so that a mark ingest sets meanwhile is either seen here or left for the next reader.
      await this.db.transaction(async (tx) => {
        const locked = await tx.query<StateRow>(
          // Always in the same order: concurrent readers and writers lock several rows each.
          'SELECT cloud_account_id, stale_from, generation FROM kubecost_rollup_state WHERE cloud_account_id = ANY($1::uuid[]) ORDER BY cloud_account_id FOR UPDATE',
          [stale],
        );
        for (const row of locked) {
          if (row.stale_from === null) continue;
          await tx.query('DELETE FROM kubecost_hourly_costs WHERE cloud_account_id = $1 AND hour_start >= $2', [row.cloud_account_id, row.stale_from]);
          await tx.query('UPDATE kubecost_rollup_state SET stale_from = NULL, generation = generation + 1 WHERE cloud_account_id = $1', [row.cloud_account_id]);
          generations.set(row.cloud_account_id, Number(row.generation) + 1);
        }
      });
    }
    return generations;
  }

  /**
   * The rolled-up hours of [fromMs, toMs) summed in the database per cluster and per UTC bucket
   * of `groupMs` (keyed by the bucket's number, floor(start / groupMs)), as combinePieces sums
   * them: a month of a fleet's hours comes back as one row per cluster.
   */
  async sums(ids: readonly string[], fromMs: number, toMs: number, groupMs: number): Promise<Map<string, Map<number, StoredGroup>>> {
    const nonFinite = Object.entries(COLUMNS).map(([category, column]) => `max((non_finite->>'${category}')::float8) AS nf_${column}`);
    const rows = await this.db.query<SumRow>(
      `SELECT cloud_account_id, floor(extract(epoch FROM hour_start) * 1000 / $4)::bigint AS bucket, count(*) AS hours,
              sum(cpu) AS cpu, sum(ram) AS ram, sum(gpu) AS gpu, sum(persistent_volumes) AS persistent_volumes,
              sum(load_balancers) AS load_balancers, sum(cluster_management) AS cluster_management,
              ${nonFinite.join(', ')}, max(capacity_missing) AS capacity_missing, sum(samples) AS samples,
              max(hour_start) FILTER (WHERE samples > 0) AS newest_sampled,
              (array_agg(last_sample_at ORDER BY hour_start DESC) FILTER (WHERE samples > 0))[1] AS newest_last_sample
         FROM kubecost_hourly_costs
        WHERE cloud_account_id = ANY($1::uuid[]) AND hour_start >= $2 AND hour_start < $3
        GROUP BY cloud_account_id, bucket`,
      [ids, new Date(fromMs), new Date(toMs), groupMs],
    );
    const result = new Map(ids.map((id) => [id, new Map<number, StoredGroup>()]));
    for (const row of rows) {
      const nonFiniteCounts: Partial<Record<AssetCategory, number>> = {};
      for (const category of ASSET_CATEGORIES) {
        const count = row[`nf_${COLUMNS[category]}` as keyof SumRow];
        if (count !== null) nonFiniteCounts[category] = Number(count);
      }
      result.get(row.cloud_account_id)?.set(Number(row.bucket), {
        hours: Number(row.hours),
        costs: {
          sampleCosts: Object.fromEntries(ASSET_CATEGORIES.map((c) => [c, Number(row[COLUMNS[c] as keyof SumRow])])) as Record<AssetCategory, number>,
          nonFinite: nonFiniteCounts,
          capacityMissing: Number(row.capacity_missing),
          samples: Number(row.samples),
          newestSampledHourMs: row.newest_sampled === null ? null : new Date(row.newest_sampled).getTime(),
          lastSampleMs: row.newest_last_sample === null ? null : new Date(row.newest_last_sample).getTime(),
        },
      });
    }
    return result;
  }

  /** The rolled-up hours of `ids` in [fromMs, toMs), one by one. */
  async hours(ids: readonly string[], fromMs: number, toMs: number): Promise<Map<string, Map<number, PieceCosts>>> {
    const rows = await this.db.query<Row>(
      `SELECT cloud_account_id, hour_start, cpu, ram, gpu, persistent_volumes, load_balancers, cluster_management,
              non_finite, capacity_missing, last_sample_at, samples
         FROM kubecost_hourly_costs
        WHERE cloud_account_id = ANY($1::uuid[]) AND hour_start >= $2 AND hour_start < $3`,
      [ids, new Date(fromMs), new Date(toMs)],
    );
    const hours = new Map(ids.map((id) => [id, new Map<number, PieceCosts>()]));
    for (const row of rows) hours.get(row.cloud_account_id)?.set(new Date(row.hour_start).getTime(), fromRow(row));
    return hours;
  }

  /**
   * Keeps newly computed hours of the clusters whose generation is still the one `prepare` saw
   * (for the others, late samples arrived meanwhile: their numbers may be stale). Hours someone
   * else stored meanwhile are left as they are: both computed the same samples.
   */
  async save(computed: Map<string, Map<number, PieceCosts>>, generations: Generations): Promise<void> {
    const ids = [...computed.keys()].filter((id) => computed.get(id)!.size > 0);
    if (ids.length === 0) return;
    // Keeping them is a saving, not part of the answer: the query that computed them answers
    // either way, and the next one computes what this one could not keep.
    await this.write(ids, computed, generations).catch((error: unknown) => this.logger.warn({ err: error, clusters: ids.length }, 'could not keep rollups'));
  }

  private async write(ids: readonly string[], computed: Map<string, Map<number, PieceCosts>>, generations: Generations): Promise<void> {
    await this.db.transaction(async (tx) => {
      // Creates missing state rows (live accounts only), then locks them against invalidation.
      await tx.query(
        `INSERT INTO kubecost_rollup_state (cloud_account_id)
         SELECT id FROM cloud_accounts WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL ORDER BY id
         ON CONFLICT (cloud_account_id) DO NOTHING`,
        [ids],
      );
      const state = await tx.query<StateRow>(
        'SELECT cloud_account_id, stale_from, generation FROM kubecost_rollup_state WHERE cloud_account_id = ANY($1::uuid[]) ORDER BY cloud_account_id FOR UPDATE',
        [ids],
      );
      const current = state.filter((s) => s.stale_from === null && Number(s.generation) === (generations.get(s.cloud_account_id) ?? 0));
      const values: unknown[] = [];
      const tuples: string[] = [];
      for (const { cloud_account_id: id } of current) {
        for (const [hour, piece] of computed.get(id)!) {
          const base = values.length;
          values.push(
            id,
            new Date(hour),
            ...ASSET_CATEGORIES.map((c) => piece.sampleCosts[c]),
            Object.keys(piece.nonFinite).length > 0 ? JSON.stringify(piece.nonFinite) : null,
            piece.capacityMissing,
            piece.lastSampleMs === null ? null : new Date(piece.lastSampleMs),
            piece.samples,
          );
          tuples.push(`(${Array.from({ length: 12 }, (_, i) => `$${base + i + 1}`).join(', ')})`);
          if (values.length > 60_000) await flush();
        }
      }
      await flush();

      async function flush(): Promise<void> {
        if (tuples.length === 0) return;
        await tx.query(
          `INSERT INTO kubecost_hourly_costs (cloud_account_id, hour_start, cpu, ram, gpu, persistent_volumes, load_balancers,
                                             cluster_management, non_finite, capacity_missing, last_sample_at, samples)
           VALUES ${tuples.join(', ')} ON CONFLICT (cloud_account_id, hour_start) DO NOTHING`,
          values,
        );
        values.length = 0;
        tuples.length = 0;
      }
    });
  }

  /**
   * Keeps the exact last sample time found for a rolled-up hour in which the cluster stopped
   * sending (its end sees no sample; finding it again would cost a query per request).
   */
  async saveLastSample(cloudAccountId: string, hourStartMs: number, lastSampleMs: number): Promise<void> {
    await this.db.query('UPDATE kubecost_hourly_costs SET last_sample_at = $3 WHERE cloud_account_id = $1 AND hour_start = $2', [
      cloudAccountId,
      new Date(hourStartMs),
      new Date(lastSampleMs),
    ]);
  }
}
