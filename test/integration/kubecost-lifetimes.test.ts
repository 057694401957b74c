import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalPrometheus, type LocalPrometheus } from '../../cli/local/local-prometheus';
import { loadClusterCosts, loadCostSeries, type ClusterCostData } from '../../subgraphs/kubecost/costs/cluster-costs';
import { createKubecostMetrics } from '../../subgraphs/kubecost/metrics';
import { ThanosClient } from '../../subgraphs/kubecost/promql/thanos-client';
import {
  analyticClusterCosts,
  clusterSeries,
  DAY_MS,
  GIB,
  HOUR_MS,
  isStaleMarker,
  MINUTE_MS,
  writeSeries,
  type SyntheticCluster,
  type SyntheticNode,
  type SyntheticSeries,
} from '../helpers/synthetic-cluster';

/*
 * Objects that appear and disappear mid-range, written WITHOUT stale markers (an exporter whose
 * series simply stop, or remote-written data): Prometheus's 5-minute lookback then keeps a
 * vanished series visible, so running time must come from the samples themselves. Every
 * category must be within 0.05% of the hand-computed cost at 15 s, 30 s and 60 s scrapes.
 */

const REL = 0.0005;
const CATEGORIES = ['cpu', 'ram', 'gpu', 'persistentVolumes', 'loadBalancers', 'clusterManagement'] as const;

const NOW = Date.now();
/** A UTC midnight such that 48 hours from it end at least 3 hours before now. */
const D0 = Math.floor((NOW - 3 * HOUR_MS) / DAY_MS) * DAY_MS - 2 * DAY_MS;
const RANGE: [number, number] = [D0, D0 + 2 * DAY_MS];
const at = (hours: number, minutes = 0) => D0 + hours * HOUR_MS + minutes * MINUTE_MS;

function cluster(intervalSeconds: number): SyntheticCluster {
  const spot = (i: number): SyntheticNode => ({
    name: `spot-${i}`,
    cpuPrice: 0.0093,
    ramPrice: 0.0012,
    cores: 8,
    memoryBytes: 32 * GIB,
    // One hour each, at odd minutes (on the scrape grid, off any coarser one).
    fromMs: at(3 + 5 * i, 7 + i),
    toMs: at(4 + 5 * i, 7 + i),
  });
  return {
    tenantId: randomUUID(),
    startMs: D0 - HOUR_MS,
    endMs: D0 + 2 * DAY_MS + HOUR_MS,
    // The generator works at any interval; its type lists the demo's.
    intervalSeconds,
    nodes: [
      { name: 'base-1', cpuPrice: 0.031611, ramPrice: 0.004237, cores: 16, memoryBytes: 64 * GIB },
      // Leaves at 60% of the range.
      { name: 'gpu-1', cpuPrice: 0.0319, ramPrice: 0.0043, gpuPrice: 2.48, gpuCount: 2, cores: 12, memoryBytes: 85 * GIB, toMs: at(28, 48) },
      // Joins late, off the old subquery grid.
      { name: 'late-1', cpuPrice: 0.0287, ramPrice: 0.0038, cores: 32, memoryBytes: 128 * GIB, fromMs: at(7, 13) },
      ...Array.from({ length: 6 }, (_, i) => spot(i)),
    ],
    volumes: [
      { name: 'pv-data', price: 0.000233, capacityBytes: 2048 * GIB },
      { name: 'pv-scratch', price: 0.00017, capacityBytes: 1000 * GIB, fromMs: at(5, 31), toMs: at(19, 3) },
    ],
    loadBalancers: [
      { namespace: 'web', service: 'ingress', ip: '10.0.0.1', price: 0.025 },
      { namespace: 'batch', service: 'api', ip: '10.0.0.2', price: 0.025, fromMs: at(11, 47), toMs: at(13, 29) },
    ],
    managementFee: 0.1,
  };
}

const clusters = { '15 s': cluster(15), '30 s': cluster(30), '60 s': cluster(60) };

/** As an exporter whose series just stop, or as remote-written data: no stale markers. */
const withoutStaleMarkers = (series: SyntheticSeries[]) => series.map((s) => ({ ...s, samples: s.samples.filter((x) => !isStaleMarker(x.value)) }));

