import { HOUR_MS, hourStartOf, MEASURED_AFTER_END_MS } from '../../../lib/cost-rollups/closing';
import type { Bucket } from './window';

/*
 * Running time is counted in samples: each sample of an object's price series stands for one
 * scrape interval of its cluster. The interval belongs to the hour holding a piece, so a piece
 * costs the same in every range that holds it and a cluster that changes its scrape interval is
 * priced at the interval it had in each hour.
 *
 * A series present throughout an hour (a sample in every 5-minute slot of it: the store's
 * lookback, so every interval PromQL can work with; and in its first and last slots as many as
 * in its average slot, less one) has one sample per interval: the hour's
 * interval is 3600 s over the most samples such a series has. An hour in which no series was
 * present throughout (the cluster started, stopped or had a gap in it) takes the interval of the
 * hour before when that one was, or else of the 10 minutes after it (600 s over the samples of a
 * series present in both of their 5-minute slots), once those have passed. Rounded to whole
 * seconds: scrape intervals are configured in seconds.
 *
 * Only range functions over raw selectors: `timestamp()` of a selector in a range query
 * re-reads every series at every step (Prometheus 2.42), some 90 µs per series and hour.
 */

/** Kubecost's default scrape interval, assumed (with a warning) where none could be measured. */
export const DEFAULT_SCRAPE_INTERVAL_SECONDS = 60;

/** Price series whose spacing is the cluster's scrape interval (the ones charged by sample). */
const INTERVAL_FAMILIES = ['node_cpu_hourly_cost', 'pv_hourly_cost', 'kubecost_load_balancer_cost', 'kubecost_cluster_management_cost'];

/**
 * Where an hour's interval is measured, evaluated at the hour's end + MEASURED_AFTER_END_MS (E):
 * the offsets from E of each window's last millisecond.
 */
const SOURCES = {
  hour: { lengthMs: HOUR_MS, endOffsetMs: MEASURED_AFTER_END_MS + 1, seconds: 3600 },
  previous: { lengthMs: HOUR_MS, endOffsetMs: MEASURED_AFTER_END_MS + HOUR_MS + 1, seconds: 3600 },
  after: { lengthMs: MEASURED_AFTER_END_MS, endOffsetMs: 1, seconds: MEASURED_AFTER_END_MS / 1000 },
} as const;
export type IntervalSource = keyof typeof SOURCES;
const PRESENCE_SLOT_MS = 300_000;

/** When an hour's interval parts are evaluated: its end plus the 10 minutes measured after it. */
export const intervalEvaluationOf = (hourStartMs: number) => hourStartMs + HOUR_MS + MEASURED_AFTER_END_MS;

/**
 * Per tenant and source (label `interval_from`), the most samples of any series present
 * throughout that source's window. `at(offsetMs)` places a selector `offsetMs` before E: an
 * `offset` in a range query whose steps are E, an `@` in an instant query. `withAfter` false
 * leaves out the 10 minutes after the hour (not happened yet).
 */
export function intervalQuery(T: string, at: (offsetMs: number) => string, withAfter = true, withHour = true): string {
  const sources = (Object.keys(SOURCES) as IntervalSource[]).filter((s) => (withAfter || s !== 'after') && (withHour || s !== 'hour'));
  return sources
    .map((source) => {
      const { lengthMs, endOffsetMs } = SOURCES[source];
      const perFamily = INTERVAL_FAMILIES.map((metric) => {
        const samples = `count_over_time(${metric}{${T}}[${lengthMs - 1}ms]${at(endOffsetMs)})`;
        // Subquery steps fall on 5-minute multiples up to the window's end (its end + 1 ms); a
        // slot without samples has no point at all, so the slots with samples are counted.
        const slots = lengthMs / PRESENCE_SLOT_MS;
        const everySlot = `count_over_time(count_over_time(${metric}{${T}}[${PRESENCE_SLOT_MS}ms])[${lengthMs}ms:${PRESENCE_SLOT_MS}ms]${at(endOffsetMs - 1)}) >= ${slots}`;
        // A slot's lookback reaches back to the slot before, so a series that started (or
        // stopped) within the window's first (last) 5 minutes still has a point in every slot;
        // its first and last slots must hold as many samples as the window's average slot, less
        // one, or its samples would stand for the whole window and stretch the interval.
        const slot = (offsetMs: number) => `count_over_time(${metric}{${T}}[${PRESENCE_SLOT_MS - 1}ms]${at(offsetMs)})`;
        const full = (offsetMs: number) => `${slot(offsetMs)} >= ${samples} / ${slots} - 1`;
        return `label_replace(${samples} and ${everySlot} and ${full(endOffsetMs + lengthMs - PRESENCE_SLOT_MS)} and ${full(endOffsetMs)}, "family", "${metric}", "", "")`;
      });
      return `label_replace(max by (tenant_id) (${perFamily.join(' or ')}), "interval_from", "${source}", "", "")`;
    })
    .join(' or ');
}

/** The modifiers for a range query evaluated at each hour's intervalEvaluationOf. */
export const offsetFromEvaluation = (offsetMs: number) => (offsetMs === 0 ? '' : ` offset ${offsetMs}ms`);

/**
 * The modifiers for an instant query about the hour holding `piece`, whether the hour has ended
 * (an hour still going has a sample in every 5-minute slot from its 55th minute on, but not an
 * hour's samples: counting them as one would stretch its interval) and whether its "after" has
 * happened.
 */
export function pinnedForPiece(piece: Bucket, nowMs: number): { at: (offsetMs: number) => string; withHour: boolean; withAfter: boolean } {
  const hour = hourStartOf(piece.startMs);
  const evaluation = intervalEvaluationOf(hour);
  const now = Math.floor(nowMs / 60_000) * 60_000;
  return {
    at: (offsetMs) => ` @ ${((evaluation - offsetMs) / 1000).toFixed(3)}`,
    withHour: hour + HOUR_MS <= now,
    withAfter: evaluation <= now,
  };
}

/**
 * The interval in seconds from the most samples per source, or null when no source had a
 * series present throughout: the hour's own, else the hour before's, else the 10 minutes after.
 */
export function scrapeIntervalSeconds(samples: Partial<Record<IntervalSource, number>>): number | null {
  for (const source of ['hour', 'previous', 'after'] as const) {
    const count = samples[source];
    if (count !== undefined && Number.isFinite(count) && count > 0) return Math.max(1, Math.round(SOURCES[source].seconds / count));
  }
  return null;
}
