import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalPrometheus, type LocalPrometheus } from '../../cli/local/local-prometheus';
import { loadClusterCosts, loadNamespaceCosts, type ClusterCostData, type NamespaceCostData } from '../../subgraphs/kubecost/costs/cluster-costs';
import { costWindow } from '../../subgraphs/kubecost/costs/window';
import { createKubecostMetrics } from '../../subgraphs/kubecost/metrics';
import { ThanosClient } from '../../subgraphs/kubecost/promql/thanos-client';
import { fixture } from '../helpers/fixtures';
import { instantQuery } from '../helpers/promql';
import {
  analyticClusterCosts,
  analyticNamespaceCosts,
  clusterSeries,
  DAY_MS,
  GIB,
  HOUR_MS,
  lastSampleTime,
  MINUTE_MS,
  scrapeSamples,
  writeSeries,
  type AnalyticClusterCosts,
  type SyntheticCluster,
  type SyntheticSeries,
} from '../helpers/synthetic-cluster';

/*
 * Accuracy of the Kubecost cost model (subgraphs/kubecost/costs) against a real Prometheus
 * 2.42: synthetic clusters with known prices, quantities and lifetimes are remote-written
 * straight into the store (tenant_id set by the test, as Thanos Receive would), and every cost
 * category loadClusterCosts / loadNamespaceCosts returns is compared with the analytic value
 * (price × quantity × hours running inside [from, to); conventions in ../helpers/synthetic-cluster).
 */

/** The brief's tolerance: 0.5% relative, or 0.01 absolute for tiny values. */
const REL = 0.005;
const ABS = 0.01;
/** Where the model is exact by construction (same subquery points), any difference is a bug. */
const EXACT = 1e-9;

const NOW = Date.now();
/** A UTC midnight such that [D0, D0 + 1 day) ends at least 2 hours before now (and its data 1 hour before now). */
const D0 = Math.floor((NOW - 2 * HOUR_MS) / DAY_MS) * DAY_MS - DAY_MS;
const DAY: [number, number] = [D0, D0 + DAY_MS];
const PROMQL_LOOKBACK_MS = 5 * MINUTE_MS;

// ---------------------------------------------------------------------------------------------
// Scenario clusters

function baseCluster(overrides: Partial<SyntheticCluster> = {}): SyntheticCluster {
  return {
    tenantId: randomUUID(),
    startMs: D0 - HOUR_MS,
    endMs: D0 + DAY_MS + HOUR_MS,
    intervalSeconds: 60,
    nodes: [
      { name: 'node-a', cpuPrice: 0.031611, ramPrice: 0.004237, cores: 16, memoryBytes: 64 * GIB, instanceType: 'n2-standard-16' },
      { name: 'node-b', cpuPrice: 0.021811, ramPrice: 0.002923, cores: 8, memoryBytes: 32 * GIB, instanceType: 'e2-standard-8' },
      { name: 'gpu-1', cpuPrice: 0.0319, ramPrice: 0.0043, gpuPrice: 2.48, gpuCount: 2, cores: 12, memoryBytes: 85 * GIB, instanceType: 'a2-highgpu-2g' },
    ],
    volumes: [
      { name: 'pvc-data', price: 0.000233, capacityBytes: 2048 * GIB },
      { name: 'pvc-models', price: 0.00011, capacityBytes: 500 * GIB },
    ],
    loadBalancers: [{ namespace: 'ingress-nginx', service: 'ingress-nginx-controller', ip: '35.202.61.109', price: 0.025 }],
    managementFee: 0.1,
    containers: [
      { namespace: 'web', pod: 'web-1', container: 'app', node: 'node-a', cores: 4, memoryBytes: 8 * GIB },
      { namespace: 'web', pod: 'web-2', container: 'app', node: 'node-a', cores: 4, memoryBytes: 8 * GIB },
      { namespace: 'web', pod: 'web-2', container: 'sidecar', node: 'node-a', cores: 0.5, memoryBytes: 0.5 * GIB },
      { namespace: 'db', pod: 'postgres-0', container: 'postgres', node: 'node-b', cores: 6, memoryBytes: 24 * GIB },
      { namespace: 'ml', pod: 'trainer-0', container: 'trainer', node: 'gpu-1', cores: 8, memoryBytes: 64 * GIB, gpus: 2 },
      { namespace: 'kube-system', pod: 'kube-proxy-a', container: 'kube-proxy', node: 'node-a', cores: 0.1, memoryBytes: 0.1 * GIB },
      { namespace: 'kube-system', pod: 'kube-proxy-b', container: 'kube-proxy', node: 'node-b', cores: 0.1, memoryBytes: 0.1 * GIB },
    ],
    claims: [
      { namespace: 'db', pod: 'postgres-0', claim: 'data-postgres-0', volume: 'pvc-data', bytes: 2048 * GIB },
      { namespace: 'ml', pod: 'trainer-0', claim: 'models', volume: 'pvc-models', bytes: 500 * GIB },
    ],
    ...overrides,
  };
}

