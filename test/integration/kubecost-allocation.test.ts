import { createApiToken } from '../../lib/accounts/api-tokens';
import { createKubernetesCluster } from '../../lib/accounts/kubernetes-clusters';
import { createOrganization } from '../../lib/accounts/repository';
import { databaseBackends, type TestDatabase } from '../helpers/databases';
import { basicAuth } from '../helpers/remote-write';
import { callGateway, startTestStack, type TestStack } from '../helpers/stack';
import { DAY_MS, GIB, HOUR_MS, writeClusters, type SyntheticCluster, type SyntheticContainer } from '../helpers/synthetic-cluster';

/*
 * Allocation through the gateway on clusters whose every row is worked out here from prices,
 * allocations and lifetimes: a Deployment rolling from one ReplicaSet to another at noon, a pod
 * of a CronJob's Job for two hours, kube-system, a bare pod, a labelled pod beside pods that take
 * their namespace's label, a claimed and an unclaimed volume, a load balancer, the management fee.
 */

const DAY = Math.floor(Date.now() / DAY_MS) * DAY_MS - 2 * DAY_MS;
const RANGE = { from: new Date(DAY).toISOString(), to: new Date(DAY + DAY_MS).toISOString() };
const CPU = 0.03;
const RAM = 0.004;

function container(namespace: string, pod: string, node: string, cores: number, gib: number, fromHour = 0, toHour = 24): SyntheticContainer {
  return { namespace, pod, container: 'main', node, cores, memoryBytes: gib * GIB, fromMs: DAY + fromHour * HOUR_MS, toMs: toHour === 24 ? undefined : DAY + toHour * HOUR_MS };
}
/** What a container costs over its hours in the range. */
const cost = (cores: number, gib: number, hours: number) => ({ cpu: cores * CPU * hours, ram: gib * RAM * hours });

function shop(tenantId: string): SyntheticCluster {
  return {
    tenantId,
    startMs: DAY - 2 * HOUR_MS,
    endMs: DAY + DAY_MS + 2 * HOUR_MS,
    intervalSeconds: 60,
    nodes: [
      { name: 'n1', cpuPrice: CPU, ramPrice: RAM, cores: 4, memoryBytes: 16 * GIB },
      { name: 'n2', cpuPrice: CPU, ramPrice: RAM, cores: 2, memoryBytes: 8 * GIB },
    ],
    volumes: [
      { name: 'pv-1', price: 0.0001, capacityBytes: 100 * GIB },
      { name: 'pv-2', price: 0.0001, capacityBytes: 50 * GIB },
    ],
    loadBalancers: [{ namespace: 'web', service: 'web', ip: '10.0.0.1', price: 0.025 }],
    managementFee: 0.1,
    containers: [
      container('web', 'web-old-x', 'n1', 1, 2, 0, 12),
      container('web', 'web-new-y', 'n1', 1, 2, 12, 24),
      container('web', 'web-new-a', 'n2', 0.5, 1),
      container('batch', 'report-1-z', 'n2', 1, 4, 6, 8),
      container('kube-system', 'coredns-1', 'n1', 0.25, 0.5),
      // Requests what it is allocated, uses half of it.
      { ...container('tools', 'debug', 'n1', 0.5, 1), requestCores: 0.5, requestMemoryBytes: GIB, usageCores: 0.25, usageMemoryBytes: GIB / 2 },
    ],
    claims: [{ namespace: 'web', pod: 'web-new-a', claim: 'data', volume: 'pv-1', bytes: 100 * GIB }],
    egress: {
      prices: { internet: 0.12, region: 0.01, zone: 0.01 },
      flows: [
        { namespace: 'web', pod: 'web-new-a', kind: 'internet', bytesPerHour: GIB },
        { namespace: 'tools', pod: 'debug', kind: 'zone', bytesPerHour: 2 * GIB },
      ],
    },
    workloads: {
      podOwners: [
        { namespace: 'web', object: 'web-old-x', kind: 'ReplicaSet', name: 'web-old', toMs: DAY + 12 * HOUR_MS },
        { namespace: 'web', object: 'web-new-y', kind: 'ReplicaSet', name: 'web-new', fromMs: DAY + 12 * HOUR_MS },
        { namespace: 'web', object: 'web-new-a', kind: 'ReplicaSet', name: 'web-new' },
        { namespace: 'batch', object: 'report-1-z', kind: 'Job', name: 'report-1', fromMs: DAY + 6 * HOUR_MS, toMs: DAY + 8 * HOUR_MS },
        { namespace: 'kube-system', object: 'coredns-1', kind: 'ReplicaSet', name: 'coredns-5d' },
      ],
      replicaSetOwners: [
        { namespace: 'web', object: 'web-old', kind: 'Deployment', name: 'web' },
        { namespace: 'web', object: 'web-new', kind: 'Deployment', name: 'web' },
        { namespace: 'kube-system', object: 'coredns-5d', kind: 'Deployment', name: 'coredns' },
      ],
      jobOwners: [{ namespace: 'batch', object: 'report-1', kind: 'CronJob', name: 'report' }],
      labels: [
        { namespace: 'web', pod: 'web-new-a', labels: { team: 'checkout', 'app.kubernetes.io/name': 'web' } },
        { namespace: 'web', labels: { team: 'storefront' } },
      ],
    },
  };
}

