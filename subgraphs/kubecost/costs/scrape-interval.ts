/*
 * Running time is counted in samples: each sample of an object's price series stands for one
 * scrape interval of its cluster. The interval is the cluster's median sample spacing, measured
 * at a few instants of the range (scrapeIntervalQuery), and must not depend on the window,
 * or the costs of adjacent windows would not add up to the cost of their union: it is rounded
 * to whole seconds (scrape intervals are configured in seconds; jitter of a few milliseconds
 * must not make two windows disagree).
 */

/** Instants per range at which the interval is measured: some fall where the cluster was sending. */
const INSTANTS = 6;

/** Kubecost's default scrape interval, assumed (with a warning) when none could be measured. */
export const DEFAULT_SCRAPE_INTERVAL_SECONDS = 60;

/** Instants spread evenly over [from, to), the last at `to - 1ms` (the window's evaluation time). */
export function intervalInstants(fromMs: number, toMs: number): number[] {
  const length = toMs - fromMs;
  const instants = new Set<number>();
  for (let k = 0; k < INSTANTS; k++) instants.add(toMs - 1 - Math.floor((k * length) / INSTANTS));
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
