import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCloudAccount, createOrganization } from '../../lib/accounts/repository';
import { loadCommonConfig } from '../../lib/config/common';
import { signContext } from '../../lib/internal-auth/signed-context';
import { silentLogger } from '../../lib/log';
import { startLocalPrometheus, type LocalPrometheus } from '../../cli/local/local-prometheus';
import { loadKubecostConfig } from '../../subgraphs/kubecost/config';
import type { RunningService } from '../../lib/http/listen';
import { startKubecostSubgraph } from '../../subgraphs/kubecost/start';
import { createPgliteDatabase, type TestDatabase } from '../helpers/databases';
import { post, REMOTE_WRITE_HEADERS, writeBody } from '../helpers/remote-write';
import { callSubgraph } from '../helpers/subgraph-client';

const SECRET = crypto.randomBytes(32).toString('hex');
const HOUR = 3_600_000;
// A closed window two hours in the past, on hour boundaries.
const TO = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
const FROM = TO - 4 * HOUR;
const RANGE = { from: new Date(FROM).toISOString(), to: new Date(TO).toISOString() };

/** One node (`cores` cores at $0.05/core-h) and a $0.10/h management fee, sampled every minute. */
function clusterSeries(tenant: string, cores: number): Array<{ labels: Record<string, string>; samples: Array<[number, number]> }> {
  const samples: Array<[number, number]> = [];
  for (let t = FROM - 10 * 60_000; t <= TO + 10 * 60_000; t += 60_000) samples.push([t, 0]);
  const at = (value: number) => samples.map(([t]) => [t, value] as [number, number]);
  const node = { node: 'node-1', tenant_id: tenant };
  return [
    { labels: { __name__: 'node_cpu_hourly_cost', ...node }, samples: at(0.05) },
    { labels: { __name__: 'node_ram_hourly_cost', ...node }, samples: at(0.005) },
    { labels: { __name__: 'kube_node_status_capacity_cpu_cores', ...node }, samples: at(cores) },
    { labels: { __name__: 'kube_node_status_capacity_memory_bytes', ...node }, samples: at(8 * 1073741824) },
    { labels: { __name__: 'kubecost_cluster_management_cost', provisioner_name: 'EKS', tenant_id: tenant }, samples: at(0.1) },
  ];
}

/**
 * All clusters in one request, so Prometheus appends every sample in order in one commit. Written
 * cluster by cluster, the later clusters' samples fall more than an hour behind the head and go
 * through the out-of-order head, which Prometheus 2.42 sometimes reads back incompletely.
 */
async function writeClusters(storeUrl: string, clusters: Array<{ tenant: string; cores: number }>): Promise<void> {
  const body = writeBody(clusters.flatMap((c) => clusterSeries(c.tenant, c.cores)));
  const res = await post(`${storeUrl}/api/v1/write`, body, REMOTE_WRITE_HEADERS);
  if (res.status !== 204) throw new Error(`store refused synthetic data: ${res.status} ${res.body}`);
}

const ORG_COSTS = `query($reps: [_Any!]!, $range: DateRangeInput!) {
  _entities(representations: $reps) {
    ... on Organization { id kubernetesCosts(range: $range) { totalCost clusters { cloudAccount { id } totalCost hasData lastSampleAt
      breakdown { cpu ram gpu persistentVolumes network loadBalancers clusterManagement } } } }
  }
}`;

