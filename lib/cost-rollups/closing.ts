/*
 * When an hour of a cluster's cost is final enough to be computed once and kept (a rollup),
 * and what makes it stale again. Shared by the kubecost subgraph, which computes rollups, and
 * ingest, which sees every sample's timestamp and so knows when data arrives for a closed hour.
 */

export const HOUR_MS = 3_600_000;

/**
 * How long after its end an hour closes: remote write delivers samples seconds to a minute
 * after they are taken, and a queue that caught up after a short outage a few minutes more.
 * Anything later is late data (an agent replaying its WAL, a backfill) and reopens the hour.
 */
export const CLOSE_AFTER_MS = 15 * 60_000;

export const hourStartOf = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;

/** Whether the hour starting at `hourStartMs` is closed at `nowMs`. */
export const isHourClosed = (hourStartMs: number, nowMs: number) => hourStartMs + HOUR_MS + CLOSE_AFTER_MS <= nowMs;