/** Node node-c joins at D0+6h; node-b (and its pods) leave at D0+15h; a scratch volume lives D0+3h..D0+9h. */
function joinLeaveCluster(intervalSeconds: 60 | 300): SyntheticCluster {
  const base = baseCluster({ intervalSeconds });
  const join = D0 + 6 * HOUR_MS;
  const leave = D0 + 15 * HOUR_MS;
  return {
    ...base,
    nodes: [
      ...base.nodes.map((n) => (n.name === 'node-b' ? { ...n, toMs: leave } : n)),
      { name: 'node-c', cpuPrice: 0.0287, ramPrice: 0.0038, cores: 32, memoryBytes: 128 * GIB, fromMs: join },
    ],
    volumes: [...base.volumes!, { name: 'pvc-scratch', price: 0.00017, capacityBytes: 1000 * GIB, fromMs: D0 + 3 * HOUR_MS, toMs: D0 + 9 * HOUR_MS }],
    containers: [
      ...base.containers!.map((c) => (c.node === 'node-b' ? { ...c, toMs: leave } : c)),
      { namespace: 'batch', pod: 'etl-1', container: 'etl', node: 'node-c', cores: 24, memoryBytes: 96 * GIB, fromMs: join },
      { namespace: 'batch', pod: 'etl-0', container: 'etl', node: 'node-a', cores: 6, memoryBytes: 20 * GIB, fromMs: D0 + 2 * HOUR_MS, toMs: D0 + 20 * HOUR_MS + 30 * MINUTE_MS },
    ],
    claims: [...base.claims!, { namespace: 'batch', pod: 'etl-0', claim: 'scratch', volume: 'pvc-scratch', bytes: 1000 * GIB, fromMs: D0 + 3 * HOUR_MS, toMs: D0 + 9 * HOUR_MS }],
  };
}

const egressFlows = () => ({
  prices: { internet: 0.12, region: 0.01, zone: 0.01 },
  flows: [
    { namespace: 'web', pod: 'web-1', kind: 'internet' as const, bytesPerHour: 2 * GIB },
    { namespace: 'web', pod: 'web-2', kind: 'internet' as const, bytesPerHour: 1.5 * GIB, initialBytes: 7.3e11 },
    { namespace: 'db', pod: 'postgres-0', kind: 'region' as const, bytesPerHour: 5 * GIB },
    { namespace: 'db', pod: 'postgres-0', kind: 'zone' as const, bytesPerHour: 10 * GIB },
    { namespace: 'ml', pod: 'trainer-0', kind: 'local' as const, bytesPerHour: 50 * GIB },
  ],
});

