import client from 'prom-client';

export function createKubecostMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  return {
    registry,
    promqlRequests: new client.Counter({
      name: 'costgraph_kubecost_promql_requests_total',
      help: 'PromQL requests to the metrics store by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    promqlDuration: new client.Histogram({
      name: 'costgraph_kubecost_promql_duration_seconds',
      help: 'PromQL request latency by outcome',
      labelNames: ['outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    cache: new client.Counter({
      name: 'costgraph_kubecost_cache_requests_total',
      help: 'Result cache lookups by result (hit or miss)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    freshness: new client.Gauge({
      name: 'costgraph_kubecost_cluster_data_age_seconds',
      help: 'Seconds since the last sample seen for a cluster (set when its costs are computed)',
      labelNames: ['cloud_account_id'] as const,
      registers: [registry],
    }),
  };
}

export type KubecostMetrics = ReturnType<typeof createKubecostMetrics>;
