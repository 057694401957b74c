import fs from 'node:fs';
import path from 'node:path';
import { importFocusFile } from '../../subgraphs/expenses/import/import-focus';
import { startKubecostBehindProxy, type KubecostBehindProxy } from '../helpers/kubecost-behind-proxy';
import { callSubgraph, type GraphQLResponse } from '../helpers/subgraph-client';
import { analyticClusterCosts, clusterSeries, GIB, HOUR_MS, writeSeries, type SyntheticCluster } from '../helpers/synthetic-cluster';

/*
 * The metrics store slow, failing or gone: the kubecost fields fail with UPSTREAM_UNAVAILABLE
 * on the field that needed the data, within a bounded time, and the very next request (store
 * back) is answered correctly by the same process. The subgraph talks to the store through a
 * proxy that injects each fault; its result cache is off so every request reaches the store.
 */

/** The PromQL timeout. "At once" below means the error is the store's own answer, not the timeout's. */
const TIMEOUT_MS = 2000;
const TO = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 2 * HOUR_MS;
const FROM = TO - 4 * HOUR_MS;
const RANGE = { from: new Date(FROM).toISOString(), to: new Date(TO).toISOString() };

const QUERY = `query($reps: [_Any!]!, $range: DateRangeInput!) { _entities(representations: $reps) {
  ... on CloudAccount { id kubernetesCost(range: $range) { totalCost breakdown { cpu } namespaces { namespace } } }
  ... on Organization { id kubernetesCosts(range: $range) { totalCost } } } }`;

type Result = GraphQLResponse<{ _entities: Array<{ id: string; kubernetesCost?: { totalCost: number; breakdown: { cpu: number } } | null } | null> }>;

