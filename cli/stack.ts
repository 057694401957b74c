import path from 'node:path';
import { loadCommonConfig } from '../lib/config/common';
import { openDatabase } from '../lib/db/open';
import type { Logger } from '../lib/log';
import { loadLocalPrometheusConfig, startLocalPrometheus } from './local/local-prometheus';
import { loadIngestConfig } from '../ingest/config';
import { startIngest } from '../ingest/start';
import { loadExpensesConfig } from '../subgraphs/expenses/config';
import { startExpensesSubgraph } from '../subgraphs/expenses/start';
import { loadKubecostConfig } from '../subgraphs/kubecost/config';
import { startKubecostSubgraph } from '../subgraphs/kubecost/start';
import { loadGatewayConfig } from '../gateway/config';
import { startGateway } from '../gateway/start';
import type { Database } from '../lib/db/database';
import { localOrganization } from './local/local-organization';
import { createApiToken } from '../lib/accounts/api-tokens';

export interface RunningStack {
  endpoints: Record<string, string>;
  /** Each service's internal listener (/metrics, /readyz, /healthz), by service. */
  internal: Record<string, string>;
  /** A fresh API token for the local organization, so GraphiQL works right away. */
  demo: { organizationId: string; token: string };
  stop(): Promise<void>;
}

/**
 * The whole stack with embedded defaults in one process: the local Thanos stand-in, the
 * embedded database served to other processes, and every service on its configured port.
 */
export async function startStack(logger: Logger, env: Record<string, string | undefined> = process.env): Promise<RunningStack> {
  const common = loadCommonConfig(env);
  const kubecostConfig = loadKubecostConfig(env);
  // The local Thanos stand-in listens where the kubecost subgraph is told to query.
  const queryUrl = new URL(kubecostConfig.thanosQueryUrl);
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch((error: unknown) => logger.error({ err: error }, 'stop failed'));
  };
  try {
    const prometheus = await startLocalPrometheus({ dataDir: path.join(common.dataDir, 'prometheus'), port: Number(queryUrl.port || 80), binary: loadLocalPrometheusConfig(env).binary });
    stops.push(() => prometheus.stop());
    logger.info({ url: prometheus.url }, 'local Prometheus (Thanos stand-in) ready');
    const { db, servedAt } = await openDatabase(common, { serve: true });
    stops.push(() => db.close());
    // The stack's ingest writes to the Prometheus it just started.
    const ingestConfig = loadIngestConfig({ ...env, THANOS_RECEIVE_URL: `${prometheus.url}/api/v1/write` });
    const ingest = await startIngest({ config: ingestConfig, db, logger: logger.child({ service: 'ingest' }) });
    stops.push(() => ingest.close());
    const expenses = await startExpensesSubgraph({ config: loadExpensesConfig(env), db, logger: logger.child({ service: 'expenses' }) });
    stops.push(() => expenses.close());
    const kubecost = await startKubecostSubgraph({ config: kubecostConfig, db, logger: logger.child({ service: 'kubecost' }) });
    stops.push(() => kubecost.close());
    const demo = await issueLocalToken(db);
    const gatewayConfig = loadGatewayConfig(env);
    // The gateway talks to the subgraphs this stack just started, wherever they listen.
    gatewayConfig.subgraphUrls = { expenses: expenses.url, kubecost: kubecost.url };
    const gateway = await startGateway({ config: gatewayConfig, db, logger: logger.child({ service: 'gateway' }), graphiqlOrganizationId: demo.organizationId });
    stops.push(() => gateway.close());
    return {
      demo,
      endpoints: {
        graphiql: gateway.url,
        ingest: `${ingest.url}/api/v1/write`,
        expenses: expenses.url,
        kubecost: kubecost.url,
        prometheus: prometheus.url,
        database: common.databaseUrl ? 'DATABASE_URL' : (servedAt ?? 'embedded'),
      },
      internal: { gateway: gateway.internalUrl, ingest: ingest.internalUrl, expenses: expenses.internalUrl, kubecost: kubecost.internalUrl },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const LOCAL_TOKEN_NAME = 'costgraph up';

/**
 * Local mode only: the local organization gets a new token on each start, and the previous
 * start's token is revoked, so at most one such token is ever live.
 */
async function issueLocalToken(db: Database): Promise<{ organizationId: string; token: string }> {
  const organizationId = await localOrganization(db);
  await db.query('UPDATE api_tokens SET revoked_at = now() WHERE organization_id = $1 AND name = $2 AND revoked_at IS NULL', [organizationId, LOCAL_TOKEN_NAME]);
  const issued = await createApiToken(db, organizationId, LOCAL_TOKEN_NAME);
  return { organizationId, token: issued.token };
}
