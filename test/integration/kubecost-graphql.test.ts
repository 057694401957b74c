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
import { createPgliteDatabase, type TestDatabase } from '../helpers/databases';
import { callSubgraph } from '../helpers/subgraph-client';
import {
  analyticClusterCosts,
  analyticNamespaceCosts,
  clusterSeries,
  DAY_MS,
  GIB,
  HOUR_MS,
  MINUTE_MS,
  writeSeries,
  type SyntheticCluster,
} from '../helpers/synthetic-cluster';

/*
 * The kubecost subgraph's GraphQL fields over HTTP (signed context, as the gateway calls it)
 * against a real Prometheus holding synthetic clusters. Every expected figure is computed here
 * from the clusters' definitions (prices × quantities × hours, requests and usage), never by
 * the code under test.
 */

const SECRET = crypto.randomBytes(32).toString('hex');
const NOW = Date.now();
/** A UTC midnight whose day (and the hour after it) lies at least an hour in the past. */
const D0 = Math.floor((NOW - 2 * HOUR_MS) / DAY_MS) * DAY_MS - DAY_MS;
const DAY: [number, number] = [D0, D0 + DAY_MS];
const HOURS = 24;
const MONTH_HOURS = 730;

/** 0.5% relative, or 0.01 absolute for tiny values (the tolerance). */
function expectClose(actual: number | null | undefined, expected: number, what: string): void {
  if (typeof actual !== 'number' || Math.abs(actual - expected) > Math.max(0.005 * Math.abs(expected), 0.01)) {
    throw new Error(`${what}: got ${actual}, expected ${expected}`);
  }
}

const NODE_C_JOIN = D0 + 2 * HOUR_MS + 30 * MINUTE_MS;

/** Three nodes (one joins mid-day), requests vs usage on both sides, an unclaimed volume. */
function fullCluster(tenantId: string): SyntheticCluster {
  return {
    tenantId,
    startMs: D0 - 2 * HOUR_MS,
    endMs: D0 + DAY_MS + HOUR_MS,
    intervalSeconds: 60,
    nodes: [
      { name: 'node-a', cpuPrice: 0.03, ramPrice: 0.004, cores: 16, memoryBytes: 64 * GIB },
      { name: 'node-b', cpuPrice: 0.02, ramPrice: 0.003, cores: 8, memoryBytes: 32 * GIB },
      { name: 'node-c', cpuPrice: 0.025, ramPrice: 0.0035, cores: 16, memoryBytes: 64 * GIB, fromMs: NODE_C_JOIN },
    ],
    volumes: [
      { name: 'pv-data', price: 0.0002, capacityBytes: 500 * GIB },
      { name: 'pv-orphan', price: 0.0001, capacityBytes: 200 * GIB },
    ],
    loadBalancers: [{ namespace: 'web', service: 'ingress', ip: '10.1.2.3', price: 0.025 }],
    managementFee: 0.1,
    // Allocation is what the exporter reports: max(request, usage), per resource.
    containers: [
      // Uses a quarter of what it requests: a right-sizing candidate.
      { namespace: 'web', pod: 'web-1', container: 'app', node: 'node-a', requestCores: 4, usageCores: 1, cores: 4, requestMemoryBytes: 8 * GIB, usageMemoryBytes: 2 * GIB, memoryBytes: 8 * GIB },
      // Uses more CPU than it requests: allocated at its usage.
      { namespace: 'db', pod: 'pg-0', container: 'pg', node: 'node-b', requestCores: 2, usageCores: 3, cores: 3, requestMemoryBytes: 8 * GIB, usageMemoryBytes: 6 * GIB, memoryBytes: 8 * GIB },
      { namespace: 'batch', pod: 'etl-0', container: 'etl', node: 'node-c', fromMs: NODE_C_JOIN, requestCores: 6, usageCores: 5, cores: 6, requestMemoryBytes: 16 * GIB, usageMemoryBytes: 12 * GIB, memoryBytes: 16 * GIB },
    ],
    claims: [{ namespace: 'db', pod: 'pg-0', claim: 'data', volume: 'pv-data', bytes: 500 * GIB }],
  };
}

