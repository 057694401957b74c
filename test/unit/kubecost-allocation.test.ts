import { allocationParts, pointSpan } from '../../subgraphs/kubecost/allocation/load';
import { organizationAllocation } from '../../subgraphs/kubecost/allocation/report';
import type { ClusterCostData } from '../../subgraphs/kubecost/costs/cluster-costs';
import { allocate, controllerOf, sanitisedLabel, type AllocationOptions, type ClusterTotals, type PodAllocation, type Workloads } from '../../subgraphs/kubecost/allocation/allocate';

/*
 * The allocation engine on a small cluster whose every row is worked out here by hand: a
 * Deployment's two pods (one labelled, one taking its namespace's label), a CronJob's pod, a
 * shared kube-system pod, a bare pod; load balancers in a namespace with pods and in one
 * without; idle, unmounted volumes, the management fee and network.
 */

const pod = (namespace: string, name: string, node: string, cpu: number, ram: number, persistentVolumes = 0, network = 0): PodAllocation => ({
  namespace,
  pod: name,
  node,
  cpu,
  ram,
  gpu: 0,
  persistentVolumes,
  network,
  cpuCoreHoursRequested: cpu / 0.03,
  cpuCoreHoursUsed: cpu / 0.06,
  ramByteHoursRequested: ram,
  ramByteHoursUsed: ram / 2,
});

const PODS: PodAllocation[] = [
  pod('web', 'web-7d9f-a', 'n1', 30, 10, 5),
  pod('web', 'web-7d9f-b', 'n2', 20, 10),
  pod('batch', 'report-29101-x', 'n1', 10, 5),
  pod('kube-system', 'coredns-1', 'n1', 5, 5),
  pod('tools', 'debug', 'n2', 5, 0),
];

const WORKLOADS: Workloads = {
  podOwners: new Map([
    ['web/web-7d9f-a', { kind: 'ReplicaSet', name: 'web-7d9f' }],
    ['web/web-7d9f-b', { kind: 'ReplicaSet', name: 'web-7d9f' }],
    ['batch/report-29101-x', { kind: 'Job', name: 'report-29101' }],
    ['kube-system/coredns-1', { kind: 'ReplicaSet', name: 'coredns-5d' }],
  ]),
  replicaSetOwners: new Map([
    ['web/web-7d9f', { kind: 'Deployment', name: 'web' }],
    ['kube-system/coredns-5d', { kind: 'Deployment', name: 'coredns' }],
  ]),
  jobOwners: new Map([['batch/report-29101', { kind: 'CronJob', name: 'report' }]]),
  podLabels: new Map([['web/web-7d9f-a', { label_team: 'checkout', label_app_kubernetes_io_name: 'web' }]]),
  namespaceLabels: new Map([['web', { label_team: 'storefront' }]]),
};

const TOTALS: ClusterTotals = { cpu: 100, ram: 50, gpu: 0, persistentVolumes: 20, network: 5, loadBalancers: 10, clusterManagement: 2.4 };
const TOTAL = 100 + 50 + 20 + 5 + 10 + 2.4;
const LOAD_BALANCERS = new Map([
  ['web', 8],
  ['ghost', 2],
]);
const options = (over: Partial<AllocationOptions>): AllocationOptions => ({ by: [{ dimension: 'NAMESPACE' }], idle: 'SEPARATE', sharedNamespaces: [], top: 20, ...over });
const run = (over: Partial<AllocationOptions>, totals = TOTALS) => allocate(PODS, WORKLOADS, totals, LOAD_BALANCERS, options(over));
const byName = (rows: Array<{ name: string; totalCost: number }>) => Object.fromEntries(rows.map((r) => [r.name, Number(r.totalCost.toFixed(9))]));
const sum = (rows: Array<{ totalCost: number }>) => rows.reduce((s, r) => s + r.totalCost, 0);

