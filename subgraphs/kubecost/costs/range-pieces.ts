import { HOUR_MS, isHourClosed } from '../../../lib/cost-rollups/closing';
import type { Promql } from '../promql/thanos-client';
import { tenantSelector } from '../promql/matchers';
import { everyGroupComplete, type RollupStore } from '../rollups/rollup-store';
import type { QueryBudget } from './query-budget';
import { combinePieces, emptyPiece, intervalHourOf, loadDirectPieces, loadLastSampleIn, loadWholeHours, type PieceCosts } from './pieces';
import { seriesBuckets, type Bucket } from './window';

export interface RangePieces {
  /**
   * The range in order: pieces asked of PromQL on each request (partial hours, hours still
   * open) and groups of closed hours, each group inside one UTC bucket of `groupMs`.
   */
  parts: Bucket[];
  /** Per cluster, the costs of each part (same order). */
  costs: Map<string, PieceCosts[]>;
  /** Per cluster, the newest sample inside the range, or null. */
  lastSampleMs: Map<string, number | null>;
}

export interface RangePiecesOptions {
  /** Where closed hours are kept; without it every hour is computed from the store. */
  rollups?: RollupStore;
  /** Charged the cluster-hours asked of PromQL, before they are asked. */
  budget?: QueryBudget;
  nowMs?: number;
}

/** Closed hours are summed per UTC bucket of this size; without one, into a single group. */
const ONE_GROUP_MS = Number.MAX_SAFE_INTEGER;

/**
 * The range [fromMs, toMs) of a batch of clusters, cut at every UTC hour. Closed whole hours are
 * summed per bucket of `groupMs` (a series' step; the whole range for a total): from the rollup
 * store, in the database, when it holds them all; those it lacks are computed together in one
 * range query and stored. The rest (partial hours at the ends, hours not closed yet) come from
 * instant queries (loadDirectPieces). A month of closed hours thus costs the store one or two
 * small queries and the database one aggregate (kept in memory), whatever the fleet.
 */
export async function loadRangePieces(
  client: Promql,
  ids: readonly string[],
  fromMs: number,
  toMs: number,
  groupMs: number = ONE_GROUP_MS,
  options: RangePiecesOptions = {},
): Promise<RangePieces> {
  const nowMs = options.nowMs ?? Date.now();
  const hourPieces = seriesBuckets(fromMs, toMs, HOUR_MS);
  const isClosed = (p: Bucket) => p.endMs - p.startMs === HOUR_MS && isHourClosed(p.startMs, nowMs);
  const closedHours = hourPieces.filter(isClosed).map((p) => p.startMs);
  const direct = hourPieces.filter((p) => !isClosed(p));
  // Closed hours are contiguous (whole hours between the partial first one and the open ones).
  const closedFrom = closedHours[0];
  const closedTo = closedHours.length > 0 ? closedHours[closedHours.length - 1] + HOUR_MS : closedFrom;
  const groups = closedHours.length > 0 ? seriesBuckets(closedFrom, closedTo, groupMs) : [];
  const groupKey = (ms: number) => Math.floor(ms / groupMs);

  // What is computed on every request: the clusters × the hours of the pieces not closed.
  options.budget?.charge((ids.length * direct.reduce((sum, p) => sum + (p.endMs - p.startMs), 0)) / HOUR_MS);
  const grouped = new Map<string, Map<number, PieceCosts>>(ids.map((id) => [id, new Map()]));
  if (groups.length > 0) {
    const generations = options.rollups ? await options.rollups.prepare(ids) : undefined;
    const sums = options.rollups ? await options.rollups.sums(ids, closedFrom, closedTo, groupMs, generations) : undefined;
    const lacking = ids.filter((id) => !everyGroupComplete(sums?.get(id), closedFrom, closedTo, groupMs));
    // Copies: the sums may be shared with other requests (sums-memo.ts).
    for (const id of ids) if (!lacking.includes(id)) for (const [key, group] of sums!.get(id)!) grouped.get(id)!.set(key, { ...group.costs });
    if (lacking.length > 0) {
      const { hours } = await lackingHours(client, lacking, closedHours, options, generations);
      for (const id of lacking) {
        const byGroup = new Map<number, Array<[number, PieceCosts]>>();
        for (const hour of closedHours) {
          const list = byGroup.get(groupKey(hour)) ?? [];
          list.push([hour, hours.get(id)!.get(hour)!]);
          byGroup.set(groupKey(hour), list);
        }
        for (const [key, list] of byGroup) grouped.get(id)!.set(key, combinePieces(list));
      }
    }
  }

  // The newest sample at the range's end, or now when the range reaches into the future.
  const lastAt = Math.min(toMs, Math.floor(nowMs / 60_000) * 60_000) - 1;
  // Hours rolled up meanwhile hold the interval that prices the direct pieces.
  const known = options.rollups ? await options.rollups.intervals(ids, [...new Set(direct.map((p) => intervalHourOf(p, nowMs)))]) : undefined;
  const live = await loadDirectPieces(client, tenantSelector(ids), ids, direct, lastAt, nowMs, known);

  // Parts in order: direct pieces before the closed hours, the groups, direct pieces after.
  const parts = [...direct.filter((p) => p.startMs < closedFrom), ...groups, ...direct.filter((p) => !(p.startMs < closedFrom))];
  const costs = new Map<string, PieceCosts[]>();
  const lastSampleMs = new Map<string, number | null>();
  const refine = new Map<string, { piece: Bucket; part: number; tenants: string[] }>();
  for (const id of ids) {
    const mine = live.pieces.get(id)!;
    const before = direct.filter((p) => p.startMs < closedFrom).length;
    const list = [...mine.slice(0, before), ...groups.map((g) => grouped.get(id)!.get(groupKey(g.startMs)) ?? emptyPiece()), ...mine.slice(before)];
    costs.set(id, list);
    const atEnd = live.lastSampleMs.get(id);
    if (atEnd !== undefined && atEnd >= fromMs && atEnd < toMs) {
      lastSampleMs.set(id, atEnd);
      continue;
    }
    // Stopped sending before the range's end: the newest part with samples holds the last one.
    let newest = -1;
    for (let i = list.length - 1; i >= 0 && newest < 0; i--) if (list[i].samples > 0) newest = i;
    if (newest < 0) {
      lastSampleMs.set(id, null);
      continue;
    }
    if (list[newest].lastSampleMs !== null) {
      lastSampleMs.set(id, list[newest].lastSampleMs);
      continue;
    }
    const hour = list[newest].newestSampledHourMs;
    const piece = hour === undefined || hour === null ? parts[newest] : { startMs: hour, endMs: hour + HOUR_MS };
    const key = `${piece.startMs}:${piece.endMs}`;
    const entry = refine.get(key) ?? { piece, part: newest, tenants: [] };
    entry.tenants.push(id);
    refine.set(key, entry);
  }
  // Rare: the sending stopped in the middle of an hour, whose end sees no sample any more. Once
  // found for a rolled-up hour, the time is kept with it.
  await Promise.all(
    [...refine.values()].map(async ({ piece, part, tenants }) => {
      const found = await loadLastSampleIn(client, tenantSelector(tenants), tenants, piece);
      for (const id of tenants) {
        const ms = found.get(id) ?? null;
        lastSampleMs.set(id, ms);
        costs.get(id)![part].lastSampleMs = ms;
        if (ms !== null && isClosed(piece) && options.rollups) await options.rollups.saveLastSample(id, piece.startMs, ms);
      }
    }),
  );
  return { parts, costs, lastSampleMs };
}

