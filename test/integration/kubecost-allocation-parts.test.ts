import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalPrometheus, type LocalPrometheus } from '../../cli/local/local-prometheus';
import { createKubernetesCluster } from '../../lib/accounts/kubernetes-clusters';
import { createOrganization, softDeleteCloudAccount } from '../../lib/accounts/repository';
import { ErrorCode } from '../../lib/graphql/errors';
import { allocationParts, loadAllocationInputs } from '../../subgraphs/kubecost/allocation/load';
import { mergeParts, partInputs, type AllocationInputs } from '../../subgraphs/kubecost/allocation/part-inputs';
import { AllocationPartStore } from '../../subgraphs/kubecost/allocation/part-store';
import { podAllocationQuery, workloadsQuery } from '../../subgraphs/kubecost/costs/queries';
import { QueryBudget } from '../../subgraphs/kubecost/costs/query-budget';
import { costWindow } from '../../subgraphs/kubecost/costs/window';
import { createKubecostMetrics } from '../../subgraphs/kubecost/metrics';
import { tenantSelector } from '../../subgraphs/kubecost/promql/matchers';
import { ThanosClient } from '../../subgraphs/kubecost/promql/thanos-client';
import { RollupStore } from '../../subgraphs/kubecost/rollups/rollup-store';
import { databaseBackends, type TestDatabase } from '../helpers/databases';
import { startPromqlProxy, type PromqlProxy } from '../helpers/promql-proxy';
import { DAY_MS, GIB, HOUR_MS, MINUTE_MS, writeClusters, type SyntheticCluster, type SyntheticContainer } from '../helpers/synthetic-cluster';

/*
 * Closed parts of allocation (whole UTC hours and days) kept in PostgreSQL: a range's inputs
 * from kept parts equal those of one query over the whole range, a process that never saw the
 * range reads them instead of asking PromQL, late samples throw away the parts they touch, and
 * the query budget charges only what is asked of PromQL.
 */

const DAY = Math.floor(Date.now() / DAY_MS) * DAY_MS - 2 * DAY_MS;
/**
 * Partial first hour, a whole hour, a whole day, five whole hours, a partial last hour: all
 * closed; the ends off the grid of the subquery points (120 s), as a rolling window's are.
 */
const FROM = DAY - 90 * MINUTE_MS + 37_000;
const TO = DAY + DAY_MS + 5 * HOUR_MS + 20 * MINUTE_MS + 13_000;

function container(namespace: string, pod: string, node: string, cores: number, gib: number, fromHour?: number, toHour?: number): SyntheticContainer {
  return {
    namespace,
    pod,
    container: 'main',
    node,
    cores,
    memoryBytes: gib * GIB,
    ...(fromHour !== undefined ? { fromMs: DAY + fromHour * HOUR_MS } : {}),
    ...(toHour !== undefined ? { toMs: DAY + toHour * HOUR_MS } : {}),
  };
}

function cluster(tenantId: string): SyntheticCluster {
  return {
    tenantId,
    startMs: DAY - 3 * HOUR_MS,
    endMs: DAY + 2 * DAY_MS,
    intervalSeconds: 60,
    counterOriginMs: DAY - 3 * HOUR_MS,
    nodes: [
      { name: 'n1', cpuPrice: 0.03, ramPrice: 0.004, cores: 4, memoryBytes: 16 * GIB },
      { name: 'n2', cpuPrice: 0.02, ramPrice: 0.003, cores: 2, memoryBytes: 8 * GIB },
    ],
    volumes: [{ name: 'pv-1', price: 0.0001, capacityBytes: 100 * GIB }],
    loadBalancers: [{ namespace: 'web', service: 'web', ip: '10.0.0.1', price: 0.025 }],
    managementFee: 0.1,
    containers: [
      container('web', 'web-a', 'n1', 1, 2),
      // Across the day's end and the partial hours: starts at 06:00, ends the next day at 03:30.
      container('web', 'web-b', 'n2', 0.5, 1, 6, 27.5),
      container('batch', 'report-1', 'n2', 1, 4, 12, 14),
      { ...container('tools', 'debug', 'n1', 0.5, 1), requestCores: 0.5, requestMemoryBytes: GIB, usageCores: 0.25, usageMemoryBytes: GIB / 2 },
    ],
    claims: [{ namespace: 'web', pod: 'web-a', claim: 'data', volume: 'pv-1', bytes: 100 * GIB }],
    egress: { prices: { internet: 0.12, region: 0.01, zone: 0.01 }, flows: [{ namespace: 'web', pod: 'web-a', kind: 'internet', bytesPerHour: GIB }] },
    workloads: {
      podOwners: [
        { namespace: 'web', object: 'web-a', kind: 'ReplicaSet', name: 'web-1' },
        { namespace: 'web', object: 'web-b', kind: 'ReplicaSet', name: 'web-1', fromMs: DAY + 6 * HOUR_MS },
        { namespace: 'batch', object: 'report-1', kind: 'Job', name: 'report-1', fromMs: DAY + 12 * HOUR_MS, toMs: DAY + 14 * HOUR_MS },
      ],
      replicaSetOwners: [{ namespace: 'web', object: 'web-1', kind: 'Deployment', name: 'web' }],
      jobOwners: [{ namespace: 'batch', object: 'report-1', kind: 'CronJob', name: 'report' }],
      labels: [{ namespace: 'web', pod: 'web-a', labels: { team: 'checkout' } }, { namespace: 'web', labels: { team: 'storefront' } }],
    },
  };
}

