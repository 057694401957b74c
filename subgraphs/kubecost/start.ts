import path from 'node:path';
import type { Database } from '../../lib/db/database';
import { closeServer, listen } from '../../lib/graphql/http-server';
import { createSubgraph } from '../../lib/graphql/subgraph-server';
import type { Logger } from '../../lib/log';
import type { KubecostConfig } from './config';
import { ClusterDirectory } from './cluster-directory';
import { buildKubecostContext, type KubecostContext } from './context';
import { createKubecostMetrics } from './metrics';
import { ThanosClient } from './promql/thanos-client';
import { resolvers } from './resolvers';

export const KUBECOST_SCHEMA = path.join(__dirname, '..', '..', 'schema', 'kubecost.graphql');

export interface RunningSubgraph {
  url: string;
  close(): Promise<void>;
}

export async function startKubecostSubgraph(deps: { config: KubecostConfig; db: Database; logger: Logger }): Promise<RunningSubgraph> {
  const { config, db, logger } = deps;
  const metrics = createKubecostMetrics();
  const client = new ThanosClient({
    url: config.thanosQueryUrl,
    timeoutMs: config.queryTimeoutMs,
    immutableAfterMs: config.immutableAfterMs,
    recentTtlMs: config.recentTtlMs,
    cacheBytes: config.cacheBytes,
    metrics,
  });
  const { server, apollo } = await createSubgraph<KubecostContext>({
    name: 'kubecost',
    schemaFile: KUBECOST_SCHEMA,
    resolvers,
    // Costs are float sums (PromQL's and the resolvers'): no 1041.0704640000001 in answers.
    roundFloats: true,
    secret: config.internalSecret,
    logger,
    registry: metrics.registry,
    ready: () => client.ready(),
    buildContext: buildKubecostContext(new ClusterDirectory(db, config.directoryTtlMs), client, metrics),
  });
  const base = await listen(server, config.port, config.host);
  logger.info({ url: `${base}/graphql` }, 'kubecost subgraph listening');
  return {
    url: `${base}/graphql`,
    close: async () => {
      await closeServer(server);
      await apollo.stop();
    },
  };
}