/** Deterministic PRNG so the batch clusters are the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomCluster(rng: () => number, i: number): SyntheticCluster {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)];
  const minuteIn = (fromH: number, toH: number) => D0 + Math.round((fromH + rng() * (toH - fromH)) * 60) * MINUTE_MS;
  const intervalSeconds: 60 | 300 = i % 3 === 2 ? 300 : 60;
  const grid = (t: number) => Math.round(t / (intervalSeconds * 1000)) * intervalSeconds * 1000;
  const nodes = Array.from({ length: 1 + Math.floor(rng() * 4) }, (_, n) => ({
    name: `node-${i}-${n}`,
    cpuPrice: 0.01 + rng() * 0.04,
    ramPrice: 0.001 + rng() * 0.005,
    cores: pick([4, 8, 16, 32]),
    memoryBytes: pick([16, 32, 64, 128]) * GIB,
    ...(rng() < 0.25 ? { gpuPrice: 2.48, gpuCount: pick([1, 2, 4]) } : {}),
    ...(n > 0 && rng() < 0.4 ? { fromMs: grid(minuteIn(1, 8)) } : {}),
    ...(n > 0 && rng() < 0.4 ? { toMs: grid(minuteIn(14, 23)) } : {}),
  }));
  const containers = nodes.flatMap((node, n) => [
    { namespace: pick(['web', 'db', 'batch']), pod: `pod-${n}-a`, container: 'app', node: node.name, cores: node.cores / 2, memoryBytes: node.memoryBytes / 4, fromMs: node.fromMs, toMs: node.toMs },
    { namespace: 'kube-system', pod: `pod-${n}-b`, container: 'proxy', node: node.name, cores: 0.2, memoryBytes: 0.25 * GIB, fromMs: node.fromMs, toMs: node.toMs },
  ]);
  const volumes = [{ name: `pv-${i}`, price: 0.0001 + rng() * 0.0002, capacityBytes: pick([100, 500, 1000]) * GIB }];
  return {
    tenantId: randomUUID(),
    startMs: D0 - HOUR_MS,
    endMs: D0 + DAY_MS + HOUR_MS,
    intervalSeconds,
    nodes,
    volumes,
    loadBalancers: rng() < 0.5 ? [{ namespace: 'web', service: `lb-${i}`, ip: `10.0.0.${i}`, price: 0.025 }] : [],
    managementFee: rng() < 0.7 ? 0.1 : undefined,
    containers,
    claims: [{ namespace: 'db', pod: 'pod-0-a', claim: 'data', volume: volumes[0].name, bytes: volumes[0].capacityBytes }],
    egress: rng() < 0.5 ? egressFlows() : undefined,
    gaps: rng() < 0.3 ? [{ fromMs: grid(minuteIn(9, 12)), toMs: grid(minuteIn(12.5, 13)), staleMarkers: true }] : [],
  };
}

const GAP: [number, number] = [D0 + 10 * HOUR_MS, D0 + 10 * HOUR_MS + 30 * MINUTE_MS];

const scenarios = {
  constant1m: baseCluster(),
  constant5m: baseCluster({ intervalSeconds: 300 }),
  joinLeave1m: joinLeaveCluster(60),
  joinLeave5m: joinLeaveCluster(300),
  // Samples lost for 30 minutes (no stale markers): e.g. remote write dropped them.
  gapLost: baseCluster({ gaps: [{ fromMs: GAP[0], toMs: GAP[1] }] }),
  // Scrapes failed for 30 minutes: Prometheus marked every series stale at the first failure.
  gapFailed: baseCluster({ gaps: [{ fromMs: GAP[0], toMs: GAP[1], staleMarkers: true }] }),
  unaligned: { ...joinLeaveCluster(60) },
  twoDays: {
    ...baseCluster({ startMs: D0 - DAY_MS - HOUR_MS, egress: egressFlows() }),
    nodes: baseCluster().nodes.map((n) => (n.name === 'node-b' ? { ...n, toMs: D0 + 12 * HOUR_MS } : n)),
  },
  noEgress: baseCluster({ nodes: baseCluster().nodes.slice(0, 1), containers: [], claims: [], volumes: [] }),
  egress1m: baseCluster({ egress: egressFlows() }),
  egress5m: baseCluster({ intervalSeconds: 300, egress: egressFlows() }),
  // Stops sending at D0+20h (every series marked stale at the next scrape).
  stopsEarly: baseCluster({ endMs: D0 + 20 * HOUR_MS }),
  // Connected 5 minutes before an hour ends, 5-minute scrapes: one sample in that hour.
  joinsAtHourEnd5m: baseCluster({ intervalSeconds: 300, startMs: D0 + 6 * HOUR_MS - 5 * MINUTE_MS }),
  // Scrapes failed from 10:05 to 11:50, 5-minute scrapes: two samples in the hour it resumed.
  resumesAtHourEnd5m: baseCluster({ intervalSeconds: 300, gaps: [{ fromMs: D0 + 10 * HOUR_MS + 5 * MINUTE_MS, toMs: D0 + 11 * HOUR_MS + 50 * MINUTE_MS, staleMarkers: true }] }),
} satisfies Record<string, SyntheticCluster>;

const rng = mulberry32(20240611);
const batch = Array.from({ length: 10 }, (_, i) => randomCluster(rng, i));
const EMPTY_TENANT = randomUUID();

// ---------------------------------------------------------------------------------------------
// The real Kubecost scrape, replayed as constant series

interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition format: `name{label="value",...} value [timestamp]`, comments skipped. */
function parseExposition(text: string): ExpositionSample[] {
  const samples: ExpositionSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    let i = 0;
    while (i < line.length && line[i] !== '{' && line[i] !== ' ' && line[i] !== '\t') i++;
    const name = line.slice(0, i);
    const labels: Record<string, string> = {};
    if (line[i] === '{') {
      i++;
      for (;;) {
        while (line[i] === ' ' || line[i] === ',') i++;
        if (line[i] === '}') {
          i++;
          break;
        }
        const eq = line.indexOf('=', i);
        const labelName = line.slice(i, eq).trim();
        i = eq + 1;
        if (line[i] !== '"') throw new Error(`bad label value in: ${line}`);
        i++;
        let value = '';
        while (line[i] !== '"') {
          if (i >= line.length) throw new Error(`unterminated label value in: ${line}`);
          if (line[i] === '\\') {
            const next = line[i + 1];
            value += next === 'n' ? '\n' : next;
            i += 2;
          } else value += line[i++];
        }
        i++;
        labels[labelName] = value;
      }
    }
    const [valueText] = line.slice(i).trim().split(/\s+/);
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    samples.push({ name, labels, value });
  }
  return samples;
}