/** The pods' numbers by pod and node, for comparing two inputs. */
function podsOf(inputs: AllocationInputs): Map<string, number[]> {
  return new Map(
    inputs.pods.map((p) => [
      `${p.namespace}/${p.pod}@${p.node}`,
      [p.cpu, p.ram, p.gpu, p.persistentVolumes, p.cpuCoreHoursRequested, p.cpuCoreHoursUsed, p.ramByteHoursRequested, p.ramByteHoursUsed, p.network],
    ]),
  );
}

/** Differences beyond float noise (network within 5%: egress `increase` is extrapolated per part). */
function differences(got: AllocationInputs, want: AllocationInputs): string[] {
  const problems: string[] = [];
  const a = podsOf(got);
  const b = podsOf(want);
  if ([...a.keys()].sort().join() !== [...b.keys()].sort().join()) return [`pods ${[...a.keys()].sort()} vs ${[...b.keys()].sort()}`];
  for (const [pod, values] of a) {
    values.forEach((value, i) => {
      const expected = b.get(pod)![i];
      const tolerance = i === 8 ? Math.abs(expected) * 0.05 : Math.abs(expected) * 1e-9 + 1e-12;
      if (Math.abs(value - expected) > tolerance) problems.push(`${pod}[${i}]: ${value} vs ${expected}`);
    });
  }
  const loadBalancers = (inputs: AllocationInputs) => JSON.stringify([...inputs.loadBalancersByNamespace].map(([ns, cost]) => [ns, cost.toFixed(9)]));
  if (loadBalancers(got) !== loadBalancers(want)) problems.push(`load balancers ${loadBalancers(got)} vs ${loadBalancers(want)}`);
  const workloads = (inputs: AllocationInputs) =>
    JSON.stringify(Object.entries(inputs.workloads).map(([name, map]) => [name, [...(map as Map<string, unknown>)].sort(([x], [y]) => x.localeCompare(y))]));
  if (workloads(got) !== workloads(want)) problems.push(`workloads ${workloads(got)} vs ${workloads(want)}`);
  return problems;
}

