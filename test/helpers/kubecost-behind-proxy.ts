import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCloudAccount, createOrganization } from '../../lib/accounts/repository';
import { loadCommonConfig } from '../../lib/config/common';
import { silentLogger } from '../../lib/log';
import { startLocalPrometheus, type LocalPrometheus } from '../../cli/local/local-prometheus';
import { loadKubecostConfig } from '../../subgraphs/kubecost/config';
import type { RunningService } from '../../lib/http/listen';
import { startKubecostSubgraph } from '../../subgraphs/kubecost/start';
import { createPgliteDatabase, type TestDatabase } from './databases';
import { startPromqlProxy, type PromqlProxy } from './promql-proxy';

/** A kubecost subgraph that reaches a real Prometheus through a counting, fault-injecting proxy. */
export interface KubecostBehindProxy {
  dir: string;
  secret: string;
  store: LocalPrometheus;
  proxy: PromqlProxy;
  t: TestDatabase;
  subgraph: RunningService;
  /** One organization with one Kubernetes cluster. */
  org: string;
  clusterId: string;
  stop(): Promise<void>;
}

/** `env` adds kubecost settings (timeouts, cache) to the ones this sets up. */
export async function startKubecostBehindProxy(env: Record<string, string>): Promise<KubecostBehindProxy> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-kubecost-'));
  const secret = crypto.randomBytes(32).toString('hex');
  const store = await startLocalPrometheus({ dataDir: dir, port: 0 });
  const proxy = await startPromqlProxy(store.url);
  const t = await createPgliteDatabase();
  const org = (await createOrganization(t.db, 'A')).id;
  const clusterId = (await createCloudAccount(t.db, { organizationId: org, name: 'c', type: 'kubernetes' })).id;
  const config = loadKubecostConfig({ DATA_DIR: dir, INTERNAL_AUTH_SECRET: secret, THANOS_QUERY_URL: proxy.url, KUBECOST_PORT: '0', KUBECOST_INTERNAL_PORT: '0', ...env });
  const subgraph = await startKubecostSubgraph({ config: { ...config, common: loadCommonConfig({ DATA_DIR: dir }) }, db: t.db, logger: silentLogger });
  return {
    dir,
    secret,
    store,
    proxy,
    t,
    subgraph,
    org,
    clusterId,
    stop: async () => {
      await subgraph.close();
      await proxy.close();
      await store.stop();
      await t.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
