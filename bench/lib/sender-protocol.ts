/** Messages between the benchmark and its load-generating child process (see sender.ts). */

export interface LoadJob {
  kind: 'load';
  url: string;
  authorization?: string;
  /** Concurrent senders, each with a keep-alive connection and series of its own. */
  senders: number;
  seriesPerRequest: number;
  samplesPerSeries: number;
  /** Goes into every pod label: unique per run, so runs never write the same series. */
  tag: string;
  /** A `tenant_id` label already on every series (the worker replaces it with its own). */
  tenantLabel?: string;
  durationMs: number;
  /** Timestamp of the first sample; each series then advances by `stepMs` per sample. */
  baseTimestamp: number;
  stepMs: number;
  /** Bodies compressed per sender before the clock starts; later ones are made on the fly. */
  pregenerate: number;
  /** Processes whose CPU time is measured over the window (the sender always is). */
  watch: Record<string, number>;
}

export interface LoadResult {
  requests: number;
  ok: number;
  okSamples: number;
  okBytes: number;
  elapsedMs: number;
  /** Non-204 answers and connection errors, by status or error code. */
  failures: Record<string, number>;
  firstFailure?: string;
  latencyP50Ms: number;
  latencyP99Ms: number;
  pregenerateMs: number;
  /** Bodies compressed during the measured window because the pregenerated ones ran out. */
  lazyBodies: number;
  /** A sender stopped before the deadline because its timestamps would have reached the future. */
  stoppedEarly: boolean;
  /** CPU seconds used during the window, by watched process name and `sender`. */
  cpuSeconds: Record<string, number>;
}

export interface FloodJob {
  kind: 'flood';
  url: string;
  authorization: string;
  concurrency: number;
  durationMs: number;
  seriesPerRequest: number;
  samplesPerSeries: number;
  tag: string;
  baseTimestamp: number;
  stepMs: number;
  watch: Record<string, number>;
}

export interface FloodResult {
  attempts: number;
  /** By status (`204`, `503`, ...) or connection error code. */
  outcomes: Record<string, number>;
  okSamples: number;
  bodyBytes: number;
  elapsedMs: number;
  generateMs: number;
  /** Client-seen latency of accepted requests. */
  acceptedP50Ms: number;
  acceptedMaxMs: number;
  /** Client-seen latency of 503 answers. */
  refusedP50Ms: number;
  cpuSeconds: Record<string, number>;
  firstFailure?: string;
}

export type Job = LoadJob | FloodJob;
export type JobResult<J extends Job> = J extends LoadJob ? LoadResult : FloodResult;

export type ToSender = { id: number; job: Job } | { id: number; exit: true };
export type FromSender = { id: number; result: LoadResult | FloodResult } | { id: number; error: string };
