import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalPrometheus, type LocalPrometheus } from '../../cli/local/local-prometheus';
import { seededRandom } from '../../dev/seeded-random';
import { loadIngestConfig } from '../../ingest/config';
import { startIngest, type RunningIngest } from '../../ingest/start';
import { createKubernetesCluster } from '../../lib/accounts/kubernetes-clusters';
import { createOrganization, softDeleteCloudAccount } from '../../lib/accounts/repository';
import { HOUR_MS, isHourClosed } from '../../lib/cost-rollups/closing';
import { silentLogger } from '../../lib/log';
import { loadClusterCosts, loadCostSeries, type ClusterCostData } from '../../subgraphs/kubecost/costs/cluster-costs';
import { emptyPiece } from '../../subgraphs/kubecost/costs/pieces';
import { ASSET_CATEGORIES } from '../../subgraphs/kubecost/costs/queries';
import { createKubecostMetrics } from '../../subgraphs/kubecost/metrics';
import { ThanosClient } from '../../subgraphs/kubecost/promql/thanos-client';
import { RollupPass } from '../../subgraphs/kubecost/rollups/background-pass';
import { RollupStore } from '../../subgraphs/kubecost/rollups/rollup-store';
import { databaseBackends, type TestDatabase } from '../helpers/databases';
import { startPromqlProxy, type PromqlProxy } from '../helpers/promql-proxy';
import { basicAuth, DAY_MS, GIB, MINUTE_MS, writeClusters, writeSeries, type SyntheticCluster, type SyntheticNode } from '../helpers/synthetic-cluster';

/*
 * Closed hours rolled up in PostgreSQL must give exactly the numbers of the direct computation
 * (every hour asked of PromQL): over random ranges, with clusters whose nodes join and leave,
 * partial and still-open hours, and late samples written through the ingest worker into hours
 * already rolled up.
 */

const NOW = Date.now();
const START = Math.floor((NOW - 3 * DAY_MS) / HOUR_MS) * HOUR_MS;
const END = Math.floor(NOW / MINUTE_MS) * MINUTE_MS;
const REL = 1e-9;

function randomCluster(random: () => number, tenantId: string, i: number): SyntheticCluster {
  const intervalSeconds = i % 2 === 0 ? 60 : 30;
  const grid = (t: number) => Math.round(t / (intervalSeconds * 1000)) * intervalSeconds * 1000;
  const minuteBetween = (from: number, to: number) => grid(from + random() * (to - from));
  const nodes: SyntheticNode[] = Array.from({ length: 2 + Math.floor(random() * 3) }, (_, n) => {
    const joins = n > 0 && random() < 0.5 ? minuteBetween(START, END - DAY_MS) : undefined;
    const leaves = n > 0 && random() < 0.5 ? minuteBetween((joins ?? START) + HOUR_MS, END) : undefined;
    return {
      name: `node-${n}`,
      cpuPrice: 0.01 + random() * 0.04,
      ramPrice: 0.001 + random() * 0.005,
      cores: [4, 8, 16][n % 3],
      memoryBytes: [16, 32, 64][n % 3] * GIB,
      ...(random() < 0.3 ? { gpuPrice: 2.48, gpuCount: 1 } : {}),
      ...(joins !== undefined ? { fromMs: joins } : {}),
      ...(leaves !== undefined ? { toMs: leaves } : {}),
    };
  });
  return {
    tenantId,
    startMs: START,
    endMs: END,
    intervalSeconds,
    nodes,
    volumes: [{ name: 'pv-data', price: 0.0001 + random() * 0.0002, capacityBytes: 500 * GIB, fromMs: minuteBetween(START, START + DAY_MS) }],
    loadBalancers: random() < 0.5 ? [{ namespace: 'web', service: 'lb', ip: '10.0.0.1', price: 0.025, toMs: minuteBetween(START + DAY_MS, END) }] : [],
    managementFee: 0.1,
    egress: random() < 0.5 ? { prices: { internet: 0.09, region: 0.02, zone: 0.01 }, flows: [{ namespace: 'web', pod: 'web-1', kind: 'internet', bytesPerHour: 2 * GIB }] } : undefined,
    gaps: random() < 0.5 ? [{ fromMs: minuteBetween(START + DAY_MS, END - DAY_MS), toMs: minuteBetween(END - DAY_MS, END - DAY_MS / 2), staleMarkers: random() < 0.5 }] : [],
  };
}