/**
 * Every closed hour of clusters the rollup store does not hold them all for: the stored ones,
 * and the rest computed in one range query over the span of what is missing, then stored (how
 * many cluster-hours that was: `computed`).
 */
async function lackingHours(
  client: Promql,
  ids: readonly string[],
  closedHours: readonly number[],
  { rollups, budget }: RangePiecesOptions,
  generations: Map<string, number> | undefined,
): Promise<{ hours: Map<string, Map<number, PieceCosts>>; computed: number; saved: Promise<void> }> {
  const end = closedHours[closedHours.length - 1] + HOUR_MS;
  const hours = rollups ? await rollups.hours(ids, closedHours[0], end) : new Map(ids.map((id) => [id, new Map<number, PieceCosts>()]));
  const missing = closedHours.filter((hour) => ids.some((id) => !hours.get(id)!.has(hour)));
  if (missing.length === 0) return { hours, computed: 0, saved: Promise.resolve() };
  budget?.charge(ids.length * ((missing[missing.length - 1] - missing[0]) / HOUR_MS + 1));
  const computed = await loadWholeHours(client, tenantSelector(ids), ids, missing[0], missing[missing.length - 1] + HOUR_MS);
  const fresh = new Map<string, Map<number, PieceCosts>>();
  for (const id of ids) {
    const mine = new Map<number, PieceCosts>();
    for (const hour of missing) {
      if (hours.get(id)!.has(hour)) continue;
      const piece = computed.get(id)!.get(hour)!;
      hours.get(id)!.set(hour, piece);
      mine.set(hour, piece);
    }
    fresh.set(id, mine);
  }
  // Not waited for by a query: storing a month of a fleet's hours is not part of its answer.
  const saved = rollups && generations ? rollups.save(fresh, generations) : Promise.resolve();
  return { hours, computed: [...fresh.values()].reduce((sum, mine) => sum + mine.size, 0), saved };
}

/**
 * Makes sure every closed hour of [fromMs, toMs) is rolled up for `ids`: what the store lacks is
 * computed in one range query and kept. The number of cluster-hours computed.
 */
export async function rollUpClosedHours(client: Promql, ids: readonly string[], fromMs: number, toMs: number, rollups: RollupStore, nowMs = Date.now()): Promise<number> {
  const closedHours = seriesBuckets(fromMs, toMs, HOUR_MS)
    .filter((p) => p.endMs - p.startMs === HOUR_MS && isHourClosed(p.startMs, nowMs))
    .map((p) => p.startMs);
  if (closedHours.length === 0 || ids.length === 0) return 0;
  const generations = await rollups.prepare(ids);
  const end = closedHours[closedHours.length - 1] + HOUR_MS;
  const sums = await rollups.sums(ids, closedHours[0], end, ONE_GROUP_MS);
  const lacking = ids.filter((id) => (sums.get(id)?.get(0)?.hours ?? 0) < closedHours.length);
  if (lacking.length === 0) return 0;
  const { computed, saved } = await lackingHours(client, lacking, closedHours, { rollups }, generations);
  await saved;
  return computed;
}