describe('kubecost subgraph when the metrics store is slow, failing or gone', () => {
  let k: KubecostBehindProxy;
  let cluster: SyntheticCluster;

  beforeAll(async () => {
    // The result cache is off so that every request reaches the store.
    k = await startKubecostBehindProxy({ KUBECOST_QUERY_TIMEOUT: `${TIMEOUT_MS}ms`, KUBECOST_CACHE_BYTES: '0' });
    cluster = {
      tenantId: k.clusterId,
      startMs: FROM - HOUR_MS,
      endMs: TO + HOUR_MS,
      intervalSeconds: 60,
      nodes: [{ name: 'node-a', cpuPrice: 0.04, ramPrice: 0.005, cores: 8, memoryBytes: 32 * GIB }],
      managementFee: 0.1,
      containers: [{ namespace: 'web', pod: 'web-0', container: 'app', node: 'node-a', cores: 2, memoryBytes: 4 * GIB }],
    };
    await writeSeries(k.store.url, clusterSeries(cluster));
  }, 60_000);

  afterAll(async () => {
    await k?.stop();
  });

  const ask = async (): Promise<{ res: Result; ms: number }> => {
    const started = Date.now();
    const res = (await callSubgraph(
      k.subgraph.url,
      QUERY,
      {
        reps: [
          { __typename: 'CloudAccount', id: k.clusterId },
          { __typename: 'Organization', id: k.org, kubernetesClusterIds: [k.clusterId] },
        ],
        range: RANGE,
      },
      { secret: k.secret, organizationIds: [k.org] },
    )) as Result;
    return { res, ms: Date.now() - started };
  };

  /** With the store back, the same process answers the same request correctly. */
  const expectHealthyAnswer = async () => {
    k.proxy.mode = { kind: 'forward' };
    const { res } = await ask();
    expect(res.errors).toBeUndefined();
    const expected = analyticClusterCosts(cluster, FROM, TO);
    expect(res.data!._entities[0]!.kubernetesCost!.breakdown.cpu).toBeCloseTo(expected.cpu, 6);
    expect((await fetch(k.subgraph.url.replace(/\/graphql$/, '/healthz'))).status).toBe(200);
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
    expect(res.data!._entities[0]).toEqual({ id: k.clusterId, kubernetesCost: null });
  };

  it('answers correctly through the proxy when nothing is wrong', async () => {
    const before = k.proxy.queries;
    await expectHealthyAnswer();
    expect(k.proxy.queries).toBeGreaterThan(before);
  });

  it('a store slower than the PromQL timeout: typed error after the timeout, not after the store answers', async () => {
    k.proxy.mode = { kind: 'delay', ms: 10 * TIMEOUT_MS };
    const answeredBefore = k.proxy.answered;
    const { res, ms } = await ask();
    expectFieldErrors(res, /did not answer in time/);
    // Not sooner than the timeout (load only adds time), and before the store answered anything.
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(k.proxy.answered).toBe(answeredBefore);
    await expectHealthyAnswer();
  });

  it('the bill matching failing on its own PromQL: a typed error on the billed breakdown, not an internal one', async () => {
    // A bill in the range makes the reconciliation ask the store for the cluster's names.
    const bill = path.join(k.dir, 'bill.csv');
    const start = new Date(FROM).toISOString();
    fs.writeFileSync(
      bill,
      `BilledCost,EffectiveCost,ListCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceCategory,ProviderName,SubAccountId,ServiceName,ResourceId\n` +
        `1,1,1,USD,${start},${new Date(FROM + HOUR_MS).toISOString()},Usage,Compute,AWS,123456789012,Amazon Elastic Compute Cloud,i-0aaaaaaaaaaaaaaa1\n`,
    );
    await importFocusFile(k.t.db, k.org, bill);
    // Only the query that learns the cluster's names from kubecost_cluster_info fails.
    k.proxy.mode = { kind: 'status-when', status: 503, query: /^last_over_time\(kubecost_cluster_info/ };
    const res = (await callSubgraph(
      k.subgraph.url,
      `query($reps: [_Any!]!, $range: DateRangeInput!) { _entities(representations: $reps) { ... on CloudAccount { id kubernetesCost(range: $range) { estimated: breakdown { cpu } billed: breakdown(basis: BILLED) { cpu } } } } }`,
      { reps: [{ __typename: 'CloudAccount', id: k.clusterId }], range: RANGE },
      { secret: k.secret, organizationIds: [k.org] },
    )) as GraphQLResponse<{ _entities: Array<{ kubernetesCost: { estimated: { cpu: number } } | null }> }>;
    expect(res.errors?.map((e) => [e.extensions?.code, e.path?.join('.')])).toEqual([['UPSTREAM_UNAVAILABLE', '_entities.0.kubernetesCost.billed']]);
    // Only the billed breakdown failed (the estimate did not); being non-null, it nulls its parent.
    expect(res.data?._entities[0]?.kubernetesCost).toBeNull();
    k.proxy.mode = { kind: 'forward' };
  });

  it('a store answering 503: typed error at once', async () => {
    k.proxy.mode = { kind: 'status', status: 503 };
    const { res } = await ask();
    // The store's refusal itself, not a timeout that followed it.
    expectFieldErrors(res, /^metrics store(?! did not answer in time)/);
    await expectHealthyAnswer();
  });

  it("Prometheus's out-of-order read race: each query is asked once more and the answer is complete", async () => {
    const before = k.proxy.queries;
    k.proxy.mode = { kind: 'read-race', seen: new Set() };
    const { res } = await ask();
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities[0]!.kubernetesCost!.breakdown.cpu).toBeCloseTo(analyticClusterCosts(cluster, FROM, TO).cpu, 6);
    // Every query failed once and was asked again.
    const asked = k.proxy.queries - before;
    expect(asked).toBeGreaterThan(0);
    expect(asked % 2).toBe(0);
    await expectHealthyAnswer();
  });

  it('a closed port: typed error at once', async () => {
    await k.proxy.close();
    try {
      const { res } = await ask();
      // The refused connection itself, not a timeout that followed it.
      expectFieldErrors(res, /metrics store unreachable/);
    } finally {
      await k.proxy.reopen();
    }
    await expectHealthyAnswer();
  });

  it('counts failed PromQL requests in /metrics', async () => {
    const text = await (await fetch(`${k.subgraph.internalUrl}/metrics`)).text();
    expect(Number(/costgraph_kubecost_promql_requests_total\{outcome="error"\} (\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(3);
  });
});
