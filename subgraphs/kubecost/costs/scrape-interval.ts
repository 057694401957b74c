import { HOUR_MS, MEASURED_AFTER_END_MS } from '../../../lib/cost-rollups/closing';
import type { Bucket } from './window';

/*
 * Running time is counted in samples: each sample of an object's price series stands for one
 * scrape interval of its cluster. The interval is measured within each piece (an hour, or the
 * part of one at a range's end), so a piece costs the same in every range that holds it and a
 * cluster that changes its scrape interval is priced at the interval it had in each hour. At a
 * few instants of the piece, per series, the time between its newest sample and its newest
 * sample 20 minutes earlier divided by the samples in between (the mean spacing of a series
 * that kept sending); the median over the tenant's series, then the lower median over the
 * instants. Also over the 20 minutes before the piece's start, and once it has happened over the
 * 10 minutes after its end: an hour in which a cluster started sending or resumed after a gap
 * has no earlier sample inside it to measure from, one in which it stopped a few minutes in has
 * no later one. Rounded to whole seconds: scrape intervals are configured in seconds, and jitter
 * of a few milliseconds must not change a price.
 */

/** Kubecost's default scrape interval, assumed (with a warning) where none could be measured. */
export const DEFAULT_SCRAPE_INTERVAL_SECONDS = 60;

/** How far back each spacing measurement reaches: several samples even at 5-minute scrapes. */
const SPACING_SPAN_MS = 20 * 60_000;

/** Price series whose spacing is the cluster's scrape interval (the ones charged by sample). */
const INTERVAL_FAMILIES = ['node_cpu_hourly_cost', 'pv_hourly_cost', 'kubecost_load_balancer_cost', 'kubecost_cluster_management_cost'];

/**
 * An instant as PromQL modifiers: `at` selects it, `before` the instant one span earlier.
 * Offsets in a range query (each step measures its own hour), `@` in an instant query.
 */
export interface IntervalInstant {
  at: string;
  before: string;
  /** How far `before` lies before `at` (ms). */
  spanMs: number;
}

const offset = (ms: number) => (ms === 0 ? '' : ` offset ${ms}ms`);
const pinned = (ms: number) => ` @ ${(ms / 1000).toFixed(3)}`;

/**
 * A whole hour in a range query is evaluated this long after its last millisecond, its
 * selectors shifted back by as much: what lets it measure across its end.
 */
export const HOUR_EVALUATED_AFTER_MS = MEASURED_AFTER_END_MS;

/**
 * The instants of a whole hour evaluated HOUR_EVALUATED_AFTER_MS after its last millisecond:
 * that time (measuring the 10 minutes after the hour), its last millisecond, 20 and 40 minutes
 * earlier, and the millisecond before it started.
 */
export function hourIntervalInstants(): IntervalInstant[] {
  const shift = HOUR_EVALUATED_AFTER_MS;
  return [
    { at: '', before: offset(shift), spanMs: shift },
    ...[0, 1, 2, 3].map((k) => ({ at: offset(shift + k * SPACING_SPAN_MS), before: offset(shift + (k + 1) * SPACING_SPAN_MS), spanMs: SPACING_SPAN_MS })),
  ];
}

/**
 * The instants of a piece asked on its own: the same as a whole hour's (across its end once that
 * has happened, its last millisecond, every 20 minutes before it that is still in the piece, and
 * the millisecond before it), except that a piece reaching into
 * the future (the dashboard's presets end at the next UTC midnight) is measured up to now,
 * floored to the minute so that repeats share a cache key. A piece entirely in the future has
 * no samples and needs none.
 */
export function pieceIntervalInstants(piece: Bucket, nowMs: number): IntervalInstant[] {
  const now = Math.floor(nowMs / 60_000) * 60_000;
  if (now <= piece.startMs) return [];
  const end = Math.min(piece.endMs, now) - 1;
  const instants: IntervalInstant[] = [];
  const after = piece.endMs + MEASURED_AFTER_END_MS - 1;
  if (after < now) instants.push({ at: pinned(after), before: pinned(piece.endMs - 1), spanMs: MEASURED_AFTER_END_MS });
  for (let t = end; t >= piece.startMs && t > end - HOUR_MS; t -= SPACING_SPAN_MS) {
    instants.push({ at: pinned(t), before: pinned(t - SPACING_SPAN_MS), spanMs: SPACING_SPAN_MS });
  }
  instants.push({ at: pinned(piece.startMs - 1), before: pinned(piece.startMs - 1 - SPACING_SPAN_MS), spanMs: SPACING_SPAN_MS });
  return instants;
}

/**
 * The cluster's scrape interval at each instant, labelled `interval` with the instant's index.
 * `@ (t − span)` rather than `@ t offset span`: Prometheus 2.42's timestamp() returns nothing for
 * a selector with both modifiers.
 */
export function intervalQuery(T: string, instants: readonly IntervalInstant[]): string {
  return instants
    .map(({ at, before, spanMs }, i) => {
      const spacing = INTERVAL_FAMILIES.map(
        (metric) =>
          `label_replace((timestamp(${metric}{${T}}${at}) - timestamp(${metric}{${T}}${before})) / count_over_time(${metric}{${T}}[${spanMs - 1}ms]${at}), "family", "${metric}", "", "")`,
      ).join(' or ');
      return `label_replace(quantile by (tenant_id) (0.5, ${spacing}), "interval", "${i}", "", "")`;
    })
    .join(' or ');
}

/**
 * The scrape interval in seconds from the per-instant medians (seconds), or null when no
 * instant saw the cluster sending. The (lower) median of the instants, so that an instant just
 * after a gap, where the spacing spans the gap, does not count.
 */
export function scrapeIntervalSeconds(measured: readonly number[]): number | null {
  const values = measured.filter((v) => Number.isFinite(v) && v > 0).sort((a, b) => a - b);
  if (values.length === 0) return null;
  return Math.max(1, Math.round(values[Math.floor((values.length - 1) / 2)]));
}