// Worked out: each pod's cost, the web namespace's load balancer (0.025 × 24) spread by cost.
const old = cost(1, 2, 12);
const fresh = cost(1, 2, 12);
const a = { ...cost(0.5, 1, 24), pv: 100 * 0.0001 * 24 };
const report = cost(1, 4, 2);
const dns = cost(0.25, 0.5, 24);
const debug = cost(0.5, 1, 24);
const sumOf = (c: { cpu: number; ram: number; pv?: number }) => c.cpu + c.ram + (c.pv ?? 0);
const LB = 0.025 * 24;
// Egress priced by kind: the cluster's network cost, each pod's part of it.
const NET = { a: 24 * 0.12, debug: 24 * 2 * 0.01 };
const webPods = sumOf(old) + sumOf(fresh) + sumOf(a);
const ASSETS = { cpu: (4 + 2) * CPU * 24, ram: (16 + 8) * RAM * 24, pv: 150 * 0.0001 * 24, lb: LB, fee: 0.1 * 24, network: NET.a + NET.debug };
const TOTAL = ASSETS.cpu + ASSETS.ram + ASSETS.pv + ASSETS.lb + ASSETS.fee + ASSETS.network;
const IDLE = ASSETS.cpu + ASSETS.ram - [old, fresh, a, report, dns, debug].reduce((s, c) => s + c.cpu + c.ram, 0);

interface Row {
  name: string;
  efficiency: number | null;
  network: number | null;
  cpuCoreHoursRequested: number;
  cpuCoreHoursUsed: number;
  ramByteHoursRequested: number;
  ramByteHoursUsed: number;
  totalCost: number;
  cpu: number;
  ram: number;
  persistentVolumes: number;
  loadBalancers: number;
  shared: number;
  cluster: { id: string } | null;
  keys: Array<{ dimension: string; labelKey: string | null; value: string }>;
}
interface Allocation {
  rows: Row[];
  idleCost: number;
  totalCost: number;
  warnings: string[];
}

const ROW = 'rows { name network efficiency cpuCoreHoursRequested cpuCoreHoursUsed ramByteHoursRequested ramByteHoursUsed totalCost cpu ram persistentVolumes loadBalancers shared cluster { id } keys { dimension labelKey value } } idleCost totalCost warnings';
const rowsByName = (allocation: Allocation) => Object.fromEntries(allocation.rows.map((r) => [r.name, r.totalCost]));
const PRECISION = 6;