const SCRAPE = parseExposition(fixture('opencost', 'kubecost-scrape.prom').toString('utf8'));
const REPLAY_TENANT = randomUUID();

function replaySeries(): SyntheticSeries[] {
  const frame: SyntheticCluster = { tenantId: REPLAY_TENANT, startMs: D0 - HOUR_MS, endMs: D0 + DAY_MS + HOUR_MS, intervalSeconds: 60, nodes: [] };
  return SCRAPE.map((s) => ({ labels: { __name__: s.name, ...s.labels, tenant_id: REPLAY_TENANT }, samples: scrapeSamples(frame, {}, () => s.value) }));
}

/** The day's cost straight from the scrape's numbers, OpenCost's asset and allocation formulas, no PromQL. */
function expectedFromScrape(hours: number) {
  const by = (name: string, key: string) => new Map(SCRAPE.filter((s) => s.name === name).map((s) => [s.labels[key], s.value]));
  const all = (name: string) => SCRAPE.filter((s) => s.name === name);
  const cpuPrice = by('node_cpu_hourly_cost', 'node');
  const ramPrice = by('node_ram_hourly_cost', 'node');
  const gpuPrice = by('node_gpu_hourly_cost', 'node');
  const gpuCount = by('node_gpu_count', 'node');
  const cores = by('kube_node_status_capacity_cpu_cores', 'node');
  const memory = by('kube_node_status_capacity_memory_bytes', 'node');
  const pvPrice = by('pv_hourly_cost', 'persistentvolume');
  const pvBytes = by('kube_persistentvolume_capacity_bytes', 'persistentvolume');
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

  const cluster: AnalyticClusterCosts = {
    cpu: sum([...cpuPrice].map(([node, price]) => price * (cores.get(node) ?? 0) * hours)),
    ram: sum([...ramPrice].map(([node, price]) => ((price * (memory.get(node) ?? 0)) / GIB) * hours)),
    gpu: sum([...gpuPrice].map(([node, price]) => price * (gpuCount.get(node) ?? 0) * hours)),
    // The scrape carries kube_persistentvolume_capacity_bytes but no pv_hourly_cost: no price, no cost.
    persistentVolumes: sum([...pvBytes].map(([pv, bytes]) => (((pvPrice.get(pv) ?? 0) * bytes) / GIB) * hours)),
    // The egress counters exist but a replayed (constant) counter does not grow: 0 GiB, so 0, not "no data".
    network: all('kubecost_pod_network_egress_bytes_total').length > 0 ? 0 : null,
    networkSlack: 0,
    loadBalancers: sum(all('kubecost_load_balancer_cost').map((s) => s.value * hours)),
    clusterManagement: sum(all('kubecost_cluster_management_cost').map((s) => s.value * hours)),
  };
  const namespaces = new Map<string, { cpu: number; ram: number; gpu: number; persistentVolumes: number; loadBalancers: number }>();
  const row = (ns: string) => {
    if (!namespaces.has(ns)) namespaces.set(ns, { cpu: 0, ram: 0, gpu: 0, persistentVolumes: 0, loadBalancers: 0 });
    return namespaces.get(ns)!;
  };
  for (const s of all('container_cpu_allocation')) row(s.labels.namespace).cpu += s.value * (cpuPrice.get(s.labels.node) ?? 0) * hours;
  for (const s of all('container_memory_allocation_bytes')) row(s.labels.namespace).ram += (s.value / GIB) * (ramPrice.get(s.labels.node) ?? 0) * hours;
  for (const s of all('container_gpu_allocation')) row(s.labels.namespace).gpu += s.value * (gpuPrice.get(s.labels.node) ?? 0) * hours;
  for (const s of all('pod_pvc_allocation')) row(s.labels.namespace).persistentVolumes += (s.value / GIB) * (pvPrice.get(s.labels.persistentvolume) ?? 0) * hours;
  for (const s of all('kubecost_load_balancer_cost')) row(s.labels.namespace).loadBalancers += s.value * hours;
  return { cluster, namespaces };
}

