import path from 'node:path';
import type { Database } from '../../lib/db/database';
import type { ServiceServer } from '../../lib/http/listen';
import { createSubgraph } from '../../lib/graphql/subgraph-server';
import type { Logger } from '../../lib/log';
import type { KubecostConfig } from './config';
import { ClusterDirectory } from './cluster-directory';
import { buildKubecostContext, type KubecostContext } from './context';
import { createKubecostMetrics } from './metrics';
import { OrganizationGates } from './promql/organization-gates';
import { ThanosClient } from './promql/thanos-client';
import { resolvers } from './resolvers';
import { RollupPass } from './rollups/background-pass';
import { Reconciler } from './reconciliation/reconciler';
import { RollupStore } from './rollups/rollup-store';
import { AllocationPartStore } from './allocation/part-store';

export const KUBECOST_SCHEMA = path.join(__dirname, '..', '..', 'schema', 'kubecost.graphql');

export interface KubecostDeps {
  config: KubecostConfig;
  db: Database;
  logger: Logger;
}

/** The kubecost subgraph, not listening yet. */
export async function createKubecostSubgraph({ config, db, logger }: KubecostDeps): Promise<ServiceServer> {
  const metrics = createKubecostMetrics();
  const client = new ThanosClient({
    url: config.thanosQueryUrl,
    timeoutMs: config.queryTimeoutMs,
    immutableAfterMs: config.immutableAfterMs,
    recentTtlMs: config.recentTtlMs,
    cacheBytes: config.cacheBytes,
    metrics,
  });
  const rollups = new RollupStore(db, logger);
  const allocationParts = new AllocationPartStore(db, rollups, logger);
  const reconciler = new Reconciler(db, rollups);
  // Started here, stopped by close(): like the listeners, it runs while the service does.
  const pass = config.rollupLookbackMs > 0 ? new RollupPass({ db, promql: client, rollups, logger, lookbackMs: config.rollupLookbackMs }) : undefined;
  const { server, internal, apollo } = await createSubgraph<KubecostContext>({
    name: 'kubecost',
    schemaFile: KUBECOST_SCHEMA,
    resolvers,
    // Costs are float sums (PromQL's and the resolvers'): answers keep no binary noise.
    roundFloats: true,
    secret: config.internalSecret,
    logger,
    registry: metrics.registry,
    ready: () => client.ready(),
    buildContext: buildKubecostContext({
      directory: new ClusterDirectory(db, config.directoryTtlMs),
      client,
      rollups,
      allocationParts,
      reconciler,
      gates: new OrganizationGates(config.organizationConcurrency),
      budgetClusterHours: config.queryBudgetClusterHours,
      metrics,
    }),
  });
  pass?.start();
  return {
    server,
    internal,
    close: async () => {
      await pass?.close();
      await apollo.stop();
      // Rollups computed by the last queries are kept before the database goes.
      await Promise.all([rollups.settled(), allocationParts.settled()]);
    },
  };
}
