import client from 'prom-client';

/** What an operator watches on the gateway: operations, their latency, and each subgraph's. */
export function createGatewayMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  return {
    registry,
    operations: new client.Counter({
      name: 'costgraph_gateway_operations_total',
      help: 'GraphQL operations by operation name and outcome (ok, errors, refused, failed).',
      labelNames: ['operation', 'outcome'] as const,
      registers: [registry],
    }),
    operationLatency: new client.Histogram({
      name: 'costgraph_gateway_operation_duration_seconds',
      help: 'Time from request start to response, per operation name.',
      labelNames: ['operation'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    subgraphLatency: new client.Histogram({
      name: 'costgraph_gateway_subgraph_fetch_duration_seconds',
      help: 'Subgraph fetch latency by subgraph and outcome.',
      labelNames: ['subgraph', 'outcome'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    subgraphErrors: new client.Counter({
      name: 'costgraph_gateway_subgraph_errors_total',
      help: 'Subgraph fetches that failed (unreachable, timeout, non-GraphQL answer), by reason.',
      labelNames: ['subgraph', 'reason'] as const,
      registers: [registry],
    }),
    authFailures: new client.Counter({
      name: 'costgraph_gateway_auth_failures_total',
      help: 'Requests refused for a missing, malformed, unknown or revoked token.',
      registers: [registry],
    }),
    authThrottled: new client.Counter({
      name: 'costgraph_gateway_auth_throttled_total',
      help: 'Requests answered 429 because the token verification queue was full (TOKEN_VERIFY_QUEUE).',
      registers: [registry],
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
