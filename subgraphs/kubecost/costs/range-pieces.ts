import { HOUR_MS, isHourClosed } from '../../../lib/cost-rollups/closing';
import type { ThanosClient } from '../promql/thanos-client';
import { tenantSelector } from '../promql/matchers';
import type { RollupStore } from '../rollups/rollup-store';
import { emptyPiece, loadDirectPieces, loadLastSampleIn, loadWholeHours, type PieceCosts } from './pieces';
import { intervalInstants } from './scrape-interval';
import { seriesBuckets, type Bucket } from './window';

export interface RangePieces {
  /** The range cut at every UTC hour, in order. */
  pieces: Bucket[];
  /** Per cluster, the costs of each piece (same order). */
  costs: Map<string, PieceCosts[]>;
  /** Per cluster, its scrape interval measured at a few instants of the range (seconds). */
  intervals: Map<string, number[]>;
  /** Per cluster, the newest sample inside the range, or null. */
  lastSampleMs: Map<string, number | null>;
  /** Per cluster, egress cost over the range; null without egress counters. */
  network: Map<string, number | null>;
}

export interface RangePiecesOptions {
  /** Where closed hours are kept; without it every hour is computed from the store. */
  rollups?: RollupStore;
  nowMs?: number;
}

/**
 * The pieces of [fromMs, toMs) for a batch of clusters. Closed whole hours come from the
 * rollup store; those it lacks are computed together in one range query and stored. The rest
 * (partial hours at the ends, hours not closed yet), the scrape interval and the network cost
 * come from one instant query. A range over a month of closed hours thus costs the store one small query,
 * whatever its length.
 */
export async function loadRangePieces(client: ThanosClient, ids: readonly string[], fromMs: number, toMs: number, options: RangePiecesOptions = {}): Promise<RangePieces> {
  const nowMs = options.nowMs ?? Date.now();
  const pieces = seriesBuckets(fromMs, toMs, HOUR_MS);
  const closed = (p: Bucket) => p.endMs - p.startMs === HOUR_MS && isHourClosed(p.startMs, nowMs);
  const closedHours = pieces.filter(closed).map((p) => p.startMs);
  const direct = pieces.filter((p) => !closed(p));
  const T = tenantSelector(ids);

  const hours = new Map<string, Map<number, PieceCosts>>(ids.map((id) => [id, new Map()]));
  if (closedHours.length > 0) {
    const first = closedHours[0];
    const end = closedHours[closedHours.length - 1] + HOUR_MS;
    const stored = options.rollups ? await options.rollups.load(ids, first, end) : undefined;
    const lacking = ids.filter((id) => (stored?.hours.get(id)?.size ?? 0) < closedHours.length);
    for (const id of ids) for (const [hour, piece] of stored?.hours.get(id) ?? []) hours.get(id)!.set(hour, piece);
    if (lacking.length > 0) {
      // One request for every cluster that lacks an hour, over the span of what is lacking.
      const missing = closedHours.filter((hour) => lacking.some((id) => !hours.get(id)!.has(hour)));
      const from = missing[0];
      const to = missing[missing.length - 1] + HOUR_MS;
      const computed = await loadWholeHours(client, tenantSelector(lacking), lacking, from, to);
      const fresh = new Map<string, Map<number, PieceCosts>>();
      for (const id of lacking) {
        const mine = new Map<number, PieceCosts>();
        for (const [hour, piece] of computed.get(id)!) {
          if (hours.get(id)!.has(hour) || !closedHours.includes(hour)) continue;
          hours.get(id)!.set(hour, piece);
          mine.set(hour, piece);
        }
        fresh.set(id, mine);
      }
      if (options.rollups && stored) await options.rollups.save(fresh, stored.generations);
    }
  }

  // The newest sample at the range's end, or now when the range reaches into the future.
  const lastAt = Math.min(toMs, Math.floor(nowMs / 60_000) * 60_000) - 1;
  const live = await loadDirectPieces(client, T, ids, direct, intervalInstants(fromMs, toMs, nowMs), lastAt, { startMs: fromMs, endMs: toMs });

  const costs = new Map<string, PieceCosts[]>();
  const lastSampleMs = new Map<string, number | null>();
  const refine = new Map<number, string[]>();
  for (const id of ids) {
    let d = 0;
    const mine = pieces.map((p) => (closed(p) ? (hours.get(id)!.get(p.startMs) ?? emptyPiece()) : live.pieces.get(id)![d++]));
    costs.set(id, mine);
    const atEnd = live.lastSampleMs.get(id);
    if (atEnd !== undefined && atEnd >= fromMs && atEnd < toMs) {
      lastSampleMs.set(id, atEnd);
      continue;
    }
    // Stopped sending before the range's end: the newest piece with samples holds the last one.
    let newest = -1;
    for (let i = mine.length - 1; i >= 0 && newest < 0; i--) if (mine[i].samples > 0) newest = i;
    if (newest < 0) lastSampleMs.set(id, null);
    else if (mine[newest].lastSampleMs !== null) lastSampleMs.set(id, mine[newest].lastSampleMs);
    else refine.set(newest, [...(refine.get(newest) ?? []), id]);
  }
  // Rare: the sending stopped in the middle of a piece, whose end sees no sample any more. Once
  // found for a rolled-up hour, the time is kept with it.
  await Promise.all(
    [...refine].map(async ([index, tenants]) => {
      const piece = pieces[index];
      const found = await loadLastSampleIn(client, tenantSelector(tenants), tenants, piece);
      for (const id of tenants) {
        const ms = found.get(id) ?? null;
        lastSampleMs.set(id, ms);
        costs.get(id)![index].lastSampleMs = ms;
        if (ms !== null && closed(piece) && options.rollups) await options.rollups.saveLastSample(id, piece.startMs, ms);
      }
    }),
  );
  return { pieces, costs, intervals: live.intervals, lastSampleMs, network: live.network };
}
