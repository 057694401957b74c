import type { Database, Queryable } from '../../../lib/db/database';
import { silentLogger, type Logger } from '../../../lib/log';
import { ASSET_CATEGORIES, type AssetCategory } from '../costs/queries';
import { emptyPiece, type AssetCost, type PieceCosts } from '../costs/pieces';
import { clusterResourceKey } from '../../../lib/reconciliation/resource-keys';
import { keyString } from '../../../lib/reconciliation/resource-key';
import { HOUR_MS } from '../../../lib/cost-rollups/closing';
import { SumsMemo, type Sums } from './sums-memo';

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

/** Per cluster, the generation its rollups were read at: what `save` checks. */
export type Generations = Map<string, number>;

/** A group of closed hours (a bucket of a series, or the whole range) summed in the database. */
export interface StoredGroup {
  /** How many of the group's hours are rolled up. */
  hours: number;
  costs: PieceCosts;
}

/**
 * A row as PieceCosts, whether one hour's or a group's (sums): per category its money and its
 * objects left out (`nf_<column>`, null when none).
 */
type PieceRow = Record<string, unknown> & {
  cloud_account_id: string;
  network: number | null;
  interval_assumed: number | boolean;
  capacity_missing: number;
  last_sample_at: Date | null;
  samples: number;
};

function fromRow(row: PieceRow): PieceCosts {
  const piece = emptyPiece();
  for (const category of ASSET_CATEGORIES) {
    piece.costs[category] = Number(row[COLUMNS[category]]);
    const left = row[`nf_${COLUMNS[category]}`];
    if (left !== null && left !== undefined) piece.nonFinite[category] = Number(left);
  }
  piece.network = row.network === null ? null : Number(row.network);
  piece.intervalAssumed = Number(row.interval_assumed);
  piece.capacityMissing = Number(row.capacity_missing);
  piece.lastSampleMs = row.last_sample_at === null ? null : new Date(row.last_sample_at).getTime();
  piece.samples = Number(row.samples);
  return piece;
}

