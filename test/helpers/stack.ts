import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCommonConfig } from '../../lib/config/common';
import type { Database } from '../../lib/db/database';
import { silentLogger, type Logger } from '../../lib/log';
import { startLocalPrometheus, type LocalPrometheus } from '../../cli/local/local-prometheus';
import { loadIngestConfig } from '../../ingest/config';
import { startIngest, type RunningIngest } from '../../ingest/start';
import { loadExpensesConfig } from '../../subgraphs/expenses/config';
import { startExpensesSubgraph } from '../../subgraphs/expenses/start';
import { loadKubecostConfig } from '../../subgraphs/kubecost/config';
import type { RunningService } from '../../lib/http/listen';
import { startKubecostSubgraph } from '../../subgraphs/kubecost/start';
import { loadGatewayConfig, type GatewayConfig } from '../../gateway/config';
import { startGateway } from '../../gateway/start';

/**
 * The whole stack on free ports, in this process: a real Prometheus, ingest, both subgraphs
 * and the gateway talking over real HTTP. Subgraphs can be stopped and started again on the
 * same port to test partial results and recovery.
 */
export interface TestStack {
  dir: string;
  secret: string;
  store: LocalPrometheus;
  ingest: RunningIngest;
  expenses: RunningService;
  kubecost: RunningService;
  gateway: RunningService;
  gatewayConfig: GatewayConfig;
  /** Stops one subgraph (its fields then fail at the gateway). */
  stopSubgraph(name: 'expenses' | 'kubecost'): Promise<void>;
  /** Starts it again on the port it had. */
  startSubgraph(name: 'expenses' | 'kubecost'): Promise<void>;
  stop(): Promise<void>;
}

export interface TestStackOptions {
  /** Pre-fills GraphiQL's variables. */
  graphiqlOrganizationId?: string;
  /** Puts something (a fault-injecting proxy) between the kubecost subgraph and the store. */
  queryUrl?: (storeUrl: string) => Promise<string>;
  /** The gateway's logger, for tests that observe what it logs. @default silent */
  gatewayLogger?: Logger;
}

export async function startTestStack(db: Database, extraEnv: Record<string, string> = {}, options: TestStackOptions = {}): Promise<TestStack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-stack-'));
  const secret = crypto.randomBytes(32).toString('hex');
  const store = await startLocalPrometheus({ dataDir: path.join(dir, 'prometheus'), port: 0 });
  const cleanups: Array<() => Promise<void>> = [() => store.stop()];
  try {
    const queryUrl = options.queryUrl ? await options.queryUrl(store.url) : store.url;
    return await startServices(db, dir, secret, store, { THANOS_QUERY_URL: queryUrl, ...extraEnv }, cleanups, options);
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function startServices(
  db: Database,
  dir: string,
  secret: string,
  store: LocalPrometheus,
  extraEnv: Record<string, string>,
  cleanups: Array<() => Promise<void>>,
  { graphiqlOrganizationId, gatewayLogger = silentLogger }: TestStackOptions,
): Promise<TestStack> {
  const env = { DATA_DIR: dir, INTERNAL_AUTH_SECRET: secret, THANOS_QUERY_URL: store.url, ...extraEnv };
  const common = loadCommonConfig(env);
  const ingest = await startIngest({
    config: loadIngestConfig({ ...env, INGEST_PORT: '0', INGEST_INTERNAL_PORT: '0', THANOS_RECEIVE_URL: `${store.url}/api/v1/write` }),
    db,
    logger: silentLogger,
  });
  cleanups.push(() => ingest.close());
  const ports = { expenses: '0', kubecost: '0' };
  const start = {
    expenses: (port: string) => startExpensesSubgraph({ config: { ...loadExpensesConfig({ ...env, EXPENSES_PORT: port, EXPENSES_INTERNAL_PORT: '0' }), common }, db, logger: silentLogger }),
    kubecost: (port: string) => startKubecostSubgraph({ config: { ...loadKubecostConfig({ ...env, KUBECOST_PORT: port, KUBECOST_INTERNAL_PORT: '0' }), common }, db, logger: silentLogger }),
  };
  const running = { expenses: await start.expenses(ports.expenses), kubecost: await start.kubecost(ports.kubecost) };
  cleanups.push(() => running.expenses.close(), () => running.kubecost.close());
  ports.expenses = new URL(running.expenses.url).port;
  ports.kubecost = new URL(running.kubecost.url).port;
  const gatewayConfig = loadGatewayConfig({ ...env, GATEWAY_PORT: '0', GATEWAY_INTERNAL_PORT: '0', EXPENSES_URL: running.expenses.url, KUBECOST_URL: running.kubecost.url });
  const gateway = await startGateway({ config: gatewayConfig, db, logger: gatewayLogger, graphiqlOrganizationId });
  const stopped = new Set<string>();
  const stack: TestStack = {
    dir,
    secret,
    store,
    ingest,
    get expenses() {
      return running.expenses;
    },
    get kubecost() {
      return running.kubecost;
    },
    gateway,
    gatewayConfig,
    stopSubgraph: async (name) => {
      await running[name].close();
      stopped.add(name);
    },
    startSubgraph: async (name) => {
      running[name] = await start[name](ports[name]);
      stopped.delete(name);
    },
    stop: async () => {
      await gateway.close();
      for (const name of ['expenses', 'kubecost'] as const) if (!stopped.has(name)) await running[name].close();
      await ingest.close();
      await store.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return stack;
}

/** POSTs a GraphQL request to the gateway as a client would. */
export async function callGateway<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  extraHeaders: Record<string, string> = {},
): Promise<{ status: number; data?: T; errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...extraHeaders },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  try {
    return { status: response.status, ...(JSON.parse(text) as object) };
  } catch {
    return { status: response.status, errors: [{ message: text }] };
  }
}
