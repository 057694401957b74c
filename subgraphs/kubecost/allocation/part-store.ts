import { LRUCache } from 'lru-cache';
import type { Database } from '../../../lib/db/database';
import { silentLogger, type Logger } from '../../../lib/log';
import type { Bucket } from '../costs/window';
import { insertRows, type Generations, type RollupStore } from '../rollups/rollup-store';
import type { PartInputs } from './part-inputs';

/*
 * Closed parts of clusters' allocation (whole UTC hours and days) in PostgreSQL, where every
 * kubecost replica sees them (migration 019), and the ones read or computed lately in memory.
 * They share the cost rollups' staleness (rollup-store.ts): late samples make the rollup store
 * throw away a cluster's parts from the marked hour on and move its generation; a part is kept
 * only under the generation it was computed at, in memory as in the database.
 */

const spanKey = (part: Bucket) => `${part.startMs}:${part.endMs}`;

/** Per cluster, its parts found, by start. */
export type FoundParts = Map<string, Map<number, PartInputs>>;

const sizeOf = (part: PartInputs) =>
  1 + part.onNodes.length + part.perPod.length + part.loadBalancers.length + part.podOwners.length + part.replicaSetOwners.length + part.jobOwners.length + part.podLabels.length + part.namespaceLabels.length;

export class AllocationPartStore {
  /**
   * Parsed parts by cluster, generation and resolution, then by span (one lookup per cluster, not
   * per part); sized in entries (a pod on a node, an owner, ...).
   */
  private readonly memory: LRUCache<string, Map<string, PartInputs>>;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly db: Database,
    private readonly rollups: RollupStore,
    private readonly logger: Logger = silentLogger,
    maxEntries = 2_000_000,
  ) {
    this.memory = new LRUCache({ maxSize: maxEntries, sizeCalculation: (parts) => [...parts.values()].reduce((sum, part) => sum + sizeOf(part), 1) });
  }

  /**
   * The parts of `parts` (closed ones) kept for each cluster at `resolutionSeconds`, with the
   * generations `RollupStore.prepare` returned: from memory, and what memory lacks from the
   * database in one query. The returned parts are shared and must not be changed.
   */
  async get(ids: readonly string[], resolutionSeconds: number, parts: readonly Bucket[], generations: Generations): Promise<FoundParts> {
    const found: FoundParts = new Map(ids.map((id) => [id, new Map()]));
    const lacking: string[] = [];
    for (const id of ids) {
      const mine = found.get(id)!;
      const memory = this.memory.get(this.key(id, generations, resolutionSeconds));
      for (const part of parts) {
        const kept = memory?.get(spanKey(part));
        if (kept) mine.set(part.startMs, kept);
      }
      if (mine.size < parts.length) lacking.push(id);
    }
    if (lacking.length === 0 || parts.length === 0) return found;
    const wanted = new Set(parts.map(spanKey));
    const rows = await this.db.query<{ cloud_account_id: string; part_start: Date; part_end: Date; inputs: PartInputs | string }>(
      `SELECT cloud_account_id, part_start, part_end, inputs FROM kubecost_allocation_parts
        WHERE cloud_account_id = ANY($1::uuid[]) AND resolution_seconds = $2 AND part_start >= $3 AND part_end <= $4`,
      [lacking, resolutionSeconds, new Date(parts[0].startMs), new Date(parts[parts.length - 1].endMs)],
    );
    const read = new Map<string, Array<[Bucket, PartInputs]>>();
    for (const row of rows) {
      const part = { startMs: new Date(row.part_start).getTime(), endMs: new Date(row.part_end).getTime() };
      if (!wanted.has(spanKey(part))) continue;
      const inputs = typeof row.inputs === 'string' ? (JSON.parse(row.inputs) as PartInputs) : row.inputs;
      found.get(row.cloud_account_id)!.set(part.startMs, inputs);
      const mine = read.get(row.cloud_account_id);
      if (mine) mine.push([part, inputs]);
      else read.set(row.cloud_account_id, [[part, inputs]]);
    }
    for (const [id, mine] of read) this.remember(id, generations, resolutionSeconds, mine);
    return found;
  }

  /**
   * Keeps newly computed closed parts: in memory at once, and in the database for the clusters
   * whose generation has not moved since `prepare`. Keeping them is a saving, not part of an
   * answer: a failure is logged, and the next request computes them again.
   */
  save(computed: ReadonlyMap<string, ReadonlyArray<readonly [Bucket, PartInputs]>>, resolutionSeconds: number, generations: Generations): Promise<void> {
    const ids = [...computed.keys()].filter((id) => computed.get(id)!.length > 0);
    if (ids.length === 0) return Promise.resolve();
    for (const id of ids) this.remember(id, generations, resolutionSeconds, computed.get(id)!);
    const saving = this.rollups
      .keepIfCurrent(ids, generations, async (tx, current) => {
        const rows = current.flatMap((id) => computed.get(id)!.map(([part, inputs]) => [id, resolutionSeconds, new Date(part.startMs), new Date(part.endMs), JSON.stringify(inputs)]));
        await insertRows(tx, 'kubecost_allocation_parts', ['cloud_account_id', 'resolution_seconds', 'part_start', 'part_end', 'inputs'], '(cloud_account_id, resolution_seconds, part_start, part_end)', rows);
      })
      .catch((error: unknown) => this.logger.warn({ err: error, clusters: ids.length }, 'could not keep allocation parts'))
      .finally(() => this.pending.delete(saving));
    this.pending.add(saving);
    return saving;
  }

  /** Resolves once every save started so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private remember(id: string, generations: Generations, resolutionSeconds: number, parts: ReadonlyArray<readonly [Bucket, PartInputs]>): void {
    const key = this.key(id, generations, resolutionSeconds);
    const memory = new Map(this.memory.get(key));
    for (const [part, inputs] of parts) memory.set(spanKey(part), inputs);
    // Set again (a copy), so that the cache counts its new size.
    this.memory.set(key, memory);
  }

  private key(id: string, generations: Generations, resolutionSeconds: number): string {
    return `${id}:${generations.get(id) ?? 0}:${resolutionSeconds}`;
  }
}
