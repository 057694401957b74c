import { durationVar, intVar, listVar, portVar, stringVar, TIMEOUT_MAX_MS, TIMEOUT_MIN_MS, urlVar } from '../lib/config/env';
import { internalPortVar, type ListenConfig } from '../lib/config/listen';
import { COST_METRIC_FAMILIES } from '../lib/remote-write/cost-metrics';

type Env = Record<string, string | undefined>;

export interface IngestConfig extends ListenConfig {
  /** The remote-write paths and /healthz. @default 4100 */
  port: number;
  /** @default 127.0.0.1 */
  host: string;
  /** /metrics (tenant ids and volumes), /readyz, /healthz. @default 14100 */
  internalPort: number;
  /** @default 127.0.0.1 */
  internalHost: string;
  /** Thanos Receive, or the local Prometheus receiver. @default http://127.0.0.1:9090/api/v1/write */
  receiveUrl: string;
  /** @default 10s */
  forwardTimeoutMs: number;
  /** Compressed request body limit. @default 16 MiB */
  maxBodyBytes: number;
  /** Limit on the decoded (uncompressed) body, checked before decompressing. @default 64 MiB */
  maxDecodedBytes: number;
  /** Bytes all requests in progress may hold together before new ones get 503. @default 256 MiB */
  maxInflightBytes: number;
  /** Per-cluster sample rate; 0 disables. @default 200000 */
  samplesPerSecondPerTenant: number;
  /** Oldest sample age the store accepts (its out-of-order window). @default 35d */
  maxSampleAgeMs: number;
  /** How far in the future a sample may be. @default 10m */
  maxFutureMs: number;
  maxLabelsPerSeries: number;
  maxLabelNameLength: number;
  maxLabelValueLength: number;
  /** Metric families kept; `*` keeps everything. */
  allowList: string[] | '*';
  /** How long a cluster credential is trusted before re-reading it. @default 30s */
  credentialTtlMs: number;
  /**
   * Longest time between writes of the per-cluster ingest status to the database; each
   * flush is one statement per cluster that sent, whatever the request rate. @default 5s
   */
  statusFlushIntervalMs: number;
  /** How often the per-cluster metrics are refreshed from the database (creation times, deletions). @default 60s */
  clusterMetricsRefreshMs: number;
}

export function loadIngestConfig(env: Env = process.env): IngestConfig {
  const allow = listVar(env, 'INGEST_ALLOWED_METRICS', COST_METRIC_FAMILIES);
  const port = portVar(env, 'INGEST_PORT', 4100);
  return {
    port,
    host: stringVar(env, 'INGEST_HOST', '127.0.0.1'),
    internalPort: internalPortVar(env, 'INGEST_INTERNAL_PORT', 14100, port),
    internalHost: stringVar(env, 'INGEST_INTERNAL_HOST', '127.0.0.1'),
    receiveUrl: urlVar(env, 'THANOS_RECEIVE_URL', 'http://127.0.0.1:9090/api/v1/write'),
    forwardTimeoutMs: durationVar(env, 'INGEST_FORWARD_TIMEOUT', 10_000, TIMEOUT_MIN_MS, TIMEOUT_MAX_MS),
    maxBodyBytes: intVar(env, 'INGEST_MAX_BODY_BYTES', 16 * 1024 * 1024, 1024),
    maxDecodedBytes: intVar(env, 'INGEST_MAX_DECODED_BYTES', 64 * 1024 * 1024, 1024),
    maxInflightBytes: intVar(env, 'INGEST_MAX_INFLIGHT_BYTES', 256 * 1024 * 1024, 1024),
    samplesPerSecondPerTenant: intVar(env, 'INGEST_SAMPLES_PER_SECOND', 200_000),
    maxSampleAgeMs: durationVar(env, 'INGEST_MAX_SAMPLE_AGE', 35 * 86_400_000),
    maxFutureMs: durationVar(env, 'INGEST_MAX_FUTURE', 10 * 60_000),
    maxLabelsPerSeries: intVar(env, 'INGEST_MAX_LABELS', 64, 1),
    maxLabelNameLength: intVar(env, 'INGEST_MAX_LABEL_NAME_LENGTH', 256, 1),
    maxLabelValueLength: intVar(env, 'INGEST_MAX_LABEL_VALUE_LENGTH', 4096, 1),
    allowList: allow.length === 1 && allow[0] === '*' ? '*' : allow,
    credentialTtlMs: durationVar(env, 'INGEST_CREDENTIAL_TTL', 30_000),
    statusFlushIntervalMs: durationVar(env, 'INGEST_STATUS_FLUSH_INTERVAL', 5_000, 100, TIMEOUT_MAX_MS),
    clusterMetricsRefreshMs: durationVar(env, 'INGEST_CLUSTER_METRICS_REFRESH', 60_000, 100, TIMEOUT_MAX_MS),
  };
}
