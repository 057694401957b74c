import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalPrometheus, type LocalPrometheus } from '../../cli/local/local-prometheus';
import { loadClusterCosts, loadCostSeries } from '../../subgraphs/kubecost/costs/cluster-costs';
import { createKubecostMetrics } from '../../subgraphs/kubecost/metrics';
import { ThanosClient } from '../../subgraphs/kubecost/promql/thanos-client';
import { clusterSeries, DAY_MS, GIB, HOUR_MS, MINUTE_MS, writeSeries, type SyntheticCluster } from '../helpers/synthetic-cluster';

/*
 * The same cost whichever way a range is asked for: a day bucket of `series(step: DAY)` and a
 * query for that day alone; a counter's growth over the whole range, not 1 ms less of it.
 */

const CATEGORIES = ['cpu', 'ram', 'gpu', 'persistentVolumes', 'loadBalancers', 'clusterManagement'] as const;
const NOW = Date.now();
const D0 = Math.floor((NOW - 3 * HOUR_MS) / DAY_MS) * DAY_MS - 3 * DAY_MS;
const at = (hours: number, minutes = 0) => D0 + hours * HOUR_MS + minutes * MINUTE_MS;

const cluster: SyntheticCluster = {
  tenantId: randomUUID(),
  startMs: D0 - HOUR_MS,
  endMs: D0 + 3 * DAY_MS + HOUR_MS,
  intervalSeconds: 60,
  nodes: [
    { name: 'base', cpuPrice: 0.031611, ramPrice: 0.004237, cores: 16, memoryBytes: 64 * GIB },
    { name: 'gpu', cpuPrice: 0.0319, ramPrice: 0.0043, gpuPrice: 2.48, gpuCount: 2, cores: 12, memoryBytes: 85 * GIB, fromMs: at(5, 17), toMs: at(52, 43) },
    { name: 'spot', cpuPrice: 0.0093, ramPrice: 0.0012, cores: 8, memoryBytes: 32 * GIB, fromMs: at(30, 1), toMs: at(31, 59) },
  ],
  volumes: [{ name: 'pv', price: 0.00017, capacityBytes: 1000 * GIB, fromMs: at(9, 11), toMs: at(61, 3) }],
  loadBalancers: [{ namespace: 'web', service: 'ingress', ip: '10.0.0.1', price: 0.025, fromMs: at(20, 33) }],
  managementFee: 0.1,
  // 2.5 GiB an hour to the internet at $0.10 a GiB: $6.00 a day.
  egress: { prices: { internet: 0.1, region: 0.01, zone: 0.01 }, flows: [{ namespace: 'web', pod: 'web-1', kind: 'internet', bytesPerHour: 2.5 * GIB }] },
  counterOriginMs: D0 - HOUR_MS,
};

/** The same cluster scraped by two Prometheus replicas: every series twice, told apart by `replica`. */
const twice: SyntheticCluster = { ...cluster, tenantId: randomUUID() };

const close = (a: number, b: number) => Math.abs(a - b) <= Math.abs(b) * 1e-9 + 1e-12;

describe('Kubecost windows and buckets agree', () => {
  let dir: string;
  let store: LocalPrometheus;
  let client: ThanosClient;
  const costs = async (from: number, to: number) => (await loadClusterCosts(client, [cluster.tenantId], new Date(from), new Date(to))).get(cluster.tenantId)!;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-windows-'));
    store = await startLocalPrometheus({ dataDir: dir, port: 0 });
    client = new ThanosClient({ url: store.url, timeoutMs: 30000, immutableAfterMs: 600000, recentTtlMs: 60000, cacheBytes: 0, metrics: createKubecostMetrics() });
    const replicas = ['a', 'b'].flatMap((replica) => clusterSeries(twice).map((series) => ({ ...series, labels: { ...series.labels, replica } })));
    await writeSeries(store.url, [...clusterSeries(cluster), ...replicas], { maxSamplesPerRequest: 20000 });
    await store.settled();
  }, 120_000);

  afterAll(async () => {
    await store?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('network cost is the counter growth over the whole range: $6.00 a day, $12.00 for two', async () => {
    expect((await costs(D0, D0 + DAY_MS)).breakdown.network).toBeCloseTo(6, 9);
    expect((await costs(D0 + DAY_MS, D0 + 2 * DAY_MS)).breakdown.network).toBeCloseTo(6, 9);
    expect((await costs(D0, D0 + 2 * DAY_MS)).breakdown.network).toBeCloseTo(12, 9);
    expect((await costs(at(6), at(18))).breakdown.network).toBeCloseTo(3, 9);
  });

  it('a cluster whose series arrive twice (two scraping replicas) costs what it costs once, network included', async () => {
    for (const [from, to] of [[D0, D0 + DAY_MS], [at(6, 30), at(66, 15)]]) {
      const once = await costs(from, to);
      const doubled = (await loadClusterCosts(client, [twice.tenantId], new Date(from), new Date(to))).get(twice.tenantId)!;
      for (const category of [...CATEGORIES, 'network'] as const) expect(close(doubled.breakdown[category]!, once.breakdown[category]!)).toBe(true);
      expect(once.breakdown.network).toBeGreaterThan(0);
    }
  });

  it.each([
    ['whole days', D0, D0 + 3 * DAY_MS],
    ['clipped first and last day', at(6, 30), at(66, 15)],
  ])('each bucket of series(step: DAY) costs what a query for that day alone does (%s)', async (_name, from, to) => {
    const series = (await loadCostSeries(client, [cluster.tenantId], new Date(from), new Date(to), 86_400)).get(cluster.tenantId)!;
    expect(series).toHaveLength(3);
    const problems: string[] = [];
    for (const point of series) {
      const start = point.start.getTime();
      const end = Math.min(to, Math.floor(start / DAY_MS) * DAY_MS + DAY_MS);
      const alone = await costs(start, end);
      for (const category of CATEGORIES) {
        if (!close(point.breakdown[category], alone.breakdown[category])) problems.push(`${point.start.toISOString()} ${category}: bucket ${point.breakdown[category]}, alone ${alone.breakdown[category]}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