/** Multi-row INSERTs of at most ~60,000 parameters; rows someone else stored meanwhile are left as they are. */
export async function insertRows(tx: Queryable, table: string, columns: readonly string[], key: string, rows: ReadonlyArray<readonly unknown[]>): Promise<void> {
  const perStatement = Math.max(1, Math.floor(60_000 / columns.length));
  for (let start = 0; start < rows.length; start += perStatement) {
    const batch = rows.slice(start, start + perStatement);
    const tuples = batch.map((_, r) => `(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`);
    await tx.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT ${key} DO NOTHING`, batch.flat());
  }
}

/**
 * The numbers kubecost_assets gives the assets of clusters, kept in the process (a cluster's
 * nodes and volumes rarely change, and its assets are never renumbered).
 */
class AssetNumbers {
  private readonly known = new Map<string, string>();

  constructor(private readonly db: Queryable) {}

  /** Numbers for every asset of `assets` (cluster id, asset), adding the ones not named yet. */
  async of(assets: ReadonlyArray<readonly [string, AssetCost]>): Promise<Map<string, string>> {
    if (this.known.size >= 200_000) this.known.clear();
    const numbers = new Map<string, string>();
    const unknown = new Map<string, readonly [string, AssetCost]>();
    for (const entry of assets) {
      const key = assetKey(entry[0], entry[1]);
      const known = this.known.get(key);
      if (known !== undefined) numbers.set(key, known);
      else unknown.set(key, entry);
    }
    // Outside any transaction, so a number kept here always names a stored asset.
    for (let attempt = 0; unknown.size > 0 && attempt < 3; attempt++) {
      const wanted = [...unknown.values()];
      const rows = await this.db.query<{ id: string; cloud_account_id: string; kind: AssetCost['kind']; name: string; provider_id: string }>(
        `WITH wanted AS (
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) AS w (cloud_account_id, kind, name, provider_id, resource_key)
         ), added AS (
           INSERT INTO kubecost_assets (cloud_account_id, kind, name, provider_id, resource_key)
           SELECT w.* FROM wanted w JOIN cloud_accounts a ON a.id = w.cloud_account_id
           ON CONFLICT (cloud_account_id, kind, name, provider_id) DO NOTHING
           RETURNING id, cloud_account_id, kind, name, provider_id
         )
         SELECT * FROM added
         UNION ALL
         SELECT a.id, a.cloud_account_id, a.kind, a.name, a.provider_id FROM kubecost_assets a JOIN wanted USING (cloud_account_id, kind, name, provider_id)`,
        [
          wanted.map(([id]) => id),
          wanted.map(([, a]) => a.kind),
          wanted.map(([, a]) => a.name),
          wanted.map(([, a]) => a.providerId),
          wanted.map(([, a]) => resourceKeyOf(a)),
        ],
      );
      // An asset another save added meanwhile is committed once the INSERT has waited for it, but
      // after this statement's snapshot, so it comes back in neither half: it is asked again.
      // (An account deleted meanwhile never answers: its hours are not kept either.)
      for (const row of rows) {
        const key = assetKey(row.cloud_account_id, { kind: row.kind, name: row.name, providerId: row.provider_id });
        this.known.set(key, String(row.id));
        numbers.set(key, String(row.id));
        unknown.delete(key);
      }
    }
    return numbers;
  }
}

const assetKey = (clusterId: string, a: Pick<AssetCost, 'kind' | 'name' | 'providerId'>) => `${clusterId}\0${a.kind}\0${a.name}\0${a.providerId}`;

/** The bill's name for an asset's cloud resource: load balancers are matched by tags, not ids. */
function resourceKeyOf(asset: AssetCost): string | null {
  if (asset.kind === 'load-balancer' || asset.providerId === '') return null;
  const key = clusterResourceKey(asset.providerId);
  return key ? keyString(key) : null;
}

const ASSET_COLUMNS = ['cloud_account_id', 'hour_start', 'asset_ids', 'cpu', 'ram', 'gpu', 'cost'];

/** Columns of a row as `write` stores them, in order. */
const WRITTEN = ['cloud_account_id', 'hour_start', ...Object.values(COLUMNS), 'network', 'interval_seconds', 'interval_assumed', 'non_finite', 'capacity_missing', 'last_sample_at', 'samples'];

/** Whether every bucket of `groupMs` in [fromMs, toMs) holds all of its hours. */
export function everyGroupComplete(groups: ReadonlyMap<number, StoredGroup> | undefined, fromMs: number, toMs: number, groupMs: number): boolean {
  for (let bucket = Math.floor(fromMs / groupMs); bucket * groupMs < toMs; bucket++) {
    const hours = (Math.min(toMs, (bucket + 1) * groupMs) - Math.max(fromMs, bucket * groupMs)) / HOUR_MS;
    if (groups?.get(bucket)?.hours !== hours) return false;
  }
  return true;
}

const nonFiniteOf = (aggregate: string) => Object.entries(COLUMNS).map(([category, column]) => `${aggregate.replace('$', `(non_finite->>'${category}')::float8`)} AS nf_${column}`);

export class RollupStore {
  private readonly memo = new SumsMemo();
  private readonly assetNumbers: AssetNumbers;
  /** Per cluster, the saves of its hours still under way in this process. */
  private readonly pending = new Map<string, Set<Promise<void>>>();

  constructor(
    private readonly db: Database,
    private readonly logger: Logger = silentLogger,
  ) {
    this.assetNumbers = new AssetNumbers(db);
  }

  /**
   * Throws away what late samples made stale (per cluster, its rollups from the marked hour on),
   * and returns each cluster's generation: rows computed from what is read afterwards are
   * stored only if the generation has not moved meanwhile.
   */
  async prepare(ids: readonly string[]): Promise<Generations> {
    await this.saved(ids);
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
          await tx.query('DELETE FROM kubecost_allocation_parts WHERE cloud_account_id = $1 AND part_end > $2', [row.cloud_account_id, row.stale_from]);
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
   * them: a month of a fleet's hours comes back as one row per cluster. With the generations
   * `prepare` returned, complete sums are kept in memory (sums-memo.ts); the returned pieces are
   * then shared and must not be changed.
   */
  async sums(ids: readonly string[], fromMs: number, toMs: number, groupMs: number, generations?: Generations): Promise<Sums> {
    if (!generations) return this.readSums(ids, fromMs, toMs, groupMs);
    return this.memo.get(
      `${fromMs}:${toMs}:${groupMs}:${ids.join(',')}`,
      ids,
      generations,
      () => this.readSums(ids, fromMs, toMs, groupMs),
      (sums) => ids.every((id) => everyGroupComplete(sums.get(id), fromMs, toMs, groupMs)),
    );
  }

  private async readSums(ids: readonly string[], fromMs: number, toMs: number, groupMs: number): Promise<Sums> {
    const rows = await this.db.query<PieceRow & { bucket: string; hours: string; newest_sampled: Date | null }>(
      `SELECT cloud_account_id, floor(extract(epoch FROM hour_start) * 1000 / $4)::bigint AS bucket, count(*) AS hours,
              ${ASSET_CATEGORIES.map((c) => `sum(${COLUMNS[c]}) AS ${COLUMNS[c]}`).join(', ')}, ${nonFiniteOf('max($)').join(', ')},
              sum(network) AS network, count(*) FILTER (WHERE interval_assumed) AS interval_assumed,
              max(capacity_missing) AS capacity_missing, sum(samples) AS samples,
              max(hour_start) FILTER (WHERE samples > 0) AS newest_sampled,
              (array_agg(last_sample_at ORDER BY hour_start DESC) FILTER (WHERE samples > 0))[1] AS last_sample_at
         FROM kubecost_hourly_costs
        WHERE cloud_account_id = ANY($1::uuid[]) AND hour_start >= $2 AND hour_start < $3
        GROUP BY cloud_account_id, bucket`,
      [ids, new Date(fromMs), new Date(toMs), groupMs],
    );
    const result = new Map(ids.map((id) => [id, new Map<number, StoredGroup>()]));
    for (const row of rows) {
      const costs = fromRow(row);
      costs.newestSampledHourMs = row.newest_sampled === null ? null : new Date(row.newest_sampled).getTime();
      result.get(row.cloud_account_id)?.set(Number(row.bucket), { hours: Number(row.hours), costs });
    }
    return result;
  }

  /** The rolled-up hours of `ids` in [fromMs, toMs), one by one. */
  async hours(ids: readonly string[], fromMs: number, toMs: number): Promise<Map<string, Map<number, PieceCosts>>> {
    const rows = await this.db.query<PieceRow & { hour_start: Date }>(
      `SELECT cloud_account_id, hour_start, ${Object.values(COLUMNS).join(', ')}, ${nonFiniteOf('$').join(', ')},
              network, interval_assumed, capacity_missing, last_sample_at, samples
         FROM kubecost_hourly_costs
        WHERE cloud_account_id = ANY($1::uuid[]) AND hour_start >= $2 AND hour_start < $3`,
      [ids, new Date(fromMs), new Date(toMs)],
    );
    const hours = new Map(ids.map((id) => [id, new Map<number, PieceCosts>()]));
    for (const row of rows) hours.get(row.cloud_account_id)?.set(new Date(row.hour_start).getTime(), fromRow(row));
    return hours;
  }

  /** The rolled-up hours of `ids` in [fromMs, toMs), asset by asset (in the order they were stored). */
  async assetHours(ids: readonly string[], fromMs: number, toMs: number): Promise<Map<string, Map<number, AssetCost[]>>> {
    const rows = await this.db.query<{ cloud_account_id: string; hour_start: Date; kind: AssetCost['kind']; name: string; provider_id: string; cpu: number; ram: number; gpu: number; cost: number }>(
      `SELECT h.cloud_account_id, h.hour_start, a.kind, a.name, a.provider_id, x.cpu, x.ram, x.gpu, x.cost
         FROM kubecost_hourly_asset_costs h
        CROSS JOIN LATERAL unnest(h.asset_ids, h.cpu, h.ram, h.gpu, h.cost) WITH ORDINALITY AS x (asset_id, cpu, ram, gpu, cost, n)
         JOIN kubecost_assets a ON a.id = x.asset_id
        WHERE h.cloud_account_id = ANY($1::uuid[]) AND h.hour_start >= $2 AND h.hour_start < $3
        ORDER BY h.cloud_account_id, h.hour_start, x.n`,
      [ids, new Date(fromMs), new Date(toMs)],
    );
    const result = new Map(ids.map((id) => [id, new Map<number, AssetCost[]>()]));
    for (const row of rows) {
      const hours = result.get(row.cloud_account_id)!;
      const hour = new Date(row.hour_start).getTime();
      const list = hours.get(hour) ?? [];
      list.push({ kind: row.kind, name: row.name, providerId: row.provider_id, cpu: Number(row.cpu), ram: Number(row.ram), gpu: Number(row.gpu), cost: Number(row.cost) });
      hours.set(hour, list);
    }
    return result;
  }

  /** The scrape interval each rolled-up hour of `hours` was priced at, where one was measured. */
  async intervals(ids: readonly string[], hours: readonly number[]): Promise<Map<string, Map<number, number>>> {
    const result = new Map(ids.map((id) => [id, new Map<number, number>()]));
    if (hours.length === 0) return result;
    const rows = await this.db.query<{ cloud_account_id: string; hour_start: Date; interval_seconds: number }>(
      `SELECT cloud_account_id, hour_start, interval_seconds FROM kubecost_hourly_costs
        WHERE cloud_account_id = ANY($1::uuid[]) AND hour_start = ANY($2::timestamptz[]) AND interval_seconds IS NOT NULL`,
      [ids, hours.map((ms) => new Date(ms))],
    );
    for (const row of rows) result.get(row.cloud_account_id)?.set(new Date(row.hour_start).getTime(), Number(row.interval_seconds));
    return result;
  }

  /**
   * Keeps newly computed hours of the clusters whose generation is still the one `prepare` saw
   * (for the others, late samples arrived meanwhile: their numbers may be stale), with their
   * assets. Hours someone else stored meanwhile are left as they are: both computed the same
   * samples. Keeping them is a saving, not part of the answer: a caller may go on without
   * waiting, and this process's next `prepare` of those clusters waits for it.
   */
  save(computed: Map<string, Map<number, PieceCosts>>, generations: Generations): Promise<void> {
    const ids = [...computed.keys()].filter((id) => computed.get(id)!.size > 0);
    if (ids.length === 0) return Promise.resolve();
    // A failure costs only the saving: the next query computes what this one could not keep.
    const saving = this.write(ids, computed, generations).catch((error: unknown) => this.logger.warn({ err: error, clusters: ids.length }, 'could not keep rollups'));
    const pending: Promise<void> = saving.finally(() => {
      for (const id of ids) {
        const mine = this.pending.get(id);
        mine?.delete(pending);
        if (mine?.size === 0) this.pending.delete(id);
      }
    });
    for (const id of ids) {
      const mine = this.pending.get(id) ?? new Set();
      mine.add(pending);
      this.pending.set(id, mine);
    }
    return pending;
  }

  /** Resolves once the saves under way for clusters `ids` have finished. */
  async saved(ids: readonly string[]): Promise<void> {
    const saving = new Set(ids.flatMap((id) => [...(this.pending.get(id) ?? [])]));
    if (saving.size > 0) await Promise.all(saving);
  }

  /** Resolves once every save started so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all(new Set([...this.pending.values()].flatMap((saves) => [...saves])));
  }

  /**
   * Runs `write` in a transaction for the clusters of `ids` (live ones) whose generation is still
   * the one `prepare` returned and that no late samples marked meanwhile, their state rows locked
   * so that no invalidation can slip between the check and the write.
   */
  async keepIfCurrent(ids: readonly string[], generations: Generations, write: (tx: Queryable, current: string[]) => Promise<void>): Promise<void> {
    await this.db.transaction(async (tx) => {
      // Creates missing state rows (live accounts only), then locks them against invalidation.
      await tx.query(
        `INSERT INTO kubecost_rollup_state (cloud_account_id)
         SELECT id FROM cloud_accounts WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL ORDER BY id
         ON CONFLICT (cloud_account_id) DO NOTHING`,
        [ids],
      );
      const state = await tx.query<StateRow>(
        // Always in the same order: concurrent readers and writers lock several rows each.
        'SELECT cloud_account_id, stale_from, generation FROM kubecost_rollup_state WHERE cloud_account_id = ANY($1::uuid[]) ORDER BY cloud_account_id FOR UPDATE',
        [ids],
      );
      const current = state.filter((s) => s.stale_from === null && Number(s.generation) === (generations.get(s.cloud_account_id) ?? 0)).map((s) => s.cloud_account_id);
      if (current.length > 0) await write(tx, current);
    });
  }

  private async write(ids: readonly string[], computed: Map<string, Map<number, PieceCosts>>, generations: Generations): Promise<void> {
    const assets: Array<readonly [string, AssetCost]> = [];
    for (const id of ids) for (const piece of computed.get(id)!.values()) for (const asset of piece.assets ?? []) assets.push([id, asset]);
    const numbers = await this.assetNumbers.of(assets);
    await this.keepIfCurrent(ids, generations, async (tx, current) => {
      const hourRows: unknown[][] = [];
      const assetRows: unknown[][] = [];
      const seen = new Map<string, [first: number, last: number]>();
      for (const id of current) {
        for (const [hour, piece] of computed.get(id)!) {
          hourRows.push([
            id,
            new Date(hour),
            ...ASSET_CATEGORIES.map((c) => piece.costs[c]),
            piece.network,
            piece.intervalSeconds ?? null,
            piece.intervalAssumed > 0,
            Object.keys(piece.nonFinite).length > 0 ? JSON.stringify(piece.nonFinite) : null,
            piece.capacityMissing,
            piece.lastSampleMs === null ? null : new Date(piece.lastSampleMs),
            piece.samples,
          ]);
          const mine = (piece.assets ?? []).filter((a) => numbers.has(assetKey(id, a)));
          for (const asset of mine) {
            const number = numbers.get(assetKey(id, asset))!;
            const span = seen.get(number);
            if (!span) seen.set(number, [hour, hour]);
            else span.splice(0, 2, Math.min(span[0], hour), Math.max(span[1], hour));
          }
          if (mine.length > 0) {
            assetRows.push([id, new Date(hour), mine.map((a) => numbers.get(assetKey(id, a))), mine.map((a) => a.cpu), mine.map((a) => a.ram), mine.map((a) => a.gpu), mine.map((a) => a.cost)]);
          }
        }
      }
      // Hours first: an hour's assets refer to it.
      await insertRows(tx, 'kubecost_hourly_costs', WRITTEN, '(cloud_account_id, hour_start)', hourRows);
      await insertRows(tx, 'kubecost_hourly_asset_costs', ASSET_COLUMNS, '(cloud_account_id, hour_start)', assetRows);
      if (seen.size > 0) {
        const spans = [...seen];
        await tx.query(
          `UPDATE kubecost_assets a SET first_hour = LEAST(a.first_hour, s.first_hour), last_hour = GREATEST(a.last_hour, s.last_hour)
             FROM unnest($1::bigint[], $2::timestamptz[], $3::timestamptz[]) AS s (id, first_hour, last_hour) WHERE a.id = s.id`,
          [spans.map(([n]) => n), spans.map(([, [first]]) => new Date(first).toISOString()), spans.map(([, [, last]]) => new Date(last).toISOString())],
        );
      }
    });
  }

  /**
   * Keeps the exact last sample time found for a rolled-up hour in which the cluster stopped
   * sending (its end sees no sample; finding it again would cost a query per request).
   */
  async saveLastSample(cloudAccountId: string, hourStartMs: number, lastSampleMs: number): Promise<void> {
    this.memo.forget([cloudAccountId]);
    await this.db.query('UPDATE kubecost_hourly_costs SET last_sample_at = $3 WHERE cloud_account_id = $1 AND hour_start = $2', [
      cloudAccountId,
      new Date(hourStartMs),
      new Date(lastSampleMs),
    ]);
  }
}
