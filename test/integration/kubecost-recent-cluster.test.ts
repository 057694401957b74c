import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalPrometheus, type LocalPrometheus } from '../../cli/local/local-prometheus';
import { loadClusterCosts, loadCostSeries } from '../../subgraphs/kubecost/costs/cluster-costs';
import { createKubecostMetrics } from '../../subgraphs/kubecost/metrics';
import { ThanosClient } from '../../subgraphs/kubecost/promql/thanos-client';
import { analyticClusterCosts, DAY_MS, GIB, HOUR_MS, MINUTE_MS, writeClusters, type SyntheticCluster } from '../helpers/synthetic-cluster';

/*
 * A cluster connected a few hours ago, still sending every 30 s, seen through the dashboard's
 * presets: ranges that end at the next UTC midnight, in the future. Its scrape interval must be
 * measured where it has samples (up to now), not at instants spread over a month it mostly did
 * not exist in or that has not happened yet; assuming the 60 s default would double its cost.
 */

const INTERVAL_S = 30;
const NOW = Date.now();
const END = Math.floor((NOW - MINUTE_MS) / (INTERVAL_S * 1000)) * INTERVAL_S * 1000;
const NEXT_MIDNIGHT = Math.floor(NOW / DAY_MS) * DAY_MS + DAY_MS;

const cluster: SyntheticCluster = {
  tenantId: randomUUID(),
  startMs: END - 3 * HOUR_MS,
  endMs: END,
  intervalSeconds: INTERVAL_S,
  nodes: [{ name: 'node-a', cpuPrice: 0.031611, ramPrice: 0.004237, cores: 16, memoryBytes: 64 * GIB }],
  volumes: [{ name: 'pv', price: 0.00017, capacityBytes: 100 * GIB }],
  loadBalancers: [],
  managementFee: 0.1,
};

/** Connected two and a half minutes into an hour: its first 5-minute slot is not a whole slot's samples. */
const HOUR = Math.floor(NOW / HOUR_MS) * HOUR_MS - 3 * HOUR_MS;
const lateStarter: SyntheticCluster = { ...cluster, tenantId: randomUUID(), startMs: HOUR + 150_000, endMs: HOUR + 2 * HOUR_MS };

describe('a recently connected cluster in ranges that end in the future', () => {
  let dir: string;
  let store: LocalPrometheus;
  let client: ThanosClient;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-recent-'));
    store = await startLocalPrometheus({ dataDir: dir, port: 0 });
    client = new ThanosClient({ url: store.url, timeoutMs: 30000, immutableAfterMs: 600000, recentTtlMs: 60000, cacheBytes: 0, metrics: createKubecostMetrics() });
    // Still running: no stale marker ends its series.
    await writeClusters(store.url, [{ cluster }, { cluster: lateStarter }], { live: true });
    await store.settled();
  }, 120_000);

  afterAll(async () => {
    await store?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['last 30 days', NEXT_MIDNIGHT - 30 * DAY_MS],
    ['last 7 days', NEXT_MIDNIGHT - 7 * DAY_MS],
    ['today', NEXT_MIDNIGHT - DAY_MS],
  ])('%s: its measured interval prices its samples, with no warning', async (_name, from) => {
    const costs = (await loadClusterCosts(client, [cluster.tenantId], new Date(from), new Date(NEXT_MIDNIGHT))).get(cluster.tenantId)!;
    const expected = analyticClusterCosts(cluster, from, NEXT_MIDNIGHT);
    expect(costs.warnings).toEqual([]);
    for (const category of ['cpu', 'ram', 'persistentVolumes', 'clusterManagement'] as const) {
      expect({ category, relative: Math.abs(costs.breakdown[category] / expected[category] - 1) < 0.0005 }).toEqual({ category, relative: true });
    }
  });

  it('an hour the cluster started in a few minutes after it began is priced at the interval measured after it, not stretched', async () => {
    const costs = (await loadClusterCosts(client, [lateStarter.tenantId], new Date(HOUR), new Date(HOUR + HOUR_MS))).get(lateStarter.tenantId)!;
    const expected = analyticClusterCosts(lateStarter, HOUR, HOUR + HOUR_MS);
    expect(costs.warnings).toEqual([]);
    expect(Math.abs(costs.breakdown.cpu / expected.cpu - 1)).toBeLessThan(0.0005);
  });

  it('the daily series of a month-long range prices today the same way', async () => {
    const from = NEXT_MIDNIGHT - 30 * DAY_MS;
    const series = (await loadCostSeries(client, [cluster.tenantId], new Date(from), new Date(NEXT_MIDNIGHT), 86_400)).get(cluster.tenantId)!;
    const total = series.reduce((sum, point) => sum + point.breakdown.cpu, 0);
    expect(Math.abs(total / analyticClusterCosts(cluster, from, NEXT_MIDNIGHT).cpu - 1)).toBeLessThan(0.0005);
  });
});