/** node-b sends prices but no capacity series: its asset cost, and so idle, are unknown. */
function partialCapacityCluster(tenantId: string): SyntheticCluster {
  const base = fullCluster(tenantId);
  return { ...base, nodes: base.nodes.map((n) => (n.name === 'node-b' ? { ...n, capacityMetrics: false } : n)) };
}

const BREAKDOWN = 'breakdown { cpu ram gpu persistentVolumes network loadBalancers clusterManagement }';
const CLUSTER_QUERY = `query($reps: [_Any!]!, $range: DateRangeInput!, $top: Int) { _entities(representations: $reps) { ... on CloudAccount {
  kubernetesCost(range: $range) { hasData lastSampleAt totalCost ${BREAKDOWN}
    namespaces(top: $top) { namespace totalCost cpu ram gpu persistentVolumes loadBalancers }
    efficiency { cpu ram total }
    savings { kind target monthlySavings explanation } } } } }`;
const SERIES_QUERY = `query($reps: [_Any!]!, $range: DateRangeInput!, $step: CostStep!) { _entities(representations: $reps) { ... on CloudAccount {
  kubernetesCost(range: $range) { totalCost ${BREAKDOWN} series(step: $step) { start totalCost ${BREAKDOWN} } } } } }`;

type Breakdown = Record<'cpu' | 'ram' | 'gpu' | 'persistentVolumes' | 'loadBalancers' | 'clusterManagement', number> & { network: number | null };
interface NamespaceRow {
  namespace: string;
  totalCost: number;
  cpu: number;
  ram: number;
  gpu: number;
  persistentVolumes: number;
  loadBalancers: number;
}
interface ClusterCostResult {
  hasData: boolean;
  lastSampleAt: string | null;
  totalCost: number;
  breakdown: Breakdown;
  namespaces: NamespaceRow[];
  efficiency: { cpu: number | null; ram: number | null; total: number | null } | null;
  savings: Array<{ kind: string; target: string; monthlySavings: number; explanation: string }>;
  series: Array<{ start: string; totalCost: number; breakdown: Breakdown }>;
}

const range = (from: number, to: number) => ({ from: new Date(from).toISOString(), to: new Date(to).toISOString() });