// ---------------------------------------------------------------------------------------------
// Comparison

const CATEGORIES = ['cpu', 'ram', 'gpu', 'persistentVolumes', 'network', 'loadBalancers', 'clusterManagement'] as const;
const NAMESPACE_CATEGORIES = ['cpu', 'ram', 'gpu', 'persistentVolumes', 'loadBalancers'] as const;

/** Relative errors seen, printed at the end with ACCURACY_REPORT=1. */
const seen: string[] = [];

function close(actual: number, expected: number, rel: number, abs: number): boolean {
  return Math.abs(actual - expected) <= Math.max(abs, Math.abs(expected) * rel);
}

function compareNumber(what: string, actual: number | null, expected: number | null, out: string[], rel = REL, abs = ABS): void {
  const relErr = expected ? ((actual ?? 0) - expected) / expected : 0;
  seen.push(`${what}: actual ${actual} expected ${expected} (${(relErr * 100).toFixed(4)}%)`);
  if (expected === null || actual === null) {
    if (actual !== expected) out.push(`${what}: got ${actual}, expected ${expected}`);
    return;
  }
  if (!close(actual, expected, rel, abs)) out.push(`${what}: got ${actual}, expected ${expected} (${(relErr * 100).toFixed(3)}%)`);
}

function compareCluster(what: string, actual: ClusterCostData | undefined, expected: AnalyticClusterCosts, rel = REL, abs = ABS): string[] {
  const out: string[] = [];
  if (!actual) return [`${what}: no result`];
  for (const category of CATEGORIES) compareNumber(`${what}.${category}`, actual.breakdown[category], expected[category], out, rel, abs + (category === 'network' ? expected.networkSlack : 0));
  const total = CATEGORIES.reduce((sum, c) => sum + (expected[c] ?? 0), 0);
  compareNumber(`${what}.total`, actual.totalCost, total, out, rel, abs + expected.networkSlack);
  return out;
}

type NamespaceRow = Record<(typeof NAMESPACE_CATEGORIES)[number], number>;