function differences(what: string, rolled: ClusterCostData, direct: ClusterCostData): string[] {
  const out: string[] = [];
  const close = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) <= Math.abs(b) * REL + 1e-12);
  for (const category of [...ASSET_CATEGORIES, 'network'] as const) {
    if (!close(rolled.breakdown[category], direct.breakdown[category])) out.push(`${what}.${category}: rolled ${rolled.breakdown[category]}, direct ${direct.breakdown[category]}`);
  }
  if (rolled.lastSampleAt?.getTime() !== direct.lastSampleAt?.getTime()) out.push(`${what}.lastSampleAt: rolled ${rolled.lastSampleAt?.toISOString()}, direct ${direct.lastSampleAt?.toISOString()}`);
  if (rolled.capacityComplete !== direct.capacityComplete) out.push(`${what}.capacityComplete differs`);
  if (JSON.stringify(rolled.warnings) !== JSON.stringify(direct.warnings)) out.push(`${what}.warnings: ${JSON.stringify(rolled.warnings)} vs ${JSON.stringify(direct.warnings)}`);
  return out;
}

describe.each(databaseBackends())('Kubecost hourly rollups (%s)', (backend) => {
  let dir: string;
  let store: LocalPrometheus;
  let proxy: PromqlProxy;
  let client: ThanosClient;
  let t: TestDatabase;
  let rollups: RollupStore;
  let ingest: RunningIngest;
  let ids: string[];
  let late: { id: string; password: string; cluster: SyntheticCluster };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-rollups-'));
    store = await startLocalPrometheus({ dataDir: dir, port: 0 });
    proxy = await startPromqlProxy(store.url);
    // No result cache: every PromQL request the loaders make reaches the proxy and is counted.
    client = new ThanosClient({ url: proxy.url, timeoutMs: 30_000, immutableAfterMs: 600_000, recentTtlMs: 60_000, cacheBytes: 0, metrics: createKubecostMetrics() });
    t = await backend.create();
    rollups = new RollupStore(t.db);
    const org = await createOrganization(t.db, 'rollups');
    const random = seededRandom(20261206);
    const clusters: SyntheticCluster[] = [];
    for (let i = 0; i < 4; i++) {
      const connection = await createKubernetesCluster(t.db, org.id, `cluster-${i}`, 'http://127.0.0.1/api/v1/write');
      clusters.push(randomCluster(random, connection.cloudAccount.id, i));
    }
    const lateConnection = await createKubernetesCluster(t.db, org.id, 'late', 'http://127.0.0.1/api/v1/write');
    late = { id: lateConnection.cloudAccount.id, password: lateConnection.password, cluster: randomCluster(random, lateConnection.cloudAccount.id, 4) };
    ids = clusters.map((c) => c.tenantId);
    await writeClusters(store.url, [...clusters, late.cluster].map((cluster) => ({ cluster })), { live: true });
    await store.settled();
    ingest = await startIngest({ config: loadIngestConfig({ INGEST_PORT: '0', INGEST_INTERNAL_PORT: '0', THANOS_RECEIVE_URL: `${store.url}/api/v1/write` }), db: t.db, logger: silentLogger });
  }, 180_000);

  afterAll(async () => {
    await ingest?.close();
    await proxy?.close();
    await store?.stop();
    await t?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('random ranges: rolled-up answers equal the direct computation, and repeats ask PromQL once', async () => {
    const random = seededRandom(7);
    const problems: string[] = [];
    for (let k = 0; k < 25; k++) {
      const from = START + Math.floor(random() * (END - START) / 1000) * 1000;
      const to = Math.min(END + 2 * HOUR_MS, from + 1000 + Math.floor(random() * 2 * DAY_MS / 1000) * 1000);
      const options = { rollups, nowMs: NOW };
      const direct = await loadClusterCosts(client, ids, new Date(from), new Date(to), { nowMs: NOW });
      const first = await loadClusterCosts(client, ids, new Date(from), new Date(to), options);
      const before = proxy.queries;
      const again = await loadClusterCosts(client, ids, new Date(from), new Date(to), options);
      // Everything closed is rolled up now: one instant query for the open pieces and the newest
      // sample, and one for a partial first hour that is closed (its own, being long ago).
      const firstHour = Math.floor(from / HOUR_MS) * HOUR_MS;
      const expected = from !== firstHour && isHourClosed(firstHour, NOW) ? 2 : 1;
      if (proxy.queries - before !== expected) problems.push(`range ${k}: the repeat made ${proxy.queries - before} PromQL requests, not ${expected}`);
      for (const id of ids) {
        problems.push(...differences(`range ${k} [${new Date(from).toISOString()}, ${new Date(to).toISOString()}) ${id.slice(0, 8)} first`, first.get(id)!, direct.get(id)!));
        problems.push(...differences(`range ${k} ${id.slice(0, 8)} repeat`, again.get(id)!, direct.get(id)!));
      }
    }
    expect(problems).toEqual([]);
    await rollups.settled();
    const [{ count }] = await t.db.query<{ count: string }>('SELECT count(*) FROM kubecost_hourly_costs');
    expect(Number(count)).toBeGreaterThan(ids.length * 24);
  }, 300_000);

  it('hourly and daily series from rollups equal the direct ones bucket by bucket, and add up to the total', async () => {
    const from = START + 90 * MINUTE_MS;
    const to = END - 30 * MINUTE_MS;
    for (const step of [3600, 86_400]) {
      const direct = await loadCostSeries(client, ids, new Date(from), new Date(to), step, { nowMs: NOW });
      const rolled = await loadCostSeries(client, ids, new Date(from), new Date(to), step, { rollups, nowMs: NOW });
      const total = await loadClusterCosts(client, ids, new Date(from), new Date(to), { rollups, nowMs: NOW });
      for (const id of ids) {
        const d = direct.get(id)!;
        const r = rolled.get(id)!;
        expect(r.map((p) => p.start.getTime())).toEqual(d.map((p) => p.start.getTime()));
        for (let i = 0; i < d.length; i++) expect(Math.abs(r[i].totalCost - d[i].totalCost)).toBeLessThanOrEqual(Math.abs(d[i].totalCost) * REL + 1e-12);
        // Network included: it is an hour's piece like the rest.
        const sum = r.reduce((s, p) => s + p.totalCost, 0);
        expect(Math.abs(sum - total.get(id)!.totalCost)).toBeLessThanOrEqual(total.get(id)!.totalCost * REL + 1e-12);
      }
    }
  }, 120_000);

  it("each rolled-up hour's assets add up to its categories, nodes and volumes named by their provider id", async () => {
    const from = Math.ceil(START / HOUR_MS) * HOUR_MS;
    const to = from + 2 * DAY_MS;
    await loadClusterCosts(client, ids, new Date(from), new Date(to), { rollups, nowMs: NOW });
    await rollups.settled();
    const hours = await rollups.hours(ids, from, to);
    const assets = await rollups.assetHours(ids, from, to);
    const problems: string[] = [];
    const seen = { node: 0, volume: 0, 'load-balancer': 0 };
    for (const id of ids) {
      expect(hours.get(id)!.size).toBe(48);
      for (const [hour, piece] of hours.get(id)!) {
        const mine = assets.get(id)!.get(hour) ?? [];
        const sum = (kind: string, field: 'cpu' | 'ram' | 'gpu' | 'cost') => mine.filter((a) => a.kind === kind).reduce((total, a) => total + a[field], 0);
        const expected = { cpu: sum('node', 'cpu'), ram: sum('node', 'ram'), gpu: sum('node', 'gpu'), persistentVolumes: sum('volume', 'cost'), loadBalancers: sum('load-balancer', 'cost') };
        for (const [category, value] of Object.entries(expected) as Array<[keyof typeof expected, number]>) {
          if (Math.abs(value - piece.costs[category]) > Math.abs(piece.costs[category]) * REL + 1e-12) problems.push(`${id.slice(0, 8)} ${new Date(hour).toISOString()} ${category}: assets ${value}, hour ${piece.costs[category]}`);
        }
        for (const asset of mine) {
          seen[asset.kind]++;
          if (asset.kind === 'node' && asset.providerId !== `synthetic://${asset.name}`) problems.push(`node ${asset.name}: provider id ${asset.providerId}`);
          if (asset.kind === 'node' && Math.abs(asset.cost - (asset.cpu + asset.ram + asset.gpu)) > 1e-12) problems.push(`node ${asset.name}: cost ${asset.cost} is not cpu + ram + gpu`);
        }
      }
    }
    expect(seen.node).toBeGreaterThan(0);
    expect(seen.volume).toBeGreaterThan(0);
    expect(seen['load-balancer']).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  it('the background pass rolls up every live cluster ahead of the queries, and a restarted process reads its rows', async () => {
    const toHour = Math.floor(NOW / HOUR_MS) * HOUR_MS;
    const fromHour = toHour - 6 * HOUR_MS;
    const closedHours = Array.from({ length: 6 }, (_, i) => fromHour + i * HOUR_MS).filter((h) => isHourClosed(h, NOW)).length;
    expect(closedHours).toBeGreaterThanOrEqual(4);
    await t.db.query('DELETE FROM kubecost_hourly_costs WHERE hour_start >= $1', [new Date(fromHour)]);
    const pass = new RollupPass({ db: t.db, promql: client, rollups, logger: silentLogger, lookbackMs: 6 * HOUR_MS, batchSize: 2, now: () => NOW });
    const live = (await t.db.query<{ id: string }>(`SELECT id FROM cloud_accounts WHERE type = 'kubernetes' AND deleted_at IS NULL`)).map((r) => r.id);
    const before = proxy.queries;
    const first = await pass.runOnce();
    expect(first).toEqual({ clusters: live.length, clusterHours: live.length * closedHours });
    // One range query per batch of 2 clusters, one after the other.
    expect(proxy.queries - before).toBe(Math.ceil(live.length / 2));
    expect(await pass.runOnce()).toEqual({ clusters: live.length, clusterHours: 0 });
    await pass.close();

    // Another process: its own store handle and client, the same database.
    const restarted = new ThanosClient({ url: proxy.url, timeoutMs: 30_000, immutableAfterMs: 600_000, recentTtlMs: 60_000, cacheBytes: 0, metrics: createKubecostMetrics() });
    const beforeQuery = proxy.queries;
    const rolled = await loadClusterCosts(restarted, ids, new Date(fromHour), new Date(fromHour + closedHours * HOUR_MS), { rollups: new RollupStore(t.db), nowMs: NOW });
    expect(proxy.queries - beforeQuery).toBe(1);
    const direct = await loadClusterCosts(restarted, ids, new Date(fromHour), new Date(fromHour + closedHours * HOUR_MS), { nowMs: NOW });
    for (const id of ids) expect(differences(id, rolled.get(id)!, direct.get(id)!)).toEqual([]);
  }, 120_000);

  it('late samples written through ingest into a rolled-up hour show in the next answer', async () => {
    const hour = Math.floor((NOW - 30 * HOUR_MS) / HOUR_MS) * HOUR_MS;
    const range = [new Date(hour - 5 * HOUR_MS), new Date(hour + 5 * HOUR_MS)] as const;
    const before = (await loadClusterCosts(client, [late.id], ...range, { rollups })).get(late.id)!;
    await rollups.settled();
    const [{ count: rolled }] = await t.db.query<{ count: string }>('SELECT count(*) FROM kubecost_hourly_costs WHERE cloud_account_id = $1 AND hour_start = $2', [late.id, new Date(hour)]);
    expect(Number(rolled)).toBe(1);

    // A node the agent had buffered during an outage: one hour of its samples arrives a day late.
    const node = { node: 'replayed', instance: 'replayed', provider_id: 'aws:///replayed' };
    const samples = Array.from({ length: 60 }, (_, m) => ({ timestamp: hour + m * MINUTE_MS, value: 0 }));
    const price = 0.05;
    const cores = 10;
    await writeSeries(
      ingest.url,
      [
        { labels: { __name__: 'node_cpu_hourly_cost', ...node }, samples: samples.map((s) => ({ ...s, value: price })) },
        { labels: { __name__: 'node_ram_hourly_cost', ...node }, samples: samples.map((s) => ({ ...s, value: 0 })) },
        { labels: { __name__: 'kube_node_status_capacity_cpu_cores', ...node }, samples: samples.map((s) => ({ ...s, value: cores })) },
        { labels: { __name__: 'kube_node_status_capacity_memory_bytes', ...node }, samples: samples.map((s) => ({ ...s, value: GIB })) },
      ],
      { headers: { Authorization: basicAuth(late.id, late.password) } },
    );
    // Recorded before the write was acknowledged. From the hour before: its scrape interval is
    // also measured across its end, with the first 10 minutes of this hour.
    const [state] = await t.db.query<{ stale_from: Date }>('SELECT stale_from FROM kubecost_rollup_state WHERE cloud_account_id = $1', [late.id]);
    expect(new Date(state.stale_from).getTime()).toBe(hour - HOUR_MS);

    const after = (await loadClusterCosts(client, [late.id], ...range, { rollups })).get(late.id)!;
    const direct = (await loadClusterCosts(client, [late.id], ...range)).get(late.id)!;
    expect(differences('after late write', after, direct)).toEqual([]);
    // One hour of 10 cores at $0.05, counted at the cluster's own scrape interval (60 s samples on a 60 s cluster).
    expect(after.breakdown.cpu - before.breakdown.cpu).toBeCloseTo(price * cores * ((60 * late.cluster.intervalSeconds) / 3600), 6);
    // The hour was computed again with its assets: the replayed node is one of them.
    await rollups.settled();
    const replayed = (await rollups.assetHours([late.id], hour, hour + HOUR_MS)).get(late.id)!.get(hour)!.find((a) => a.name === 'replayed');
    expect(replayed).toMatchObject({ kind: 'node', providerId: 'aws:///replayed' });
    expect(replayed!.cpu).toBeCloseTo(price * cores * ((60 * late.cluster.intervalSeconds) / 3600), 6);
    const [cleared] = await t.db.query<{ stale_from: Date | null }>('SELECT stale_from FROM kubecost_rollup_state WHERE cloud_account_id = $1', [late.id]);
    expect(cleared.stale_from).toBeNull();
  }, 120_000);

  it('live samples mark nothing, and a deleted cluster takes its rollups with it', async () => {
    const now = Date.now();
    await writeSeries(ingest.url, [{ labels: { __name__: 'kubecost_cluster_management_cost' }, samples: [{ timestamp: now, value: 0.1 }] }], {
      headers: { Authorization: basicAuth(late.id, late.password) },
    });
    const [state] = await t.db.query<{ stale_from: Date | null }>('SELECT stale_from FROM kubecost_rollup_state WHERE cloud_account_id = $1', [late.id]);
    expect(state.stale_from).toBeNull();
    expect(await t.db.query('SELECT 1 FROM kubecost_hourly_asset_costs WHERE cloud_account_id = $1', [late.id])).not.toEqual([]);
    expect(await softDeleteCloudAccount(t.db, late.id)).toBe(true);
    const left = await t.db.query(
      `SELECT 1 FROM kubecost_hourly_costs WHERE cloud_account_id = $1 UNION ALL SELECT 1 FROM kubecost_hourly_asset_costs WHERE cloud_account_id = $1
       UNION ALL SELECT 1 FROM kubecost_assets WHERE cloud_account_id = $1 UNION ALL SELECT 1 FROM kubecost_rollup_state WHERE cloud_account_id = $1`,
      [late.id],
    );
    expect(left).toEqual([]);
  });
});

// A cluster that is not a live account gets no rows: nothing is kept for unknown tenants.
it('rows are kept for live accounts only', async () => {
  const [backend] = databaseBackends();
  const t = await backend.create();
  try {
    const store = new RollupStore(t.db);
    const stranger = crypto.randomUUID();
    const generations = await store.prepare([stranger]);
    await store.save(new Map([[stranger, new Map([[START, { ...emptyPiece(), costs: { ...emptyPiece().costs, cpu: 1 }, samples: 1 }]])]]), generations);
    expect(await t.db.query('SELECT 1 FROM kubecost_hourly_costs')).toEqual([]);
  } finally {
    await t.drop();
  }
});

// Two processes saving the same new hours at once (two replicas answering the same dashboard):
// both name the same new assets, and every hour keeps all of them whoever wins.
it.each(databaseBackends())('concurrent saves of the same new hours keep every asset of every hour ($name)', async (backend) => {
  const t = await backend.create();
  try {
    const org = await createOrganization(t.db, 'concurrent');
    const { cloudAccount } = await createKubernetesCluster(t.db, org.id, 'c', 'http://127.0.0.1/api/v1/write');
    const assets = Array.from({ length: 5 }, (_, n) => ({ kind: 'node' as const, name: `n${n}`, providerId: `aws:///us-east-1a/i-0${String(n).padStart(16, '0')}`, cpu: 0.1, ram: 0.05, gpu: 0, cost: 0.15 }));
    const hours = new Map(Array.from({ length: 24 }, (_, h) => [START + h * HOUR_MS, { ...emptyPiece(), costs: { ...emptyPiece().costs, cpu: 0.5, ram: 0.25 }, samples: 60, assets }]));
    const stores = [new RollupStore(t.db), new RollupStore(t.db)];
    const generations = await Promise.all(stores.map((s) => s.prepare([cloudAccount.id])));
    await Promise.all(stores.map((s, i) => s.save(new Map([[cloudAccount.id, hours]]), generations[i])));
    const stored = (await stores[0].assetHours([cloudAccount.id], START, START + 24 * HOUR_MS)).get(cloudAccount.id)!;
    expect([...stored.keys()].sort()).toEqual([...hours.keys()]);
    for (const list of stored.values()) expect(list.map((a) => a.name)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    const [{ count }] = await t.db.query<{ count: string }>('SELECT count(*) FROM kubecost_assets WHERE cloud_account_id = $1', [cloudAccount.id]);
    expect(Number(count)).toBe(5);
  } finally {
    await t.drop();
  }
});
