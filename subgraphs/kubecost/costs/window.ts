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
  /** Subquery resolution in seconds: each subquery point stands for this much running time. */
  resolutionSeconds: number;
  hours: number;
}

/** Subquery points per window: fine enough that boundary rounding stays under ~0.1%. */
const POINTS = 1440;

export function costWindow(from: Date, to: Date): Window {
  const fromMs = from.getTime();
  const toMs = to.getTime();
  const length = toMs - fromMs;
  // Whole minutes between 1 minute and 1 hour, so points sit on minute boundaries like scrapes do.
  const resolutionSeconds = Math.min(3600, Math.max(60, Math.ceil(length / POINTS / 60_000) * 60));
  return { fromMs, toMs, evalMs: toMs - 1, range: `${length - 1}ms`, resolutionSeconds, hours: length / 3_600_000 };
}

/** `[range:resolution]` for subqueries over the window. */
export function subquery(window: Window): string {
  return `[${window.range}:${window.resolutionSeconds}s]`;
}