describe.each(databaseBackends())('allocation by namespace, controller, pod, node and label ($name)', (backend) => {
  let t: TestDatabase;
  let stack: TestStack;
  let token = '';
  let org = '';
  const ids = { shop: '', small: '' };

  const cluster = async (args: string, id = ids.shop) => {
    const answer = await callGateway<{ cloudAccount: { kubernetesCost: { totalCost: number; allocation: Allocation } } }>(
      stack.gateway.url,
      `query($id: ID!, $range: DateRangeInput!) { cloudAccount(id: $id) { kubernetesCost(range: $range) { totalCost allocation(${args}) { ${ROW} } } } }`,
      { id, range: RANGE },
      token,
    );
    expect(answer.errors).toBeUndefined();
    return answer.data!.cloudAccount.kubernetesCost;
  };

  beforeAll(async () => {
    t = await backend.create();
    stack = await startTestStack(t.db);
    org = (await createOrganization(t.db, 'Allocation')).id;
    token = (await createApiToken(t.db, org, 'test')).token;
    const connect = async (name: string) => {
      const created = await createKubernetesCluster(t.db, org, name, 'http://127.0.0.1/api/v1/write');
      return { id: created.cloudAccount.id, headers: { Authorization: basicAuth(created.username, created.password) } };
    };
    const shopCluster = await connect('shop');
    const small = await connect('small');
    Object.assign(ids, { shop: shopCluster.id, small: small.id });
    await writeClusters(stack.ingest.url, [
      { headers: shopCluster.headers, cluster: shop(shopCluster.id) },
      {
        headers: small.headers,
        cluster: {
          tenantId: small.id,
          startMs: DAY - 2 * HOUR_MS,
          endMs: DAY + DAY_MS + 2 * HOUR_MS,
          intervalSeconds: 60,
          nodes: [{ name: 's1', cpuPrice: CPU, ramPrice: RAM, cores: 2, memoryBytes: 4 * GIB }],
          containers: [container('api', 'api-0', 's1', 1, 1)],
          workloads: { podOwners: [{ namespace: 'api', object: 'api-0', kind: 'StatefulSet', name: 'api' }] },
        },
      },
    ]);
    await stack.store.settled();
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await t?.drop();
  });

  it('by namespace: each namespace, unmounted volumes, idle and the cluster row, summing to the cluster total', async () => {
    const { totalCost, allocation } = await cluster('by: [{ dimension: NAMESPACE }]');
    expect(totalCost).toBeCloseTo(TOTAL, PRECISION);
    const rows = rowsByName(allocation);
    expect(Object.keys(rows)).toEqual(['web', 'tools', 'kube-system', 'batch', '__unmounted__', '__idle__', '__cluster__']);
    expect(rows.web).toBeCloseTo(webPods + LB + NET.a, PRECISION);
    expect(rows.tools).toBeCloseTo(sumOf(debug) + NET.debug, PRECISION);
    expect(allocation.rows.find((r) => r.name === 'web')!.network).toBeCloseTo(NET.a, PRECISION);
    expect(rows['kube-system']).toBeCloseTo(sumOf(dns), PRECISION);
    expect(rows.batch).toBeCloseTo(sumOf(report), PRECISION);
    expect(rows.__unmounted__).toBeCloseTo(50 * 0.0001 * 24, PRECISION);
    expect(rows.__idle__).toBeCloseTo(IDLE, PRECISION);
    expect(rows.__cluster__).toBeCloseTo(ASSETS.fee, PRECISION);
    // Exactly the cluster's total (to 0.01%, and here to the cent and beyond).
    expect(Math.abs(allocation.totalCost - totalCost) / totalCost).toBeLessThan(1e-4);
    expect(allocation.idleCost).toBeCloseTo(IDLE, PRECISION);
    expect(allocation.rows.every((r) => r.cluster?.id === ids.shop)).toBe(true);
  });

  it('by controller: the Deployment across its two ReplicaSets, the CronJob through its Job, a bare pod', async () => {
    const rows = rowsByName((await cluster('by: [{ dimension: CONTROLLER }]')).allocation);
    expect(rows['web/deployment/web']).toBeCloseTo(webPods + LB + NET.a, PRECISION);
    expect(rows['batch/cronjob/report']).toBeCloseTo(sumOf(report), PRECISION);
    expect(rows['kube-system/deployment/coredns']).toBeCloseTo(sumOf(dns), PRECISION);
    expect(rows['tools/pod/debug']).toBeCloseTo(sumOf(debug) + NET.debug, PRECISION);
  });

  it('requested and used resources, and efficiency: used over requested, weighted by cost', async () => {
    const { allocation } = await cluster('by: [{ dimension: POD }], top: 10');
    const debugRow = allocation.rows.find((r) => r.name === 'tools/debug')!;
    expect(debugRow.cpuCoreHoursRequested).toBeCloseTo(0.5 * 24, PRECISION);
    // Usage is a counter's rate over 5 minutes: within half a step of the exact figure.
    expect(Math.abs(debugRow.cpuCoreHoursUsed / (0.25 * 24) - 1)).toBeLessThan(0.005);
    expect(debugRow.ramByteHoursRequested / GIB).toBeCloseTo(24, PRECISION);
    expect(debugRow.ramByteHoursUsed / GIB).toBeCloseTo(12, PRECISION);
    expect(Math.abs(debugRow.efficiency! / 0.5 - 1)).toBeLessThan(0.005);
    // Pods without request metrics have no efficiency, not a zero one.
    expect(allocation.rows.find((r) => r.name === 'web/web-new-a')!.efficiency).toBeNull();
  });

  it('by label: the pod\'s own, else its namespace\'s, else __unallocated__; by namespace × label', async () => {
    const rows = rowsByName((await cluster('by: [{ dimension: LABEL, labelKey: "team" }]')).allocation);
    expect(rows.checkout).toBeCloseTo(sumOf(a) + (LB * sumOf(a)) / webPods + NET.a, PRECISION);
    expect(rows.storefront).toBeCloseTo(sumOf(old) + sumOf(fresh) + (LB * (sumOf(old) + sumOf(fresh))) / webPods, PRECISION);
    expect(rows.__unallocated__).toBeCloseTo(sumOf(report) + sumOf(dns) + sumOf(debug) + NET.debug, PRECISION);
    const both = await cluster('by: [{ dimension: NAMESPACE }, { dimension: LABEL, labelKey: "app.kubernetes.io/name" }]');
    const named = rowsByName(both.allocation);
    expect(named['web / web']).toBeCloseTo(rows.checkout, PRECISION);
    expect(named['web / __unallocated__']).toBeCloseTo(rows.storefront, PRECISION);
    expect(both.allocation.rows[0].keys).toEqual([
      { dimension: 'NAMESPACE', labelKey: null, value: 'web' },
      { dimension: 'LABEL', labelKey: 'app.kubernetes.io/name', value: expect.any(String) },
    ]);
  });

  it('by node and by pod; idle shared by cost with kube-system shared; idle hidden', async () => {
    const nodes = rowsByName((await cluster('by: [{ dimension: NODE }]')).allocation);
    const lbShare = (c: { cpu: number; ram: number; pv?: number }) => (LB * sumOf(c)) / webPods;
    expect(nodes.n1).toBeCloseTo(sumOf(old) + sumOf(fresh) + lbShare(old) + lbShare(fresh) + sumOf(dns) + sumOf(debug) + NET.debug, PRECISION);
    expect(nodes.n2).toBeCloseTo(sumOf(a) + lbShare(a) + NET.a + sumOf(report), PRECISION);
    const pods = await cluster('by: [{ dimension: POD }], top: 2');
    expect(pods.allocation.rows.map((r) => r.name).slice(0, 3)).toEqual(['web/web-new-a', 'tools/debug', '__other__']);

    const shared = await cluster('by: [{ dimension: NAMESPACE }], idle: SHARE_BY_COST, sharedNamespaces: ["kube-system"]');
    const rows = rowsByName(shared.allocation);
    expect(Object.keys(rows).sort()).toEqual(['__unmounted__', 'batch', 'tools', 'web']);
    // Everything but the unmounted volume, spread in proportion to each namespace's own cost.
    const own = { web: webPods + LB + NET.a, tools: sumOf(debug) + NET.debug, batch: sumOf(report) };
    const base = own.web + own.tools + own.batch;
    const spreadTotal = TOTAL - 50 * 0.0001 * 24;
    expect(rows.web).toBeCloseTo((own.web * spreadTotal) / base, PRECISION);
    expect(rows.batch).toBeCloseTo((own.batch * spreadTotal) / base, PRECISION);
    expect(Math.abs(shared.allocation.totalCost - TOTAL) / TOTAL).toBeLessThan(1e-4);

    const hidden = await cluster('by: [{ dimension: NAMESPACE }], idle: HIDE');
    expect(hidden.allocation.rows.map((r) => r.name)).not.toContain('__idle__');
    expect(hidden.allocation.totalCost).toBeCloseTo(TOTAL - IDLE, PRECISION);
    expect(hidden.allocation.idleCost).toBeCloseTo(IDLE, PRECISION);
  });

  it('a range across midnight: each UTC day is asked on its own and the days add up', async () => {
    // DAY 12:00 to the next day's 12:00; the clusters stop sending two hours into the next day.
    const across = { from: new Date(DAY + 12 * HOUR_MS).toISOString(), to: new Date(DAY + 36 * HOUR_MS).toISOString() };
    const answer = await callGateway<{ cloudAccount: { kubernetesCost: { totalCost: number; allocation: Allocation } } }>(
      stack.gateway.url,
      `query($id: ID!, $range: DateRangeInput!) { cloudAccount(id: $id) { kubernetesCost(range: $range) { totalCost allocation(by: [{ dimension: NAMESPACE }]) { ${ROW} } } } }`,
      { id: ids.shop, range: across },
      token,
    );
    expect(answer.errors).toBeUndefined();
    const { totalCost, allocation } = answer.data!.cloudAccount.kubernetesCost;
    const rows = rowsByName(allocation);
    const hours = 14;
    expect(rows.tools).toBeCloseTo(sumOf(cost(0.5, 1, hours)) + (NET.debug * hours) / 24, 4);
    expect(rows['kube-system']).toBeCloseTo(sumOf(cost(0.25, 0.5, hours)), PRECISION);
    const webOwn = sumOf(cost(1, 2, hours)) + sumOf(cost(0.5, 1, hours)) + 100 * 0.0001 * hours;
    expect(rows.web - allocation.rows.find((r) => r.name === 'web')!.network!).toBeCloseTo(webOwn + 0.025 * hours, PRECISION);
    expect(rows.batch).toBeUndefined();
    expect(Math.abs(allocation.totalCost - totalCost) / totalCost).toBeLessThan(1e-4);
  });

  it('organization-wide: every cluster\'s rows, each naming its cluster, summing to the organization\'s Kubernetes total', async () => {
    const answer = await callGateway<{ organization: { kubernetesCosts: { totalCost: number; allocation: Allocation } } }>(
      stack.gateway.url,
      `query($org: ID!, $range: DateRangeInput!) { organization(id: $org) { kubernetesCosts(range: $range) { totalCost allocation(by: [{ dimension: CONTROLLER }], top: 3) { ${ROW} } } } }`,
      { org, range: RANGE },
      token,
    );
    expect(answer.errors).toBeUndefined();
    const { totalCost, allocation } = answer.data!.organization.kubernetesCosts;
    expect(Math.abs(allocation.totalCost - totalCost) / totalCost).toBeLessThan(1e-4);
    const api = allocation.rows.find((r) => r.name === 'api/statefulset/api')!;
    expect(api.cluster?.id).toBe(ids.small);
    expect(api.totalCost).toBeCloseTo(sumOf(cost(1, 1, 24)), PRECISION);
    const other = allocation.rows.find((r) => r.name === '__other__')!;
    expect(other.cluster).toBeNull();
    expect(allocation.rows.filter((r) => r.name === '__idle__').map((r) => r.cluster?.id).sort()).toEqual([ids.shop, ids.small].sort());
  });

  it('refuses bad arguments with BAD_USER_INPUT', async () => {
    for (const args of ['by: []', 'by: [{ dimension: LABEL }]', 'by: [{ dimension: LABEL, labelKey: "bad key!" }]', 'by: [{ dimension: POD }], top: 0', 'by: [{ dimension: NODE, labelKey: "team" }]']) {
      const answer = await callGateway(
        stack.gateway.url,
        `query($id: ID!, $range: DateRangeInput!) { cloudAccount(id: $id) { kubernetesCost(range: $range) { allocation(${args}) { totalCost } } } }`,
        { id: ids.shop, range: RANGE },
        token,
      );
      expect({ args, code: answer.errors?.[0].extensions?.code }).toEqual({ args, code: 'BAD_USER_INPUT' });
    }
  });
});