describe('kubecost GraphQL fields against a real Prometheus', () => {
  let dir: string;
  let store: LocalPrometheus;
  let t: TestDatabase;
  let subgraph: RunningService;
  let orgA: string;
  let orgB: string;
  const ids = { full: '', partial: '', empty: '', aws: '', foreign: '' };
  const clusters: Record<string, SyntheticCluster> = {};

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-kubecost-gql-'));
    store = await startLocalPrometheus({ dataDir: dir, port: 0 });
    t = await createPgliteDatabase();
    orgA = (await createOrganization(t.db, 'A')).id;
    orgB = (await createOrganization(t.db, 'B')).id;
    ids.full = (await createCloudAccount(t.db, { organizationId: orgA, name: 'full', type: 'kubernetes' })).id;
    ids.partial = (await createCloudAccount(t.db, { organizationId: orgA, name: 'partial', type: 'kubernetes' })).id;
    ids.empty = (await createCloudAccount(t.db, { organizationId: orgA, name: 'empty', type: 'kubernetes' })).id;
    ids.aws = (await createCloudAccount(t.db, { organizationId: orgA, name: 'aws', type: 'aws', providerAccountId: '123456789012' })).id;
    ids.foreign = (await createCloudAccount(t.db, { organizationId: orgB, name: 'foreign', type: 'kubernetes' })).id;
    clusters.full = fullCluster(ids.full);
    clusters.partial = partialCapacityCluster(ids.partial);
    // Data under the AWS account's id too: only the account type may keep it out.
    clusters.aws = fullCluster(ids.aws);
    clusters.foreign = fullCluster(ids.foreign);
    // One time-ordered write for all clusters, one request at a time, keeps every sample an
    // in-order append. Two requests in flight could commit out of order and put samples in
    // the out-of-order head, whose compaction Prometheus 2.42 can race with a query; once in
    // CI a namespace's volume cost then came back 41 minutes short.
    await writeSeries(store.url, Object.values(clusters).flatMap(clusterSeries));
    await store.settled();
    const config = { ...loadKubecostConfig({ DATA_DIR: dir, INTERNAL_AUTH_SECRET: SECRET, THANOS_QUERY_URL: store.url, KUBECOST_PORT: '0', KUBECOST_INTERNAL_PORT: '0' }), common: loadCommonConfig({ DATA_DIR: dir }) };
    subgraph = await startKubecostSubgraph({ config, db: t.db, logger: silentLogger });
  }, 60_000);

  afterAll(async () => {
    await subgraph?.close();
    await store?.stop();
    await t?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function clusterCost(id: string, r: { from: string; to: string }, top?: number): Promise<ClusterCostResult> {
    const res = await callSubgraph<{ _entities: Array<{ kubernetesCost: ClusterCostResult }> }>(
      subgraph.url,
      CLUSTER_QUERY,
      { reps: [{ __typename: 'CloudAccount', id }], range: r, top },
      { secret: SECRET, organizationIds: [orgA] },
    );
    expect(res.errors).toBeUndefined();
    return res.data!._entities[0].kubernetesCost;
  }

  async function series(id: string, r: { from: string; to: string }, step: 'HOUR' | 'DAY'): Promise<ClusterCostResult> {
    const res = await callSubgraph<{ _entities: Array<{ kubernetesCost: ClusterCostResult }> }>(
      subgraph.url,
      SERIES_QUERY,
      { reps: [{ __typename: 'CloudAccount', id }], range: r, step },
      { secret: SECRET, organizationIds: [orgA] },
    );
    expect(res.errors).toBeUndefined();
    return res.data!._entities[0].kubernetesCost;
  }

  /** Allocation per namespace and the idle remainder, from the cluster's definition. */
  function expectedNamespaces(cluster: SyntheticCluster, from: number, to: number) {
    const rows = [...analyticNamespaceCosts(cluster, from, to).values()].map((r) => ({ ...r, totalCost: r.cpu + r.ram + r.gpu + r.persistentVolumes + r.loadBalancers }));
    rows.sort((a, b) => b.totalCost - a.totalCost);
    const asset = analyticClusterCosts(cluster, from, to);
    const allocated = (k: 'cpu' | 'ram' | 'gpu') => rows.reduce((sum, r) => sum + r[k], 0);
    const idle = { cpu: asset.cpu - allocated('cpu'), ram: asset.ram - allocated('ram'), gpu: asset.gpu - allocated('gpu') };
    return { rows, idle, asset };
  }

  it('namespaces(top:) are allocations at max(request, usage), most expensive first, plus an __idle__ row for the whole cluster', async () => {
    const result = await clusterCost(ids.full, range(...DAY), 2);
    const { rows, idle } = expectedNamespaces(clusters.full, ...DAY);
    // The db container uses 3 cores against a 2-core request: it is charged for 3.
    expect(rows.find((r) => r.namespace === 'db')!.cpu).toBeCloseTo(3 * 0.02 * HOURS, 9);
    expect(result.namespaces.map((n) => n.namespace)).toEqual([rows[0].namespace, rows[1].namespace, '__idle__']);
    for (const [i, row] of rows.slice(0, 2).entries()) {
      for (const k of ['cpu', 'ram', 'gpu', 'persistentVolumes', 'loadBalancers', 'totalCost'] as const) expectClose(result.namespaces[i][k], row[k], `${row.namespace}.${k}`);
    }
    // Idle is the cluster's asset cost minus what *all* namespaces were allocated, not just the top two.
    const idleRow = result.namespaces[2];
    expect(idle.cpu).toBeGreaterThan(1);
    expectClose(idleRow.cpu, idle.cpu, 'idle.cpu');
    expectClose(idleRow.ram, idle.ram, 'idle.ram');
    expectClose(idleRow.totalCost, idle.cpu + idle.ram + idle.gpu, 'idle.total');
    expect(idleRow.persistentVolumes).toBe(0);
    // Without top, every namespace is listed.
    const all = await clusterCost(ids.full, range(...DAY));
    expect(all.namespaces.map((n) => n.namespace)).toEqual([...rows.map((r) => r.namespace), '__idle__']);
  });

  it('without capacity data for a node there is no __idle__ row and no idle-capacity advice (unknown, not a made-up number)', async () => {
    const result = await clusterCost(ids.partial, range(...DAY));
    expect(result.hasData).toBe(true);
    expect(result.namespaces.map((n) => n.namespace).sort()).toEqual(['batch', 'db', 'web']);
    expect(result.savings.map((s) => s.kind)).not.toContain('IDLE_CAPACITY');
    for (const row of result.namespaces) expect(row.totalCost).toBeGreaterThanOrEqual(0);
  });

  it('efficiency is time-weighted usage ÷ request for CPU and RAM, the total weighted by their costs', async () => {
    const result = await clusterCost(ids.full, range(...DAY));
    // Core-hours (and GiB-hours) used and requested over the day; etl-0 runs only from 02:30.
    const etlHours = (DAY[1] - NODE_C_JOIN) / HOUR_MS;
    const cpu = (1 * HOURS + 3 * HOURS + 5 * etlHours) / (4 * HOURS + 2 * HOURS + 6 * etlHours);
    const ram = (2 * HOURS + 6 * HOURS + 12 * etlHours) / (8 * HOURS + 8 * HOURS + 16 * etlHours);
    const asset = analyticClusterCosts(clusters.full, ...DAY);
    const total = (cpu * asset.cpu + ram * asset.ram) / (asset.cpu + asset.ram);
    expect(result.efficiency).not.toBeNull();
    expect(Math.abs(result.efficiency!.cpu! - cpu)).toBeLessThan(0.005 * cpu);
    expect(Math.abs(result.efficiency!.ram! - ram)).toBeLessThan(0.005 * ram);
    expect(Math.abs(result.efficiency!.total! - total)).toBeLessThan(0.005 * total);
    // A cluster without usage metrics has no efficiency at all (not 0, not 1).
    const withoutUsage = await clusterCost(ids.empty, range(...DAY));
    expect(withoutUsage.efficiency).toBeNull();
  });

  it('savings: right-sizing, the unclaimed volume and idle capacity, with monthly estimates, largest first', async () => {
    const result = await clusterCost(ids.full, range(...DAY));
    const { rows, idle, asset } = expectedNamespaces(clusters.full, ...DAY);
    const toMonth = MONTH_HOURS / HOURS;
    const web = rows.find((r) => r.namespace === 'web')!;
    // web uses 25% of its CPU and memory requests; lowering them to usage + 20% frees (4 − 1.2)/4 of each.
    const rightsizing = (web.cpu * (4 - 1.2 * 1)) / 4 * toMonth + (web.ram * (8 - 1.2 * 2)) / 8 * toMonth;
    const orphan = 0.0001 * 200 * MONTH_HOURS;
    const idleTotal = idle.cpu + idle.ram + idle.gpu;
    expect(idleTotal / (asset.cpu + asset.ram + asset.gpu)).toBeGreaterThan(0.3);
    const expected = [
      { kind: 'REQUEST_RIGHTSIZING', target: 'namespace/web', monthlySavings: rightsizing },
      { kind: 'UNCLAIMED_VOLUME', target: 'persistentvolume/pv-orphan', monthlySavings: orphan },
      { kind: 'IDLE_CAPACITY', target: 'cluster', monthlySavings: idleTotal * toMonth },
    ].sort((a, b) => b.monthlySavings - a.monthlySavings);
    expect(result.savings.map((s) => [s.kind, s.target])).toEqual(expected.map((s) => [s.kind, s.target]));
    for (const [i, e] of expected.entries()) {
      expectClose(result.savings[i].monthlySavings, e.monthlySavings, `${e.kind}.monthlySavings`);
      expect(result.savings[i].explanation).toMatch(/\$\d+\.\d\d/);
    }
  });

  it('series(step: HOUR) over an unaligned range: clipped first and last buckets on UTC hours, each bucket right, summing to the total', async () => {
    const from = D0 + 30 * MINUTE_MS;
    const to = D0 + 5 * HOUR_MS + 10 * MINUTE_MS;
    const result = await series(ids.full, range(from, to), 'HOUR');
    const bounds = [from, D0 + HOUR_MS, D0 + 2 * HOUR_MS, D0 + 3 * HOUR_MS, D0 + 4 * HOUR_MS, D0 + 5 * HOUR_MS, to];
    expect(result.series.map((p) => p.start)).toEqual(bounds.slice(0, -1).map((b) => new Date(b).toISOString()));
    checkSeries(result, bounds);
  });

  it('series(step: DAY): buckets start at UTC midnight (the first at the range start) and sum to the total', async () => {
    const from = D0 - 90 * MINUTE_MS;
    const to = D0 + 20 * HOUR_MS;
    const result = await series(ids.full, range(from, to), 'DAY');
    expect(result.series.map((p) => p.start)).toEqual([new Date(from).toISOString(), new Date(D0).toISOString()]);
    checkSeries(result, [from, D0, to]);
  });

  function checkSeries(result: ClusterCostResult, bounds: number[]): void {
    const categories = ['cpu', 'ram', 'gpu', 'persistentVolumes', 'loadBalancers', 'clusterManagement'] as const;
    for (const [i, point] of result.series.entries()) {
      const expected = analyticClusterCosts(clusters.full, bounds[i], bounds[i + 1]);
      for (const k of categories) expectClose(point.breakdown[k], expected[k], `bucket ${i}.${k}`);
      expect(point.breakdown.network).toBeNull();
    }
    for (const k of categories) {
      const sum = result.series.reduce((s, p) => s + p.breakdown[k], 0);
      expect(Math.abs(sum - result.breakdown[k])).toBeLessThanOrEqual(1e-9 * Math.max(1, result.breakdown[k]));
    }
    expect(Math.abs(result.series.reduce((s, p) => s + p.totalCost, 0) - result.totalCost)).toBeLessThanOrEqual(1e-9 * Math.max(1, result.totalCost));
  }

  it('a cluster with no samples: hasData false, zero costs, null lastSampleAt and network, empty namespaces and savings', async () => {
    const r = range(...DAY);
    const result = await clusterCost(ids.empty, r);
    expect(result).toEqual({
      hasData: false,
      lastSampleAt: null,
      totalCost: 0,
      breakdown: { cpu: 0, ram: 0, gpu: 0, persistentVolumes: 0, network: null, loadBalancers: 0, clusterManagement: 0 },
      namespaces: [],
      efficiency: null,
      savings: [],
    });
    const points = (await series(ids.empty, r, 'HOUR')).series;
    expect(points).toHaveLength(24);
    expect(points.every((p) => p.totalCost === 0)).toBe(true);
  });

  it('a non-Kubernetes account, another organization\'s cluster and a malformed id are null exactly like an unknown id', async () => {
    const reps = [ids.aws, ids.foreign, 'not-an-id', crypto.randomUUID()].map((id) => ({ __typename: 'CloudAccount', id }));
    const res = await callSubgraph(subgraph.url, CLUSTER_QUERY, { reps, range: range(...DAY) }, { secret: SECRET, organizationIds: [orgA] });
    expect(res).toEqual({ status: 200, data: { _entities: [{ kubernetesCost: null }, { kubernetesCost: null }, { kubernetesCost: null }, { kubernetesCost: null }] } });
    // The same organization-level question: the foreign organization resolves like one that does not exist.
    const orgs = await callSubgraph(
      subgraph.url,
      'query($reps: [_Any!]!, $range: DateRangeInput!) { _entities(representations: $reps) { ... on Organization { kubernetesCosts(range: $range) { totalCost } } } }',
      { reps: [orgB, crypto.randomUUID()].map((id) => ({ __typename: 'Organization', id, kubernetesClusterIds: [ids.foreign] })), range: range(...DAY) },
      { secret: SECRET, organizationIds: [orgA] },
    );
    expect(orgs).toEqual({ status: 200, data: { _entities: [null, null] } });
    // And the owner does see its cluster's costs (the data is there).
    const owner = await callSubgraph<{ _entities: Array<{ kubernetesCost: { totalCost: number } }> }>(
      subgraph.url,
      CLUSTER_QUERY,
      { reps: [{ __typename: 'CloudAccount', id: ids.foreign }], range: range(...DAY) },
      { secret: SECRET, organizationIds: [orgB] },
    );
    expect(owner.data!._entities[0].kubernetesCost.totalCost).toBeGreaterThan(10);
  });
});