describe('kubecost subgraph over HTTP against a real Prometheus', () => {
  let dir: string;
  let store: LocalPrometheus;
  let t: TestDatabase;
  let subgraph: RunningService;
  let orgA: string;
  let orgB: string;
  let clustersA: string[];
  let clusterB: string;
  let metricsUrl: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-kubecost-'));
    store = await startLocalPrometheus({ dataDir: dir, port: 0 });
    t = await createPgliteDatabase();
    orgA = (await createOrganization(t.db, 'A')).id;
    orgB = (await createOrganization(t.db, 'B')).id;
    clustersA = [];
    for (let i = 0; i < 100; i++) clustersA.push((await createCloudAccount(t.db, { organizationId: orgA, name: `a-${i}`, type: 'kubernetes' })).id);
    clusterB = (await createCloudAccount(t.db, { organizationId: orgB, name: 'b-0', type: 'kubernetes' })).id;
    await writeClusters(store.url, [...clustersA.slice(0, 10).map((tenant, i) => ({ tenant, cores: i + 1 })), { tenant: clusterB, cores: 64 }]);
    await store.settled();
    const config = { ...loadKubecostConfig({ DATA_DIR: dir, INTERNAL_AUTH_SECRET: SECRET, THANOS_QUERY_URL: store.url, KUBECOST_PORT: '0', KUBECOST_INTERNAL_PORT: '0' }), common: loadCommonConfig({ DATA_DIR: dir }) };
    subgraph = await startKubecostSubgraph({ config, db: t.db, logger: silentLogger });
    metricsUrl = `${subgraph.internalUrl}/metrics`;
  }, 120_000);

  afterAll(async () => {
    await subgraph?.close();
    await store?.stop();
    await t?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let asA: { secret: string; organizationIds: string[] };
  beforeAll(() => {
    asA = { secret: SECRET, organizationIds: [orgA] };
  });

  it('computes each cluster\'s costs from its own metrics only', async () => {
    const res = await callSubgraph<{ _entities: Array<{ kubernetesCosts: { totalCost: number; clusters: Array<{ cloudAccount: { id: string }; totalCost: number; hasData: boolean; breakdown: Record<string, number | null> }> } }> }>(
      subgraph.url,
      ORG_COSTS,
      { reps: [{ __typename: 'Organization', id: orgA, kubernetesClusterIds: clustersA.slice(0, 3) }], range: RANGE },
      asA,
    );
    expect(res.errors).toBeUndefined();
    const report = res.data!._entities[0].kubernetesCosts;
    expect(report.clusters.map((c) => c.cloudAccount.id).sort()).toEqual(clustersA.slice(0, 3).sort());
    for (const cluster of report.clusters) {
      const cores = clustersA.indexOf(cluster.cloudAccount.id) + 1;
      expect(cluster.breakdown.cpu).toBeCloseTo(0.05 * cores * 4, 6);
      expect(cluster.breakdown.ram).toBeCloseTo(0.005 * 8 * 4, 6);
      expect(cluster.breakdown.clusterManagement).toBeCloseTo(0.4, 6);
      expect(cluster.breakdown.network).toBeNull();
      expect(cluster.hasData).toBe(true);
    }
    expect(report.totalCost).toBeCloseTo(report.clusters.reduce((s, c) => s + c.totalCost, 0), 9);
  });

  it('drops clusters of other organizations even when the representation names them', async () => {
    const res = await callSubgraph<{ _entities: Array<{ kubernetesCosts: { clusters: Array<{ cloudAccount: { id: string } }> } } | null> }>(
      subgraph.url,
      ORG_COSTS,
      {
        reps: [
          { __typename: 'Organization', id: orgA, kubernetesClusterIds: [clustersA[0], clusterB, 'x"}|.*'] },
          { __typename: 'Organization', id: orgB, kubernetesClusterIds: [clusterB] },
        ],
        range: RANGE,
      },
      asA,
    );
    expect(res.data!._entities[0]!.kubernetesCosts.clusters.map((c) => c.cloudAccount.id)).toEqual([clustersA[0]]);
    expect(res.data!._entities[1]).toBeNull();
    const single = await callSubgraph<{ _entities: Array<{ kubernetesCost: unknown }> }>(
      subgraph.url,
      'query($reps: [_Any!]!, $range: DateRangeInput!) { _entities(representations: $reps) { ... on CloudAccount { kubernetesCost(range: $range) { totalCost } } } }',
      { reps: [{ __typename: 'CloudAccount', id: clusterB }, { __typename: 'CloudAccount', id: crypto.randomUUID() }], range: RANGE },
      asA,
    );
    expect(single.data!._entities).toEqual([{ kubernetesCost: null }, { kubernetesCost: null }]);
  });

  it('costs the same number of PromQL requests for 1, 10 and 100 clusters', async () => {
    const requests = async () => {
      const text = await (await fetch(metricsUrl)).text();
      return Number(/costgraph_kubecost_promql_requests_total\{outcome="success"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const counts: number[] = [];
    for (const [n, hours] of [
      [1, 5],
      [10, 6],
      [100, 7],
    ]) {
      // A fresh range each time (both ends), so the result cache cannot hide requests.
      const range = { from: new Date(TO - hours * HOUR).toISOString(), to: new Date(TO - hours * 60_000).toISOString() };
      const before = await requests();
      const res = await callSubgraph(subgraph.url, ORG_COSTS, { reps: [{ __typename: 'Organization', id: orgA, kubernetesClusterIds: clustersA.slice(0, n) }], range }, asA);
      expect(res.errors).toBeUndefined();
      counts.push((await requests()) - before);
    }
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts).toEqual([counts[0], counts[0], counts[0]]);
  });

  it('reports a cluster without samples as hasData false with zero costs', async () => {
    const res = await callSubgraph<{ _entities: Array<{ kubernetesCosts: { clusters: Array<{ hasData: boolean; lastSampleAt: string | null; totalCost: number; breakdown: { network: number | null } }> } }> }>(
      subgraph.url,
      ORG_COSTS,
      { reps: [{ __typename: 'Organization', id: orgA, kubernetesClusterIds: [clustersA[50]] }], range: RANGE },
      asA,
    );
    expect(res.data!._entities[0].kubernetesCosts.clusters).toEqual([expect.objectContaining({ hasData: false, lastSampleAt: null, totalCost: 0, breakdown: expect.objectContaining({ network: null }) })]);
  });

  it('refuses unsigned, expired and tampered requests with 401', async () => {
    const reps = { reps: [{ __typename: 'Organization', id: orgA, kubernetesClusterIds: [] }], range: RANGE };
    expect((await callSubgraph(subgraph.url, ORG_COSTS, reps, {})).status).toBe(401);
    expect((await callSubgraph(subgraph.url, ORG_COSTS, reps, { header: signContext({ subject: 's', organizationIds: [orgA], role: 'admin' }, SECRET, -1000) })).status).toBe(401);
    const valid = signContext({ subject: 's', organizationIds: [orgA], role: 'admin' }, SECRET);
    const [payload, signature] = valid.split('.');
    const widened = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), orgs: [orgA, orgB] })).toString('base64url');
    expect((await callSubgraph(subgraph.url, ORG_COSTS, reps, { header: `${widened}.${signature}` })).status).toBe(401);
    expect((await callSubgraph(subgraph.url, ORG_COSTS, reps, { header: signContext({ subject: 's', organizationIds: [orgA], role: 'admin' }, 'another-secret') })).status).toBe(401);
  });

  it('answers bad ranges with BAD_USER_INPUT', async () => {
    for (const range of [
      { from: RANGE.to, to: RANGE.from },
      { from: '2020-01-01T00:00:00Z', to: '2022-01-01T00:00:00Z' },
      { from: 'yesterday', to: RANGE.to },
    ]) {
      const res = await callSubgraph(subgraph.url, ORG_COSTS, { reps: [{ __typename: 'Organization', id: orgA, kubernetesClusterIds: [clustersA[0]] }], range }, asA);
      expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('turns a metrics-store outage into a typed error on the field and keeps serving', async () => {
    const port = store.port;
    await store.stop();
    try {
      const range = { from: new Date(TO - 9 * HOUR).toISOString(), to: RANGE.to };
      const res = await callSubgraph(subgraph.url, ORG_COSTS, { reps: [{ __typename: 'Organization', id: orgA, kubernetesClusterIds: [clustersA[0]] }], range }, asA);
      expect(res.status).toBe(200);
      expect(res.errors?.[0].extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
      expect((await fetch(subgraph.url.replace(/\/graphql$/, '/healthz'))).status).toBe(200);
    } finally {
      store = await startLocalPrometheus({ dataDir: dir, port });
    }
  });
});