function compareNamespaces(what: string, actual: NamespaceCostData[] | undefined, expected: Map<string, NamespaceRow>, rel = REL, abs = ABS): string[] {
  const out: string[] = [];
  if (!actual) return [`${what}: no result`];
  const got = new Map(actual.map((row) => [row.namespace, row]));
  for (const namespace of new Set([...got.keys(), ...expected.keys()])) {
    for (const category of NAMESPACE_CATEGORIES) {
      compareNumber(`${what}[${namespace}].${category}`, got.get(namespace)?.[category] ?? 0, expected.get(namespace)?.[category] ?? 0, out, rel, abs);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

describe('Kubecost cost model accuracy against a real Prometheus 2.42', () => {
  let dir: string;
  let store: LocalPrometheus;
  let client: ThanosClient;
  const seriesOf = new Map<string, SyntheticSeries[]>();

  const clusterCosts = async (cluster: SyntheticCluster | string, from: number, to: number) => {
    const id = typeof cluster === 'string' ? cluster : cluster.tenantId;
    return (await loadClusterCosts(client, [id], new Date(from), new Date(to))).get(id)!;
  };
  const namespaceCosts = async (cluster: SyntheticCluster, from: number, to: number) =>
    (await loadNamespaceCosts(client, [cluster.tenantId], new Date(from), new Date(to))).get(cluster.tenantId);

  /** Both loaders against the analytic model for one window. */
  const check = async (name: string, cluster: SyntheticCluster, [from, to]: [number, number], rel = REL, abs = ABS) => {
    const [costs, namespaces] = await Promise.all([clusterCosts(cluster, from, to), namespaceCosts(cluster, from, to)]);
    return [
      ...compareCluster(name, costs, analyticClusterCosts(cluster, from, to), rel, abs),
      ...compareNamespaces(name, namespaces, analyticNamespaceCosts(cluster, from, to), rel, abs),
    ];
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-accuracy-'));
    store = await startLocalPrometheus({ dataDir: dir, port: 0 });
    client = new ThanosClient({
      url: store.url,
      timeoutMs: 15000,
      immutableAfterMs: 600000,
      recentTtlMs: 60000,
      cacheBytes: 64 << 20,
      metrics: createKubecostMetrics(),
    });
    const all: SyntheticSeries[] = [];
    for (const cluster of [...Object.values(scenarios), ...batch]) {
      const series = clusterSeries(cluster);
      seriesOf.set(cluster.tenantId, series);
      all.push(...series);
    }
    all.push(...replaySeries());
    const started = Date.now();
    const stats = await writeSeries(store.url, all, { maxSamplesPerRequest: 5000 });
    await store.settled();
    if (process.env.ACCURACY_REPORT) seen.push(`wrote ${stats.samples} samples of ${all.length} series in ${stats.requests} requests, ${Date.now() - started} ms`);
  }, 120_000);

  afterAll(async () => {
    await store?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (process.env.ACCURACY_REPORT) console.log(seen.join('\n'));
  });

  it('stores the synthetic stale markers as real stale markers (a node is gone at its leave time, not 5 minutes later)', async () => {
    const cluster = scenarios.joinLeave1m;
    const leave = D0 + 15 * HOUR_MS;
    const q = `node_cpu_hourly_cost{tenant_id="${cluster.tenantId}", node="node-b"}`;
    expect(await instantQuery(store.url, q, leave - MINUTE_MS)).toHaveLength(1);
    expect(await instantQuery(store.url, q, leave)).toHaveLength(0);
    expect(await instantQuery(store.url, q, leave + 2 * MINUTE_MS)).toHaveLength(0);
  });

  it('constant cluster over one day, 1-minute scrapes', async () => {
    expect(await check('constant1m', scenarios.constant1m, DAY)).toEqual([]);
  });

  it('constant cluster over one day, 5-minute scrapes', async () => {
    expect(await check('constant5m', scenarios.constant5m, DAY)).toEqual([]);
  });

  it.each([
    ['1m', scenarios.joinLeave1m],
    ['5m', scenarios.joinLeave5m],
  ])('a node joining and one leaving mid-window, %s scrapes: each charged for exactly its time inside the window', async (name, cluster) => {
    expect(await check(`joinLeave${name}`, cluster, DAY)).toEqual([]);
  });

  it('a 30-minute gap of lost samples: not charged during the gap (beyond the 5-minute PromQL lookback)', async () => {
    // Expectation: no data, no charge. A gap longer than the 5 m lookback means the cluster is not
    // charged for it; Prometheus's lookback still carries the last sample before the gap forward
    // for up to 5 minutes when no stale marker ends it, so the query may charge up to 5 minutes
    // more than the analytic value, which is within 0.5% of a day (5 / 1410 min = 0.35%).
    const cluster = scenarios.gapLost;
    expect(await check('gapLost', cluster, DAY)).toEqual([]);
    const costs = await clusterCosts(cluster, ...DAY);
    const expected = analyticClusterCosts(cluster, ...DAY);
    const noGap = analyticClusterCosts({ ...cluster, gaps: [] }, ...DAY);
    const lookback = analyticClusterCosts({ ...cluster, gaps: [{ fromMs: GAP[0] + PROMQL_LOOKBACK_MS, toMs: GAP[1] }] }, ...DAY);
    for (const category of ['cpu', 'ram', 'gpu', 'persistentVolumes', 'clusterManagement'] as const) {
      expect(costs.breakdown[category]).toBeGreaterThanOrEqual(expected[category] * (1 - 1e-9));
      expect(costs.breakdown[category]).toBeLessThanOrEqual(lookback[category] * (1 + 1e-9));
      expect(costs.breakdown[category]).toBeLessThan(noGap[category]);
    }
  });

  it('a 30-minute gap of failed scrapes (stale markers): not charged during the gap, exactly', async () => {
    expect(await check('gapFailed', scenarios.gapFailed, DAY, EXACT, 1e-9)).toEqual([]);
  });

  it.each([
    ['connected 5 minutes before an hour ends', () => scenarios.joinsAtHourEnd5m],
    ['resuming 10 minutes before an hour ends', () => scenarios.resumesAtHourEnd5m],
  ])("the hour a cluster is %s is priced at its own interval, measured across the hour's end (5-minute scrapes)", async (_name, get) => {
    const cluster = get();
    expect(await check(cluster.tenantId.slice(0, 8), cluster, DAY, EXACT, 1e-9)).toEqual([]);
    expect((await clusterCosts(cluster, ...DAY)).warnings).toEqual([]);
  });

  it('a range not aligned to samples (00:07:30 to 13:52:10)', async () => {
    const window: [number, number] = [D0 + 7 * MINUTE_MS + 30_000, D0 + 13 * HOUR_MS + 52 * MINUTE_MS + 10_000];
    expect(await check('unaligned', scenarios.unaligned, window)).toEqual([]);
  });

  it('a window ending exactly on a sample counts it once: two adjacent windows sum to the window covering both', async () => {
    const cluster = scenarios.twoDays;
    const a: [number, number] = [D0 - DAY_MS, D0];
    const b: [number, number] = [D0, D0 + DAY_MS];
    const both: [number, number] = [D0 - DAY_MS, D0 + DAY_MS];
    const problems = [...(await check('twoDays.a', cluster, a)), ...(await check('twoDays.b', cluster, b)), ...(await check('twoDays.both', cluster, both))];
    const [ca, cb, cboth] = await Promise.all([clusterCosts(cluster, ...a), clusterCosts(cluster, ...b), clusterCosts(cluster, ...both)]);
    for (const category of CATEGORIES) {
      const sum = (ca.breakdown[category] ?? 0) + (cb.breakdown[category] ?? 0);
      // The subquery points of the two halves and of the whole are the same instants: exact.
      compareNumber(`twoDays.a+b.${category}`, sum, cboth.breakdown[category], problems, category === 'network' ? 1e-6 : EXACT, 1e-9);
    }
    // Short windows make a doubly counted boundary sample visible (1 of 60 points = 1.7%).
    for (const [start, end] of [
      [D0, D0 + HOUR_MS],
      [D0 + HOUR_MS, D0 + 2 * HOUR_MS],
    ]) {
      problems.push(...compareCluster(`twoDays.hour@${(start - D0) / HOUR_MS}`, await clusterCosts(cluster, start, end), analyticClusterCosts(cluster, start, end), 1e-6, 1e-9));
    }
    const [h1, h2, h12] = await Promise.all([
      clusterCosts(cluster, D0, D0 + HOUR_MS),
      clusterCosts(cluster, D0 + HOUR_MS, D0 + 2 * HOUR_MS),
      clusterCosts(cluster, D0, D0 + 2 * HOUR_MS),
    ]);
    compareNumber('twoDays.hours1+2.total', h1.totalCost + h2.totalCost, h12.totalCost, problems, 1e-6, 1e-9);
    expect(problems).toEqual([]);
  });

  it('network: no egress metrics is null (unknown), not 0', async () => {
    const costs = await clusterCosts(scenarios.noEgress, ...DAY);
    expect(costs.breakdown.network).toBeNull();
    expect(costs.breakdown.cpu).toBeGreaterThan(0);
    expect(await check('noEgress', scenarios.noEgress, DAY)).toEqual([]);
  });

  it.each([
    ['1m', scenarios.egress1m],
    ['5m', scenarios.egress5m],
  ])('network: linearly growing egress counters cost GiB × price of their kind (%s scrapes)', async (name, cluster) => {
    const expected = analyticClusterCosts(cluster, ...DAY);
    // internet 3.5 GiB/h × 0.12 + region 5 GiB/h × 0.01 + zone 10 GiB/h × 0.01; in-zone traffic is free.
    expect(expected.network).toBeCloseTo((3.5 * 0.12 + 5 * 0.01 + 10 * 0.01) * 24, 9);
    expect(await check(`egress${name}`, cluster, DAY)).toEqual([]);
  });

  it('a cluster with no samples at all: lastSampleAt null and every category zero', async () => {
    const costs = await clusterCosts(EMPTY_TENANT, ...DAY);
    expect(costs).toEqual({
      cloudAccountId: EMPTY_TENANT,
      breakdown: { cpu: 0, ram: 0, gpu: 0, persistentVolumes: 0, network: null, loadBalancers: 0, clusterManagement: 0 },
      totalCost: 0,
      lastSampleAt: null,
      capacityComplete: true,
      warnings: [],
    });
    expect((await loadNamespaceCosts(client, [EMPTY_TENANT], new Date(DAY[0]), new Date(DAY[1]))).get(EMPTY_TENANT)).toEqual([]);
    // A cluster whose data all lies outside the window looks the same for that window.
    const before = await clusterCosts(scenarios.constant1m, D0 - 3 * DAY_MS, D0 - 2 * DAY_MS);
    expect(before.lastSampleAt).toBeNull();
    expect(before.totalCost).toBe(0);
  });

  it.each([
    ['stops at 20:00, 1m', () => scenarios.stopsEarly],
    ['sends through the window, 1m', () => scenarios.constant1m],
    ['sends through the window, 5m', () => scenarios.constant5m],
    ['gap at the window end', () => scenarios.gapFailed],
  ])('lastSampleAt is within one resolution step of the last sample (%s)', async (_name, get) => {
    const cluster = get();
    const windows: Array<[number, number]> = [DAY, [D0, GAP[1]], [D0 + 7 * MINUTE_MS + 30_000, D0 + 13 * HOUR_MS + 52 * MINUTE_MS + 10_000]];
    for (const [from, to] of windows) {
      const costs = await clusterCosts(cluster, from, to);
      const last = lastSampleTime(seriesOf.get(cluster.tenantId)!, from, to);
      expect(last).not.toBeNull();
      const step = costWindow(new Date(from), new Date(to)).resolutionSeconds * 1000;
      expect(costs.lastSampleAt).not.toBeNull();
      expect(Math.abs(costs.lastSampleAt!.getTime() - last!)).toBeLessThanOrEqual(step);
      expect(costs.lastSampleAt!.getTime()).toBeLessThan(to);
    }
  });

  it('a cluster that stops sending is charged up to its last sample only', async () => {
    expect(await check('stopsEarly', scenarios.stopsEarly, DAY)).toEqual([]);
  });

  it('10 clusters in one batch give the same per-cluster numbers as one at a time, and match the analytic values', async () => {
    const ids = batch.map((c) => c.tenantId);
    const [together, togetherNs] = await Promise.all([
      loadClusterCosts(client, ids, new Date(DAY[0]), new Date(DAY[1])),
      loadNamespaceCosts(client, ids, new Date(DAY[0]), new Date(DAY[1])),
    ]);
    const problems: string[] = [];
    for (const cluster of batch) {
      const alone = await clusterCosts(cluster, ...DAY);
      const aloneNs = await namespaceCosts(cluster, ...DAY);
      // Same numbers up to floating-point summation order (Prometheus sums the series in a different order).
      const name = `batch[${cluster.tenantId.slice(0, 8)}]`;
      const mine = together.get(cluster.tenantId)!;
      expect(mine.lastSampleAt).toEqual(alone.lastSampleAt);
      for (const category of CATEGORIES) compareNumber(`${name}.together.${category}`, mine.breakdown[category], alone.breakdown[category], problems, 1e-12, 1e-12);
      const togetherRows = new Map((togetherNs.get(cluster.tenantId) ?? []).map((row) => [row.namespace, row]));
      expect([...togetherRows.keys()].sort()).toEqual((aloneNs ?? []).map((row) => row.namespace).sort());
      for (const row of aloneNs ?? []) {
        for (const category of NAMESPACE_CATEGORIES) compareNumber(`${name}.together[${row.namespace}].${category}`, togetherRows.get(row.namespace)![category], row[category], problems, 1e-12, 1e-12);
      }
      problems.push(...compareCluster(name, alone, analyticClusterCosts(cluster, ...DAY)));
      problems.push(...compareNamespaces(name, aloneNs, analyticNamespaceCosts(cluster, ...DAY)));
    }
    // The batch's total is the sum of its clusters, never several clusters' costs summed into one.
    expect(new Set([...together.values()].map((c) => c.totalCost)).size).toBe(batch.length);
    expect(problems).toEqual([]);
  });

  it('the real Kubecost scrape replayed for a day costs what its own numbers say', async () => {
    const expected = expectedFromScrape(24);
    expect(expected.cluster.cpu).toBeGreaterThan(0);
    expect(expected.cluster.ram).toBeGreaterThan(0);
    expect(expected.cluster.clusterManagement).toBeCloseTo(2.4, 9);
    expect(expected.cluster.loadBalancers).toBeCloseTo(0.6, 9);
    const costs = await clusterCosts(REPLAY_TENANT, ...DAY);
    const namespaces = (await loadNamespaceCosts(client, [REPLAY_TENANT], new Date(DAY[0]), new Date(DAY[1]))).get(REPLAY_TENANT);
    // The scrape's costs are cents a day: compare them relatively, with no 0.01 absolute slack.
    const problems = [
      ...compareCluster('replay', costs, expected.cluster, REL, 1e-9),
      ...compareNamespaces('replay', namespaces, expected.namespaces, REL, 1e-9),
    ];
    expect(problems).toEqual([]);
    expect(costs.lastSampleAt?.getTime()).toBe(DAY[1] - MINUTE_MS);
  });
});
