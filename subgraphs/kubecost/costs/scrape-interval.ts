/*
 * Running time is counted in samples: each sample of an object's price series stands for one
 * scrape interval of its cluster. The interval is the cluster's median sample spacing, measured
 * at a few instants of the range (scrapeIntervalQuery). Adjacent windows add up to their union
 * only if they find the same interval: it is rounded to whole seconds (scrape intervals are
 * configured in seconds; jitter of a few milliseconds must not make two windows disagree), so
 * windows agree for a cluster whose scrape interval stays the same. One that changes its
 * interval within a range is priced at the median of the instants.
 */

/** Instants per range at which the interval is measured: some fall where the cluster was sending. */
const INSTANTS = 6;

/** Kubecost's default scrape interval, assumed (with a warning) when none could be measured. */
export const DEFAULT_SCRAPE_INTERVAL_SECONDS = 60;

/**
 * Instants spread evenly over the part of [from, to) that has happened, the last just before
 * its end. A range that reaches into the future (the dashboard's presets end at the next UTC
 * midnight) is measured up to now, floored to the minute so that repeats share a cache key:
 * instants in the future find no sample, and a cluster connected since the previous instant
 * would get no measured interval at all.
 */
export function intervalInstants(fromMs: number, toMs: number, nowMs = Date.now()): number[] {
  const now = Math.floor(nowMs / 60_000) * 60_000;
  const endMs = now > fromMs && now < toMs ? now : toMs;
  const length = endMs - fromMs;
  const instants = new Set<number>();
  for (let k = 0; k < INSTANTS; k++) instants.add(endMs - 1 - Math.floor((k * length) / INSTANTS));
  return [...instants];
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