describe('allocation', () => {
  it('by namespace: load balancers follow their namespace, what no pod was allocated goes to idle, unmounted and cluster rows; the rows sum to the total', () => {
    const result = run({});
    expect(byName(result.rows)).toEqual({ web: 83, batch: 15, 'kube-system': 10, tools: 5, __unmounted__: 15, __idle__: 50, __cluster__: 9.4 });
    const web = result.rows.find((r) => r.name === 'web')!;
    // No pod's egress is known: the network cost stays the cluster's.
    expect(web).toMatchObject({ cpu: 50, ram: 20, persistentVolumes: 5, loadBalancers: 8, network: 0 });
    expect(result.rows.find((r) => r.name === '__cluster__')).toMatchObject({ loadBalancers: 2, network: 5, shared: 2.4 });
    expect(result.rows.find((r) => r.name === '__idle__')).toMatchObject({ cpu: 30, ram: 20 });
    expect(result.totalCost).toBeCloseTo(TOTAL, 9);
    expect(sum(result.rows)).toBeCloseTo(TOTAL, 9);
    expect(result.idleCost).toBe(50);
    expect(result.warnings).toEqual([]);
  });

  it('network: the cluster\'s network cost goes to pods in proportion to their priced egress; null when the cluster reports none', () => {
    const egressing = PODS.map((p) => (p.pod === 'web-7d9f-a' ? { ...p, network: 3 } : p.pod === 'debug' ? { ...p, network: 1 } : p));
    const result = allocate(egressing, WORKLOADS, TOTALS, LOAD_BALANCERS, options({}));
    expect(result.rows.find((r) => r.name === 'web')!.network).toBeCloseTo(3.75, 9);
    expect(result.rows.find((r) => r.name === 'tools')!.network).toBeCloseTo(1.25, 9);
    expect(result.rows.find((r) => r.name === '__cluster__')).toMatchObject({ network: 0, totalCost: 4.4 });
    expect(sum(result.rows)).toBeCloseTo(TOTAL, 9);
    const none = allocate(PODS, WORKLOADS, { ...TOTALS, network: null }, LOAD_BALANCERS, options({}));
    expect(none.rows.every((r) => r.network === null)).toBe(true);
    expect(sum(none.rows)).toBeCloseTo(TOTAL - 5, 9);
  });

  it('by controller: ReplicaSets resolve to their Deployment, Jobs to their CronJob, a bare pod to itself', () => {
    const result = run({ by: [{ dimension: 'CONTROLLER' }] });
    expect(byName(result.rows)).toMatchObject({ 'web/deployment/web': 83, 'batch/cronjob/report': 15, 'kube-system/deployment/coredns': 10, 'tools/pod/debug': 5 });
    expect(controllerOf(WORKLOADS, 'web', 'unknown')).toBe('web/pod/unknown');
  });

  it('by label: the pod\'s label, else its namespace\'s, else __unallocated__; load balancers split by the pods\' cost', () => {
    const result = run({ by: [{ dimension: 'LABEL', labelKey: 'team' }] });
    // web's pods cost 45 and 30 of its 75: the load balancer's 8 splits 4.8 / 3.2.
    expect(byName(result.rows)).toMatchObject({ checkout: 49.8, storefront: 33.2, __unallocated__: 30 });
    expect(result.rows[0].keys).toEqual([{ dimension: 'LABEL', labelKey: 'team', value: 'checkout' }]);
    expect(byName(run({ by: [{ dimension: 'LABEL', labelKey: 'app.kubernetes.io/name' }] }).rows)).toMatchObject({ web: 49.8, __unallocated__: 63.2 });
    expect(sanitisedLabel('app.kubernetes.io/name')).toBe('label_app_kubernetes_io_name');
  });

  it('several dimensions at once: namespace × label', () => {
    const result = run({ by: [{ dimension: 'NAMESPACE' }, { dimension: 'LABEL', labelKey: 'team' }] });
    expect(byName(result.rows)).toMatchObject({ 'web / checkout': 49.8, 'web / storefront': 33.2, 'batch / __unallocated__': 15, __idle__: 50 });
    expect(sum(result.rows)).toBeCloseTo(TOTAL, 9);
  });

  it('by node and by pod, with the smallest pods summed into __other__ beyond top', () => {
    expect(byName(run({ by: [{ dimension: 'NODE' }] }).rows)).toMatchObject({ n1: 74.8, n2: 38.2 });
    const top = run({ by: [{ dimension: 'POD' }], top: 2 });
    expect(top.rows.map((r) => r.name)).toEqual(['web/web-7d9f-a', 'web/web-7d9f-b', '__other__', '__unmounted__', '__idle__', '__cluster__']);
    expect(top.rows.find((r) => r.name === '__other__')!.totalCost).toBeCloseTo(30, 9);
    expect(sum(top.rows)).toBeCloseTo(TOTAL, 9);
  });

  it('shares a shared namespace, then idle and the cluster\'s own cost, in proportion to cost', () => {
    const result = run({ idle: 'SHARE_BY_COST', sharedNamespaces: ['kube-system'] });
    // kube-system's 10 over web, batch and tools (83, 15, 5 of 103), then idle and the cluster
    // row's 59.4 over the same rows: each ends at its own share of 103 + 10 + 59.4.
    const each = (own: number) => (own * (103 + 10 + 59.4)) / 103;
    const rows = byName(result.rows);
    expect(Object.keys(rows).sort()).toEqual(['__unmounted__', 'batch', 'tools', 'web']);
    expect(rows.web).toBeCloseTo(each(83), 9);
    expect(rows.batch).toBeCloseTo(each(15), 9);
    expect(rows.tools).toBeCloseTo(each(5), 9);
    expect(sum(result.rows)).toBeCloseTo(TOTAL, 9);
    expect(result.idleCost).toBe(50);
  });

  it('hides idle: the rows sum to the total less idle, and idle is given beside them', () => {
    const result = run({ idle: 'HIDE' });
    expect(result.rows.map((r) => r.name)).not.toContain('__idle__');
    expect(result.totalCost).toBeCloseTo(TOTAL - 50, 9);
    expect(result.idleCost).toBe(50);
  });

  it('over-commit: allocations scaled to the nodes\' cost, idle never negative, the sum still exact, a warning', () => {
    const result = run({}, { ...TOTALS, cpu: 60 });
    expect(result.rows.find((r) => r.name === '__idle__')!.cpu).toBe(0);
    expect(result.rows.find((r) => r.name === 'web')!.cpu).toBeCloseTo((50 * 60) / 70, 9);
    expect(sum(result.rows)).toBeCloseTo(TOTAL - 40, 9);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/allocated 16\.7% more CPU cost than the cluster's assets cost/);
  });

  it('assets that cost nothing (capacity missing): pods\' cost of it left out, said so, the sum still the total', () => {
    const result = run({}, { ...TOTALS, gpu: 0, ram: 0 });
    expect(result.rows.find((r) => r.name === 'web')!.ram).toBe(0);
    expect(result.warnings).toEqual([expect.stringMatching(/allocated RAM cost, but the cluster's assets cost nothing for it/)]);
    expect(sum(result.rows)).toBeCloseTo(TOTAL - 50, 9);
  });

  it('nothing but a shared namespace: it stays a row, and the sum stays the total', () => {
    const alone = allocate([PODS[3]], WORKLOADS, TOTALS, new Map(), options({ idle: 'SHARE_BY_COST', sharedNamespaces: ['kube-system'] }));
    expect(alone.rows.map((r) => r.name)).toEqual(['__shared__', '__unmounted__', '__idle__', '__cluster__']);
    expect(sum(alone.rows)).toBeCloseTo(TOTAL, 9);
  });

  it('asks a range in parts: whole UTC days, whole hours beside them, partial hours at the ends', () => {
    const H = 3_600_000;
    const D = Date.UTC(2026, 10, 1);
    const parts = (from: number, to: number) => allocationParts(from, to).map((p) => [(p.startMs - D) / H, (p.endMs - D) / H]);
    const hours = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => [from + i, from + i + 1]);
    expect(parts(D + 10.5 * H, D + 53 * H + H / 3)).toEqual([[10.5, 11], ...hours(11, 24), [24, 48], ...hours(48, 53), [53, 53 + 1 / 3]]);
    // On the hour and on midnight: no empty parts.
    expect(parts(D, D + 48 * H)).toEqual([
      [0, 24],
      [24, 48],
    ]);
    expect(parts(D + 2.25 * H, D + 2.75 * H)).toEqual([[2.25, 2.75]]);
    expect(parts(D + 2.25 * H, D + 3.5 * H)).toEqual([
      [2.25, 3],
      [3, 3.5],
    ]);
  });

  it('asks a part that is not kept over the subquery points it holds, so a moving end repeats the same query', () => {
    const M = 60_000;
    const H = 60 * M;
    const span = (from: number, to: number, resolution = 600) => {
      const cut = pointSpan({ startMs: from, endMs: to }, resolution);
      return cut && [cut.startMs, cut.endMs];
    };
    // Off the grid: from just after the point before the start to just after the last point.
    expect(span(H + 37 * M, 2 * H)).toEqual([H + 30 * M + 1, 2 * H]);
    expect(span(H + 31 * M, 2 * H)).toEqual([H + 30 * M + 1, 2 * H]);
    expect(span(2 * H, 2 * H + 37 * M)).toEqual([2 * H, 2 * H + 30 * M + 1]);
    expect(span(2 * H, 2 * H + 39 * M)).toEqual([2 * H, 2 * H + 30 * M + 1]);
    expect(span(H + 7 * M, H + 33 * M)).toEqual([H + 1, H + 30 * M + 1]);
    // On the grid: as it is; a part whose only point is its start and whose end is off the grid
    // starts just after the point before (a 0 ms range is none in PromQL).
    expect(span(H, 2 * H)).toEqual([H, 2 * H]);
    expect(span(2 * H, 2 * H + 5 * M)).toEqual([2 * H - 10 * M + 1, 2 * H + 1]);
    // No point inside: nothing to ask.
    expect(span(H + 1 * M, H + 9 * M)).toBeUndefined();
    expect(span(H + 51 * M, 2 * H)).toBeUndefined();
    // The points are the part's own: every multiple of the resolution in [from, to) and no other.
    for (const [from, to] of [[H + 37 * M, 2 * H + 7 * M], [H + 10 * M, H + 10 * M + 1], [H + 59 * M, 3 * H], [2 * H, 2 * H + 5 * M]]) {
      const points = (a: number, b: number) => Array.from({ length: 20 }, (_, i) => H + i * 10 * M).filter((t) => t >= a && t <= b - 1);
      const cut = pointSpan({ startMs: from, endMs: to }, 600)!;
      expect(points(cut.startMs, cut.endMs)).toEqual(points(from, to));
      expect(cut.endMs - cut.startMs - 1).toBeGreaterThan(0);
    }
  });

  it('an organization report is reused while the inputs are the same objects and the totals the same numbers', () => {
    const cluster = (breakdown: ClusterTotals): ClusterCostData => ({ cloudAccountId: 'c1', breakdown, totalCost: TOTAL, lastSampleAt: null, capacityComplete: true, warnings: [] });
    const inputs = { pods: PODS, workloads: WORKLOADS, loadBalancersByNamespace: new Map([['web', 6]]) };
    const first = organizationAllocation([{ id: 'c1', cluster: cluster(TOTALS), inputs }], options({}));
    expect(organizationAllocation([{ id: 'c1', cluster: cluster({ ...TOTALS }), inputs }], options({}))).toBe(first);
    // Other inputs (a part answered anew), other totals, other options: grouped again.
    const copied = organizationAllocation([{ id: 'c1', cluster: cluster(TOTALS), inputs: { ...inputs } }], options({}));
    expect(copied).not.toBe(first);
    expect(copied).toEqual(first);
    const dearer = organizationAllocation([{ id: 'c1', cluster: cluster({ ...TOTALS, cpu: 200 }), inputs }], options({}));
    expect(dearer.totalCost).toBeCloseTo(first.totalCost + 100, 9);
    expect(organizationAllocation([{ id: 'c1', cluster: cluster(TOTALS), inputs }], options({ idle: 'HIDE' })).totalCost).toBeCloseTo(first.totalCost - first.idleCost, 9);
  });
});
