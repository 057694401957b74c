import client from 'prom-client';

export interface IngestMetricSources {
  /** Password verifications waiting for a slot, read at each scrape. */
  verificationsWaiting?: () => number;
}

/** Ingest metrics on a registry of their own, so several workers (tests) never share counters. */
export function createIngestMetrics(sources: IngestMetricSources = {}) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new client.Counter({
      name: 'costgraph_ingest_requests_total',
      help: 'Remote-write requests by HTTP status answered',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    samplesReceived: new client.Counter({
      name: 'costgraph_ingest_samples_received_total',
      help: 'Samples decoded from authenticated requests',
      labelNames: ['tenant'] as const,
      registers: [registry],
    }),
    samplesAccepted: new client.Counter({
      name: 'costgraph_ingest_samples_accepted_total',
      help: 'Samples the store acknowledged',
      labelNames: ['tenant'] as const,
      registers: [registry],
    }),
    samplesDropped: new client.Counter({
      name: 'costgraph_ingest_samples_dropped_total',
      help: 'Samples not forwarded, by reason',
      labelNames: ['tenant', 'reason'] as const,
      registers: [registry],
    }),
    seriesDropped: new client.Counter({
      name: 'costgraph_ingest_series_dropped_total',
      help: 'Series not forwarded, by reason',
      labelNames: ['tenant', 'reason'] as const,
      registers: [registry],
    }),
    forwardDuration: new client.Histogram({
      name: 'costgraph_ingest_forward_duration_seconds',
      help: 'Time to forward a batch to the store, by outcome',
      labelNames: ['outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    clusterLastSample: new client.Gauge({
      name: 'costgraph_ingest_cluster_last_sample_timestamp_seconds',
      help: 'Newest sample timestamp accepted per live cluster (this worker and, after each refresh, every worker)',
      labelNames: ['tenant'] as const,
      registers: [registry],
    }),
    clusterCreated: new client.Gauge({
      name: 'costgraph_cluster_created_timestamp_seconds',
      help: 'Creation time of each live Kubernetes cluster, so a cluster that never sent can be told apart',
      labelNames: ['tenant'] as const,
      registers: [registry],
    }),
    statusWriteFailures: new client.Counter({
      name: 'costgraph_ingest_status_write_failures_total',
      help: 'Per-cluster ingest status writes that failed (retried on the next flush)',
      registers: [registry],
    }),
    authRejected: new client.Counter({
      name: 'costgraph_ingest_auth_rejected_total',
      help: 'Remote-write requests refused before authentication: invalid (401), queue_full, source_throttled, user_throttled (429)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    authVerificationsWaiting: new client.Gauge({
      name: 'costgraph_ingest_auth_verifications_waiting',
      help: 'Password verifications waiting for a slot (bounded by INGEST_AUTH_QUEUE)',
      registers: [registry],
      collect() {
        this.set(sources.verificationsWaiting?.() ?? 0);
      },
    }),
    bodyTimeouts: new client.Counter({
      name: 'costgraph_ingest_body_timeouts_total',
      help: 'Requests whose body did not arrive within INGEST_BODY_TIMEOUT (answered 408)',
      registers: [registry],
    }),
    inflightBytes: new client.Gauge({
      name: 'costgraph_ingest_inflight_bytes',
      help: 'Request bytes held by requests in progress',
      registers: [registry],
    }),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
