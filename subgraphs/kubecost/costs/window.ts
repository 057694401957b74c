/**
 * A cost window [from, to) turned into the pieces PromQL needs. Prometheus 2.x range
 * selectors include both ends, so the window is evaluated at `to - 1ms` over `length - 1ms`:
 * a sample exactly at `to` belongs to the next window, never to both.
 */
export interface Window {
  fromMs: number;
  toMs: number;
  /** Evaluation time of the instant queries (ms). */
  evalMs: number;
  /** Range selector covering [from, to) exactly, e.g. `86399999ms`. */
  range: string;
  /**
   * Subquery resolution in seconds, for what is still integrated point by point (namespace
   * allocation, usage, the last sample time); asset running time counts samples instead.
   */
  resolutionSeconds: number;
  hours: number;
}

/** Subquery points per window: fine enough that boundary rounding stays under ~0.1%. */
const POINTS = 1440;

/**
 * Resolutions (seconds) that divide an hour, and so a day: subquery points, which Prometheus
 * places on multiples of the resolution, then fall on every hour and day boundary, and the
 * points of a window are exactly the union of the points of its HOUR or DAY buckets.
 */
const RESOLUTIONS = [60, 120, 180, 240, 300, 360, 600, 720, 900, 1200, 1800, 3600];

export function costWindow(from: Date, to: Date): Window {
  const fromMs = from.getTime();
  const toMs = to.getTime();
  const length = toMs - fromMs;
  const wanted = length / POINTS / 1000;
  const resolutionSeconds = RESOLUTIONS.find((r) => r >= wanted) ?? 3600;
  return { fromMs, toMs, evalMs: toMs - 1, range: `${length - 1}ms`, resolutionSeconds, hours: length / 3_600_000 };
}

/** `[range:resolution]` for subqueries over the window. */
export function subquery(window: Window): string {
  return `[${window.range}:${window.resolutionSeconds}s]`;
}

export interface Bucket {
  startMs: number;
  endMs: number;
}

/**
 * The buckets of a series over [from, to): UTC hours or days, the first and last clipped to
 * the range, so that buckets tile the range exactly and their costs add up to the total.
 */
export function seriesBuckets(fromMs: number, toMs: number, stepMs: number): Bucket[] {
  const buckets: Bucket[] = [];
  for (let start = fromMs; start < toMs; ) {
    const end = Math.min(toMs, (Math.floor(start / stepMs) + 1) * stepMs);
    buckets.push({ startMs: start, endMs: end });
    start = end;
  }
  return buckets;
}

/** How many buckets seriesBuckets would return, without building them. */
export function seriesBucketCount(fromMs: number, toMs: number, stepMs: number): number {
  return Math.ceil(toMs / stepMs) - Math.floor(fromMs / stepMs);
}
