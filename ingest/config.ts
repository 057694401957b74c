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
  /** How long a cluster credential is trusted before re-reading it, should change notices stop. @default 30s */
  credentialTtlMs: number;
  /** How often the database's credential change log is read (rotations, deletions reach every replica within it). @default 1s */
  revocationPollMs: number;
  /** Password verifications (scrypt) running at once; keep it below libuv's thread pool size (4). @default 2 */
  authConcurrency: number;
  /** Verifications waiting for a slot; beyond it 429. @default 64 */
  authQueue: number;
  /** Failed authentications in a row a remote address or a user name may have before 429; 0 disables. @default 20 */
  authFailureBurst: number;
  /** Failed authentications a remote address or user name earns back per minute. @default 10 */
  authFailuresPerMinute: number;
  /**
   * Proxies in front of ingest that append the client's address to X-Forwarded-For (the
   * Ingress: 1). 0 uses the socket's address; never more than there are, or a client picks its own.
   * @default 0
   */
  trustedProxyHops: number;
  /** Longest time a request body may take to arrive once ingest starts reading it (408 beyond). @default 15s */
  bodyTimeoutMs: number;
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
    revocationPollMs: durationVar(env, 'INGEST_REVOCATION_POLL', 1_000, 100, 60_000),
    authConcurrency: intVar(env, 'INGEST_AUTH_CONCURRENCY', 2, 1, 64),
    authQueue: intVar(env, 'INGEST_AUTH_QUEUE', 64, 0, 100_000),
    authFailureBurst: intVar(env, 'INGEST_AUTH_FAILURE_BURST', 20, 0, 1_000_000),
    authFailuresPerMinute: intVar(env, 'INGEST_AUTH_FAILURES_PER_MINUTE', 10, 1, 1_000_000),
    trustedProxyHops: intVar(env, 'INGEST_TRUSTED_PROXY_HOPS', 0, 0, 10),
    bodyTimeoutMs: durationVar(env, 'INGEST_BODY_TIMEOUT', 15_000, TIMEOUT_MIN_MS, TIMEOUT_MAX_MS),
    statusFlushIntervalMs: durationVar(env, 'INGEST_STATUS_FLUSH_INTERVAL', 5_000, 100, TIMEOUT_MAX_MS),
    clusterMetricsRefreshMs: durationVar(env, 'INGEST_CLUSTER_METRICS_REFRESH', 60_000, 100, TIMEOUT_MAX_MS),
  };
}
