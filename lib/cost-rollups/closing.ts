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

/**
 * An hour's scrape interval is also measured across its end, with samples up to this long
 * after it (so that an hour in which a cluster resumed sending late still gets one): shorter
 * than CLOSE_AFTER_MS, so a closed hour has them all.
 */
export const MEASURED_AFTER_END_MS = 10 * 60_000;

/** The oldest hour whose rollup reads a sample taken at `sampleMs`. */
export const oldestHourReading = (sampleMs: number) => hourStartOf(sampleMs - MEASURED_AFTER_END_MS);

/** Whether the hour starting at `hourStartMs` is closed at `nowMs`. */
export const isHourClosed = (hourStartMs: number, nowMs: number) => hourStartMs + HOUR_MS + CLOSE_AFTER_MS <= nowMs;
