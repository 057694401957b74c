import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCloudAccount, createOrganization } from '../../lib/accounts/repository';
import { loadCommonConfig } from '../../lib/config/common';
import { silentLogger } from '../../lib/log';
import { startLocalPrometheus, type LocalPrometheus } from '../../lib/prometheus/local-prometheus';
import { loadKubecostConfig } from '../../subgraphs/kubecost/config';
import { startKubecostSubgraph, type RunningSubgraph } from '../../subgraphs/kubecost/start';
import { createPgliteDatabase, type TestDatabase } from '../helpers/databases';
import { startPromqlProxy, type PromqlProxy } from '../helpers/promql-proxy';
import { callSubgraph, type GraphQLResponse } from '../helpers/subgraph-client';
import { analyticClusterCosts, clusterSeries, GIB, HOUR_MS, writeSeries, type SyntheticCluster } from '../helpers/synthetic-cluster';

/*
 * The metrics store slow, failing or gone: the kubecost fields fail with UPSTREAM_UNAVAILABLE
 * on the field that needed the data, within a bounded time, and the very next request (store
 * back) is answered correctly by the same process. The subgraph talks to the store through a
 * proxy that injects each fault; its result cache is off so every request reaches the store.
 */

const SECRET = crypto.randomBytes(32).toString('hex');
const TIMEOUT_MS = 1000;
const TO = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 2 * HOUR_MS;
const FROM = TO - 4 * HOUR_MS;
const RANGE = { from: new Date(FROM).toISOString(), to: new Date(TO).toISOString() };

const QUERY = `query($reps: [_Any!]!, $range: DateRangeInput!) { _entities(representations: $reps) {
  ... on CloudAccount { id kubernetesCost(range: $range) { totalCost breakdown { cpu } namespaces { namespace } } }
  ... on Organization { id kubernetesCosts(range: $range) { totalCost } } } }`;

type Result = GraphQLResponse<{ _entities: Array<{ id: string; kubernetesCost?: { totalCost: number; breakdown: { cpu: number } } | null } | null> }>;

describe('kubecost subgraph when the metrics store is slow, failing or gone', () => {
  let dir: string;
  let store: LocalPrometheus;
  let proxy: PromqlProxy;
  let t: TestDatabase;
  let subgraph: RunningSubgraph;
  let org: string;
  let clusterId: string;
  let cluster: SyntheticCluster;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-kubecost-faults-'));
    store = await startLocalPrometheus({ dataDir: dir, port: 0 });
    proxy = await startPromqlProxy(store.url);
    t = await createPgliteDatabase();
    org = (await createOrganization(t.db, 'A')).id;
    clusterId = (await createCloudAccount(t.db, { organizationId: org, name: 'c', type: 'kubernetes' })).id;
    cluster = {
      tenantId: clusterId,
      startMs: FROM - HOUR_MS,
      endMs: TO + HOUR_MS,
      intervalSeconds: 60,
      nodes: [{ name: 'node-a', cpuPrice: 0.04, ramPrice: 0.005, cores: 8, memoryBytes: 32 * GIB }],
      managementFee: 0.1,
      containers: [{ namespace: 'web', pod: 'web-0', container: 'app', node: 'node-a', cores: 2, memoryBytes: 4 * GIB }],
    };
    await writeSeries(store.url, clusterSeries(cluster));
    const env = {
      DATA_DIR: dir,
      INTERNAL_AUTH_SECRET: SECRET,
      THANOS_QUERY_URL: proxy.url,
      KUBECOST_PORT: '0',
      KUBECOST_QUERY_TIMEOUT: `${TIMEOUT_MS}ms`,
      KUBECOST_CACHE_BYTES: '0',
    };
    subgraph = await startKubecostSubgraph({ config: { ...loadKubecostConfig(env), common: loadCommonConfig({ DATA_DIR: dir }) }, db: t.db, logger: silentLogger });
  }, 60_000);

  afterAll(async () => {
    await subgraph?.close();
    await proxy?.close();
    await store?.stop();
    await t?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const ask = async (): Promise<{ res: Result; ms: number }> => {
    const started = Date.now();
    const res = (await callSubgraph(
      subgraph.url,
      QUERY,
      {
        reps: [
          { __typename: 'CloudAccount', id: clusterId },
          { __typename: 'Organization', id: org, kubernetesClusterIds: [clusterId] },
        ],
        range: RANGE,
      },
      { secret: SECRET, organizationIds: [org] },
    )) as Result;
    return { res, ms: Date.now() - started };
  };

  /** With the store back, the same process answers the same request correctly. */
  const expectHealthyAnswer = async () => {
    proxy.mode = { kind: 'forward' };
    const { res } = await ask();
    expect(res.errors).toBeUndefined();
    const expected = analyticClusterCosts(cluster, FROM, TO);
    expect(res.data!._entities[0]!.kubernetesCost!.breakdown.cpu).toBeCloseTo(expected.cpu, 6);
    expect((await fetch(subgraph.url.replace(/\/graphql$/, '/healthz'))).status).toBe(200);
  };

  /** Every error is typed, names its field, and the entities themselves survive. */
  const expectFieldErrors = (res: Result, message: RegExp) => {
    expect(res.status).toBe(200);
    expect(res.errors?.length).toBeGreaterThan(0);
    for (const error of res.errors!) {
      expect(error.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(error.message).toMatch(message);
      expect(error.path?.[0]).toBe('_entities');
      expect(['kubernetesCost', 'kubernetesCosts']).toContain(error.path?.[2]);
    }
    // The cluster's entity is still there with its id; only the cost field (nullable) is null.
    expect(res.data!._entities[0]).toEqual({ id: clusterId, kubernetesCost: null });
  };

  it('answers correctly through the proxy when nothing is wrong', async () => {
    const before = proxy.queries;
    await expectHealthyAnswer();
    expect(proxy.queries).toBeGreaterThan(before);
  });

  it('a store slower than the PromQL timeout: typed error after about the timeout, not after the store answers', async () => {
    proxy.mode = { kind: 'delay', ms: 10 * TIMEOUT_MS };
    const { res, ms } = await ask();
    expectFieldErrors(res, /did not answer in time/);
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(3 * TIMEOUT_MS);
    await expectHealthyAnswer();
  });

  it('a store answering 503: typed error at once', async () => {
    proxy.mode = { kind: 'status', status: 503 };
    const { res, ms } = await ask();
    expectFieldErrors(res, /metrics store/);
    expect(ms).toBeLessThan(TIMEOUT_MS);
    await expectHealthyAnswer();
  });

  it('a closed port: typed error at once', async () => {
    await proxy.close();
    try {
      const { res, ms } = await ask();
      expectFieldErrors(res, /metrics store unreachable/);
      expect(ms).toBeLessThan(TIMEOUT_MS);
    } finally {
      await proxy.reopen();
    }
    await expectHealthyAnswer();
  });

  it('counts failed PromQL requests in /metrics', async () => {
    const text = await (await fetch(subgraph.url.replace(/\/graphql$/, '/metrics'))).text();
    expect(Number(/costgraph_kubecost_promql_requests_total\{outcome="error"\} (\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(3);
  });
});