describe.each(databaseBackends())('allocation parts kept in the database ($name)', (backend) => {
  let dir: string;
  let prometheus: LocalPrometheus;
  let proxy: PromqlProxy;
  let t: TestDatabase;
  let ids: string[];
  /** No result cache: every PromQL request reaches the proxy and is counted. */
  const client = () => new ThanosClient({ url: proxy.url, timeoutMs: 30_000, immutableAfterMs: 600_000, recentTtlMs: 60_000, cacheBytes: 0, metrics: createKubecostMetrics() });
  /** A process that has seen nothing yet: its own stores, over the shared database. */
  const fresh = () => {
    const rollups = new RollupStore(t.db);
    return { rollups, parts: new AllocationPartStore(t.db, rollups) };
  };
  const partRows = async () => Number((await t.db.query<{ count: string }>('SELECT count(*) FROM kubecost_allocation_parts'))[0].count);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-allocation-parts-'));
    prometheus = await startLocalPrometheus({ dataDir: dir, port: 0 });
    proxy = await startPromqlProxy(prometheus.url);
    t = await backend.create();
    const org = await createOrganization(t.db, 'allocation parts');
    ids = [];
    for (const name of ['a', 'b']) ids.push((await createKubernetesCluster(t.db, org.id, name, 'http://127.0.0.1/api/v1/write')).cloudAccount.id);
    await writeClusters(prometheus.url, ids.map((id) => ({ cluster: cluster(id) })));
    await prometheus.settled();
  }, 180_000);

  afterAll(async () => {
    await proxy?.close();
    await prometheus?.stop();
    await t?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('kept parts add up to one query over the whole range, and another process reads them instead of PromQL', async () => {
    const whole = costWindow(new Date(FROM), new Date(TO));
    const T = tenantSelector(ids);
    const [pods, workloads] = await Promise.all([client().instant(podAllocationQuery(T, whole), whole.evalMs), client().instant(workloadsQuery(T, whole), whole.evalMs)]);
    const raw = partInputs(ids, pods, workloads);

    const first = fresh();
    const before = proxy.queries;
    const computed = await loadAllocationInputs(client(), ids, new Date(FROM), new Date(TO), first);
    // Two partial hours (two instant queries each); the hour before the day, the day and the
    // five hours after it as three runs (two range queries each).
    expect(proxy.queries - before).toBe(2 * 2 + 3 * 2);
    await first.parts.settled();
    // Per cluster: an hour, a day, five hours.
    expect(await partRows()).toBe(ids.length * 7);
    for (const id of ids) expect(differences(computed.get(id)!, mergeParts([raw.get(id)!]))).toEqual([]);

    const second = fresh();
    const again = proxy.queries;
    const kept = await loadAllocationInputs(client(), ids, new Date(FROM), new Date(TO), second);
    // Only the partial hours are asked.
    expect(proxy.queries - again).toBe(2 * 2);
    for (const id of ids) expect(differences(kept.get(id)!, computed.get(id)!)).toEqual([]);
    // A minute later, within the same subquery points (120 s): with a result cache, nothing is
    // asked again, and the inputs are the same object.
    const caching = new ThanosClient({ url: proxy.url, timeoutMs: 30_000, immutableAfterMs: 600_000, recentTtlMs: 60_000, cacheBytes: 1 << 24, metrics: createKubecostMetrics() });
    const minute = await loadAllocationInputs(caching, ids, new Date(FROM + 10_000), new Date(TO + 10_000), second);
    const cached = proxy.queries;
    const later = await loadAllocationInputs(caching, ids, new Date(FROM + 70_000), new Date(TO + 70_000), second);
    expect(proxy.queries).toBe(cached);
    expect(later.get(ids[0])).toBe(minute.get(ids[0]));
    // The same process again: merged inputs reused while every part is the same.
    const memory = await loadAllocationInputs(client(), ids, new Date(DAY), new Date(DAY + DAY_MS), second);
    expect((await loadAllocationInputs(client(), ids, new Date(DAY), new Date(DAY + DAY_MS), second)).get(ids[0])).toBe(memory.get(ids[0]));
  }, 120_000);

  it('late samples throw away the parts from the marked hour on, which are computed again', async () => {
    expect(await partRows()).toBeGreaterThan(0);
    const stale = DAY + DAY_MS + 2 * HOUR_MS;
    await t.db.query('UPDATE kubecost_rollup_state SET stale_from = $2 WHERE cloud_account_id = $1', [ids[0], new Date(stale)]);
    const stores = fresh();
    const before = proxy.queries;
    const inputs = await loadAllocationInputs(client(), ids, new Date(FROM), new Date(TO), stores);
    // The partial hours, and the hours from the mark on for the marked cluster (one range query pair).
    expect(proxy.queries - before).toBe(2 * 2 + 2);
    await stores.parts.settled();
    const whole = costWindow(new Date(FROM), new Date(TO));
    const rows = await t.db.query<{ part_start: Date }>('SELECT part_start FROM kubecost_allocation_parts WHERE cloud_account_id = $1 AND resolution_seconds = $2 ORDER BY part_start', [
      ids[0],
      whole.resolutionSeconds,
    ]);
    expect(rows.map((r) => (new Date(r.part_start).getTime() - DAY) / HOUR_MS)).toEqual([-1, 0, 24, 25, 26, 27, 28]);
    const [pods, workloads] = await Promise.all([client().instant(podAllocationQuery(tenantSelector(ids), whole), whole.evalMs), client().instant(workloadsQuery(tenantSelector(ids), whole), whole.evalMs)]);
    expect(differences(inputs.get(ids[0])!, mergeParts([partInputs(ids, pods, workloads).get(ids[0])!]))).toEqual([]);
  }, 120_000);

  it('the query budget charges only what is asked of PromQL: kept parts cost nothing', async () => {
    // Longer than two days: a resolution (180 s) no other range here was asked at.
    const from = DAY - 3 * HOUR_MS;
    const to = DAY + DAY_MS + 22 * HOUR_MS;
    const hours = (to - from) / HOUR_MS;
    expect(costWindow(new Date(from), new Date(to)).resolutionSeconds).toBe(180);
    expect(allocationParts(from, to)).toHaveLength(3 + 1 + 22);
    // Never asked at this resolution: every cluster-hour is read from raw samples, over a budget
    // of less; refused before any query is sent.
    const refused = proxy.queries;
    await expect(loadAllocationInputs(client(), ids, new Date(from), new Date(to), { ...fresh(), budget: new QueryBudget(ids.length * hours - 1) })).rejects.toMatchObject({
      extensions: { code: ErrorCode.QUERY_TOO_EXPENSIVE },
    });
    expect(proxy.queries).toBe(refused);
    const stores = fresh();
    await loadAllocationInputs(client(), ids, new Date(from), new Date(to), { ...stores, budget: new QueryBudget(ids.length * hours) });
    await stores.parts.settled();
    // Kept now: nothing is asked, nothing charged.
    const before = proxy.queries;
    await loadAllocationInputs(client(), ids, new Date(from), new Date(to), { ...fresh(), budget: new QueryBudget(0) });
    expect(proxy.queries).toBe(before);
  }, 120_000);

  it('a deleted cluster takes its parts with it', async () => {
    const count = async (id: string) => Number((await t.db.query<{ count: string }>('SELECT count(*) FROM kubecost_allocation_parts WHERE cloud_account_id = $1', [id]))[0].count);
    expect(await count(ids[1])).toBeGreaterThan(0);
    expect(await softDeleteCloudAccount(t.db, ids[1])).toBe(true);
    expect(await count(ids[1])).toBe(0);
    expect(await count(ids[0])).toBeGreaterThan(0);
  });
});