function problems(what: string, actual: ClusterCostData, from: number, to: number, c: SyntheticCluster): string[] {
  const expected = analyticClusterCosts(c, from, to);
  const out: string[] = [];
  for (const category of CATEGORIES) {
    const got = actual.breakdown[category];
    const want = expected[category];
    if (Math.abs(got - want) > Math.abs(want) * REL + 1e-9) out.push(`${what}.${category}: got ${got}, expected ${want} (${(((got - want) / want) * 100).toFixed(3)}%)`);
  }
  return out;
}

describe('Kubecost running time of objects that come and go, without stale markers', () => {
  let dir: string;
  let store: LocalPrometheus;
  let client: ThanosClient;

  const costs = async (c: SyntheticCluster, from: number, to: number) => (await loadClusterCosts(client, [c.tenantId], new Date(from), new Date(to))).get(c.tenantId)!;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-lifetimes-'));
    store = await startLocalPrometheus({ dataDir: dir, port: 0 });
    client = new ThanosClient({ url: store.url, timeoutMs: 30000, immutableAfterMs: 600000, recentTtlMs: 60000, cacheBytes: 0, metrics: createKubecostMetrics() });
    const all = Object.values(clusters).flatMap((c) => withoutStaleMarkers(clusterSeries(c)));
    expect(all.some((s) => s.samples.some((x) => isStaleMarker(x.value)))).toBe(false);
    await writeSeries(store.url, all, { maxSamplesPerRequest: 20000, concurrency: 2 });
    await store.settled();
  }, 180_000);

  afterAll(async () => {
    await store?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a vanished series stays visible to plain PromQL for the lookback (what the cost model must not charge)', async () => {
    const c = clusters['60 s'];
    const response = await fetch(`${store.url}/api/v1/query?${new URLSearchParams({ query: `node_cpu_hourly_cost{tenant_id="${c.tenantId}", node="gpu-1"}`, time: String((at(28, 48) + 3 * MINUTE_MS) / 1000) })}`);
    const body = (await response.json()) as { data: { result: unknown[] } };
    expect(body.data.result).toHaveLength(1);
  });

  it.each(Object.keys(clusters))('every category within 0.05%% of the hand-computed cost over 48 h (%s scrapes)', async (name) => {
    const c = clusters[name as keyof typeof clusters];
    expect(problems(name, await costs(c, ...RANGE), ...RANGE, c)).toEqual([]);
  });

  it.each(Object.keys(clusters))('windows cut through lifetimes: each within 0.05%%, and adjacent windows add up (%s scrapes)', async (name) => {
    const c = clusters[name as keyof typeof clusters];
    // Cuts inside the GPU node's last hour, a spot node's hour and the short load balancer's life.
    const cuts = [RANGE[0], at(3, 37), at(12, 0), at(28, 20), at(36, 0), RANGE[1]];
    const parts = await Promise.all(cuts.slice(1).map((to, i) => costs(c, cuts[i], to)));
    const whole = await costs(c, ...RANGE);
    const out = parts.flatMap((p, i) => problems(`${name}[${i}]`, p, cuts[i], cuts[i + 1], c));
    for (const category of CATEGORIES) {
      const sum = parts.reduce((s, p) => s + p.breakdown[category], 0);
      if (Math.abs(sum - whole.breakdown[category]) > Math.abs(whole.breakdown[category]) * 1e-9 + 1e-9) out.push(`${name}: parts sum to ${sum}, whole ${whole.breakdown[category]} (${category})`);
    }
    expect(out).toEqual([]);
  });

  it.each(Object.keys(clusters))('hourly series buckets match the hand-computed cost of each hour (%s scrapes)', async (name) => {
    const c = clusters[name as keyof typeof clusters];
    const series = (await loadCostSeries(client, [c.tenantId], new Date(RANGE[0]), new Date(RANGE[1]), 3600)).get(c.tenantId)!;
    expect(series).toHaveLength(48);
    const out = series.flatMap((point) => problems(`${name}@${point.start.toISOString()}`, { breakdown: point.breakdown } as ClusterCostData, point.start.getTime(), point.start.getTime() + HOUR_MS, c));
    expect(out).toEqual([]);
  });
});
