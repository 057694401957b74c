import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayMetrics } from '../metrics';

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_NAMES = 200;

/** Records each operation's outcome and latency, under a bounded set of operation names. */
export function metricsPlugin(metrics: GatewayMetrics): ApolloServerPlugin {
  const seen = new Set<string>();
  // Clients choose operation names: cap them so a hostile client cannot explode label cardinality.
  const label = (name: string | null | undefined) => {
    if (!name || !NAME.test(name)) return 'anonymous';
    if (seen.has(name)) return name;
    if (seen.size >= MAX_NAMES) return 'other';
    seen.add(name);
    return name;
  };
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      let outcome = 'ok';
      return {
        async didEncounterErrors(ctx) {
          outcome = ctx.operation ? 'errors' : 'refused';
        },
        async willSendResponse(ctx) {
          const operation = label(ctx.operationName ?? ctx.request.operationName);
          metrics.operations.inc({ operation, outcome });
          metrics.operationLatency.observe({ operation }, Number(process.hrtime.bigint() - started) / 1e9);
        },
      };
    },
  };
}
