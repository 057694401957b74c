import fs from 'node:fs';
import path from 'node:path';
import { createApiToken } from '../../lib/accounts/api-tokens';
import { createKubernetesCluster, setClusterBillingName } from '../../lib/accounts/kubernetes-clusters';
import { createOrganization } from '../../lib/accounts/repository';
import { importFocusFile } from '../../subgraphs/expenses/import/import-focus';
import type { CostBreakdown } from '../../subgraphs/kubecost/costs/cluster-costs';
import { databaseBackends, type TestDatabase } from '../helpers/databases';
import { basicAuth } from '../helpers/remote-write';
import { callGateway, startTestStack, type TestStack } from '../helpers/stack';
import { DAY_MS, GIB, HOUR_MS, writeClusters, type SyntheticCluster } from '../helpers/synthetic-cluster';

/*
 * Clusters reconciled with the cloud bill, through the gateway: an AWS cluster whose node,
 * volume, EKS fee and tagged load balancer appear in the organization's FOCUS bill (one node
 * only in another organization's bill), an AKS cluster whose two nodes share their scale set's
 * bill by hours, a cluster the bill does not know, and an organization without a bill. Every
 * expected figure is worked out here from the prices and the bill rows.
 */

const DAY = Math.floor(Date.now() / DAY_MS) * DAY_MS - 2 * DAY_MS;
const RANGE = { from: new Date(DAY).toISOString(), to: new Date(DAY + DAY_MS).toISOString() };
const SUB = '/subscriptions/9ec51cfd-5ca7-4d76-8101-dd0a4abc5674';
const VMSS = `${SUB}/resourceGroups/MC_rg_aks-west_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-pool-12345678-vmss`;

const node = (name: string, providerId: string, cores: number, gib: number, fromMs?: number) => ({
  name,
  providerId,
  cpuPrice: 0.03,
  ramPrice: 0.004,
  cores,
  memoryBytes: gib * GIB,
  ...(fromMs !== undefined ? { fromMs } : {}),
});
/** A node's estimate per hour at the prices above. */
const hourly = (cores: number, gib: number) => ({ cpu: 0.03 * cores, ram: 0.004 * gib });

function cluster(tenantId: string, spec: Partial<SyntheticCluster>): SyntheticCluster {
  return { tenantId, startMs: DAY - 2 * HOUR_MS, endMs: DAY + DAY_MS + 2 * HOUR_MS, intervalSeconds: 60, nodes: [], ...spec };
}

const FOCUS_HEADER = 'BilledCost,EffectiveCost,ListCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceCategory,ProviderName,SubAccountId,ServiceName,ResourceId,Tags';
function focusRow(billed: number, startMs: number, provider: string, account: string, service: string, resourceId: string, tags: Record<string, string> | null = null): string {
  const iso = (ms: number) => new Date(ms).toISOString();
  const tagText = tags ? `"${JSON.stringify(tags).replace(/"/g, '""')}"` : '';
  return [billed, billed, billed, 'USD', iso(startMs), iso(startMs + DAY_MS), 'Usage', 'Compute', provider, account, `"${service}"`, `"${resourceId}"`, tagText].join(',');
}

type Breakdown = CostBreakdown;
interface Answer {
  organization: {
    costSummary: { cloudCost: number; kubernetesCost: number; overlap: number; totalCost: number };
    kubernetesCosts: {
      clusters: Array<{
        cloudAccount: { id: string };
        totalCost: number;
        breakdown: Breakdown;
        billed: Breakdown;
        reconciliation: { billedCost: number; estimatedCost: number; matchedAssets: number; unmatchedAssets: number; coverage: number | null };
      }>;
    };
  };
}

const QUERY = `query($org: ID!, $range: DateRangeInput!) { organization(id: $org) {
  costSummary(range: $range) { cloudCost kubernetesCost overlap totalCost }
  kubernetesCosts(range: $range) { clusters { cloudAccount { id } totalCost
    breakdown { cpu ram gpu persistentVolumes network loadBalancers clusterManagement }
    billed: breakdown(basis: BILLED) { cpu ram gpu persistentVolumes network loadBalancers clusterManagement }
    reconciliation { billedCost estimatedCost matchedAssets unmatchedAssets coverage } } } } }`;

const EXPLAINED = `query($org: ID!, $range: DateRangeInput!) { organization(id: $org) { kubernetesCosts(range: $range) { clusters { cloudAccount { id }
  reconciliation { assets { kind name providerId resourceKey billRows coveredHours billedCost estimatedCost } } } } } }`;

const CENT = 2;

describe.each(databaseBackends())('Kubernetes costs reconciled with the cloud bill ($name)', (backend) => {
  let t: TestDatabase;
  let stack: TestStack;
  const org = { billed: '', other: '', unbilled: '' };
  const token = { billed: '', unbilled: '' };
  const ids = { aws: '', aks: '', gke: '', lonely: '' };

  beforeAll(async () => {
    t = await backend.create();
    stack = await startTestStack(t.db);
    org.billed = (await createOrganization(t.db, 'Billed')).id;
    org.other = (await createOrganization(t.db, 'Other')).id;
    org.unbilled = (await createOrganization(t.db, 'Unbilled')).id;
    token.billed = (await createApiToken(t.db, org.billed, 'test')).token;
    token.unbilled = (await createApiToken(t.db, org.unbilled, 'test')).token;

    const connect = async (organizationId: string, name: string) => {
      const created = await createKubernetesCluster(t.db, organizationId, name, 'http://127.0.0.1/api/v1/write');
      return { id: created.cloudAccount.id, headers: { Authorization: basicAuth(created.username, created.password) } };
    };
    const aws = await connect(org.billed, 'prod');
    const aks = await connect(org.billed, 'aks-west');
    const gke = await connect(org.billed, 'gke');
    const lonely = await connect(org.unbilled, 'lonely');
    Object.assign(ids, { aws: aws.id, aks: aks.id, gke: gke.id, lonely: lonely.id });
    await writeClusters(stack.ingest.url, [
      {
        headers: aws.headers,
        cluster: cluster(aws.id, {
          info: { provider: 'AWS', id: 'prod' },
          nodes: [node('a1', 'aws:///us-east-1a/i-0aaaaaaaaaaaaaaa1', 4, 16), node('a2', 'aws:///us-east-1a/i-0aaaaaaaaaaaaaaa2', 2, 8)],
          volumes: [{ name: 'pv-1', providerId: 'vol-0bbbbbbbbbbbbbbb1', price: 0.0001, capacityBytes: 100 * GIB }],
          loadBalancers: [{ namespace: 'web', service: 'lb', ip: '10.0.0.1', price: 0.025 }],
          managementFee: 0.1,
        }),
      },
      {
        headers: aks.headers,
        cluster: cluster(aks.id, {
          info: { provider: 'Azure', id: 'aks-west' },
          nodes: [node('b1', `azure://${VMSS}/virtualMachines/0`, 8, 32), node('b2', `azure://${VMSS}/virtualMachines/1`, 8, 32, DAY + 12 * HOUR_MS)],
        }),
      },
      // Its metrics do not name it as the bill does: the name is set on its account.
      // Its volume's provider id is the volume's name, as GKE reports it: its CSI handle names the disk.
      {
        headers: gke.headers,
        cluster: cluster(gke.id, {
          nodes: [node('g1', 'gce://project/us-central1-a/g1', 2, 8)],
          volumes: [{ name: 'pvc-g', providerId: 'pvc-g', csiHandle: 'projects/project/zones/us-central1-a/disks/pvc-g', price: 0.0001, capacityBytes: 100 * GIB }],
          managementFee: 0.1,
        }),
      },
      { headers: lonely.headers, cluster: cluster(lonely.id, { nodes: [node('l1', 'aws:///us-east-1a/i-0ccccccccccccccc1', 2, 8)], managementFee: 0.1 }) },
    ]);
    await stack.store.settled();
    await setClusterBillingName(t.db, gke.id, { provider: 'gcp', name: 'web' });

    const bill = path.join(stack.dir, 'bill.csv');
    fs.writeFileSync(
      bill,
      [
        FOCUS_HEADER,
        focusRow(3.5, DAY, 'AWS', '123456789012', 'Amazon Elastic Compute Cloud', 'i-0aaaaaaaaaaaaaaa1', { 'eks:cluster-name': 'prod' }),
        // The same machine the day before the range: not in this range's bill.
        focusRow(9.99, DAY - DAY_MS, 'AWS', '123456789012', 'Amazon Elastic Compute Cloud', 'i-0aaaaaaaaaaaaaaa1'),
        focusRow(0.2, DAY, 'AWS', '123456789012', 'Amazon Elastic Compute Cloud', 'arn:aws:ec2:us-east-1:123456789012:volume/vol-0bbbbbbbbbbbbbbb1'),
        focusRow(2.4, DAY, 'AWS', '123456789012', 'Amazon Elastic Kubernetes Service', 'arn:aws:eks:us-east-1:123456789012:cluster/prod'),
        focusRow(0.54, DAY, 'AWS', '123456789012', 'Elastic Load Balancing', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/a1b2/c3d4', { 'kubernetes.io/cluster/prod': 'owned' }),
        focusRow(3, DAY, 'AWS', '123456789012', 'Amazon Simple Storage Service', 'arn:aws:s3:::backups'),
        focusRow(7.2, DAY, 'Microsoft', SUB, 'Virtual Machine Scale Sets', VMSS.toUpperCase()),
        focusRow(1.8, DAY, 'Google Cloud', 'project', 'Kubernetes Engine', '//container.googleapis.com/projects/project/locations/us-central1/clusters/web'),
        focusRow(0.3, DAY, 'Google Cloud', 'project', 'Compute Engine', '//compute.googleapis.com/projects/project/zones/us-central1-a/disks/pvc-g'),
      ].join('\n'),
    );
    await importFocusFile(t.db, org.billed, bill);
    // Another organization's bill charges node a2's machine and the unbilled organization's node: it matches neither.
    const foreign = path.join(stack.dir, 'foreign.csv');
    fs.writeFileSync(
      foreign,
      [FOCUS_HEADER, focusRow(1.5, DAY, 'AWS', '210987654321', 'Amazon Elastic Compute Cloud', 'i-0aaaaaaaaaaaaaaa2'), focusRow(1.5, DAY, 'AWS', '210987654321', 'Amazon Elastic Compute Cloud', 'i-0ccccccccccccccc1')].join('\n'),
    );
    await importFocusFile(t.db, org.other, foreign);
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await t?.drop();
  });

  it('subtracts what the bill covers once: overlap, totals, per-cluster billed against estimated', async () => {
    const res = await callGateway<Answer>(stack.gateway.url, QUERY, { org: org.billed, range: RANGE }, token.billed);
    expect(res.errors).toBeUndefined();
    const { costSummary, kubernetesCosts } = res.data!.organization;
    const byId = new Map(kubernetesCosts.clusters.map((c) => [c.cloudAccount.id, c]));

    const a1 = hourly(4, 16);
    const b = hourly(8, 32);
    const aws = { billed: 3.5 + 0.2 + 2.4 + 0.54, estimated: (a1.cpu + a1.ram) * 24 + 0.01 * 24 + 0.1 * 24 + 0.025 * 24 };
    const aks = { billed: 7.2, estimated: (b.cpu + b.ram) * (24 + 12) };
    expect(byId.get(ids.aws)!.reconciliation).toMatchObject({ matchedAssets: 2, unmatchedAssets: 1 });
    expect(byId.get(ids.aws)!.reconciliation.billedCost).toBeCloseTo(aws.billed, CENT);
    expect(byId.get(ids.aws)!.reconciliation.estimatedCost).toBeCloseTo(aws.estimated, CENT);
    expect(byId.get(ids.aks)!.reconciliation).toMatchObject({ matchedAssets: 2, unmatchedAssets: 0 });
    expect(byId.get(ids.aks)!.reconciliation.billedCost).toBeCloseTo(aks.billed, CENT);
    expect(byId.get(ids.aks)!.reconciliation.estimatedCost).toBeCloseTo(aks.estimated, CENT);
    // The GKE cluster's node is not on the bill; its disk is (by its CSI handle), and its fee,
    // under the name set on its account.
    const gke = byId.get(ids.gke)!.reconciliation;
    expect(gke).toMatchObject({ matchedAssets: 1, unmatchedAssets: 1 });
    expect(gke.billedCost).toBeCloseTo(1.8 + 0.3, CENT);
    expect(gke.estimatedCost).toBeCloseTo(2.4 + 0.24, CENT);
    // The AKS cluster's nodes are all billed: it is wholly covered.
    expect(byId.get(ids.aks)!.reconciliation.coverage).toBeCloseTo(1, 6);
    expect(byId.get(ids.aws)!.reconciliation.coverage).toBeCloseTo(aws.estimated / byId.get(ids.aws)!.totalCost, 6);

    const cloud = 3.5 + 0.2 + 2.4 + 0.54 + 3 + 7.2 + 1.8 + 0.3;
    const overlap = aws.estimated + aks.estimated + 2.4 + 0.24;
    expect(costSummary.cloudCost).toBeCloseTo(cloud, CENT);
    expect(costSummary.overlap).toBeCloseTo(overlap, CENT);
    expect(costSummary.kubernetesCost).toBeCloseTo(kubernetesCosts.clusters.reduce((sum, c) => sum + c.totalCost, 0), 6);
    expect(costSummary.totalCost).toBeCloseTo(cloud + costSummary.kubernetesCost - overlap, CENT);
  });

  it('explains each match: the asset, the resource the bill charges, its rows and hours', async () => {
    const res = await callGateway<{ organization: { kubernetesCosts: { clusters: Array<{ cloudAccount: { id: string }; reconciliation: { assets: Array<Record<string, unknown>> } }> } } }>(
      stack.gateway.url,
      EXPLAINED,
      { org: org.billed, range: RANGE },
      token.billed,
    );
    expect(res.errors).toBeUndefined();
    const byId = new Map(res.data!.organization.kubernetesCosts.clusters.map((c) => [c.cloudAccount.id, c.reconciliation.assets]));
    const a1 = hourly(4, 16);
    expect(byId.get(ids.aws)).toEqual([
      { kind: 'NODE', name: 'a1', providerId: 'aws:///us-east-1a/i-0aaaaaaaaaaaaaaa1', resourceKey: 'aws:instance:i-0aaaaaaaaaaaaaaa1', billRows: 1, coveredHours: 24, billedCost: 3.5, estimatedCost: expect.closeTo((a1.cpu + a1.ram) * 24, 6) },
      { kind: 'VOLUME', name: 'pv-1', providerId: 'vol-0bbbbbbbbbbbbbbb1', resourceKey: 'aws:volume:vol-0bbbbbbbbbbbbbbb1', billRows: 1, coveredHours: 24, billedCost: 0.2, estimatedCost: expect.closeTo(0.24, 6) },
    ]);
    // The scale set's one row, shared by hours: b1 ran 24 of the 36 node-hours.
    const aks = byId.get(ids.aks)!;
    expect(aks.map((a) => [a.name, a.coveredHours, a.billRows])).toEqual([['b1', 24, 1], ['b2', 12, 1]]);
    expect(aks[0].billedCost).toBeCloseTo(4.8, 9);
    expect(aks[1].billedCost).toBeCloseTo(2.4, 9);
    expect(new Set(aks.map((a) => a.resourceKey)).size).toBe(1);
  });

  it('BILLED breakdown: a node billed as its estimate splits, volumes, fee and load balancers as billed, a scale set shared by hours', async () => {
    const res = await callGateway<Answer>(stack.gateway.url, QUERY, { org: org.billed, range: RANGE }, token.billed);
    const byId = new Map(res.data!.organization.kubernetesCosts.clusters.map((c) => [c.cloudAccount.id, c]));
    const awsCluster = byId.get(ids.aws)!;
    const a1 = hourly(4, 16);
    const a1Cost = (a1.cpu + a1.ram) * 24;
    expect(awsCluster.billed.cpu).toBeCloseTo(awsCluster.breakdown.cpu - a1.cpu * 24 + (3.5 * a1.cpu) / (a1.cpu + a1.ram), CENT);
    expect(awsCluster.billed.ram).toBeCloseTo(awsCluster.breakdown.ram - a1.ram * 24 + (3.5 * a1.ram) / (a1.cpu + a1.ram), CENT);
    expect(awsCluster.billed.persistentVolumes).toBeCloseTo(0.2, CENT);
    expect(awsCluster.billed.clusterManagement).toBeCloseTo(2.4, CENT);
    expect(awsCluster.billed.loadBalancers).toBeCloseTo(0.54, CENT);
    const billedTotal = Object.values(awsCluster.billed).reduce<number>((sum, v) => sum + (v ?? 0), 0);
    expect(billedTotal).toBeCloseTo(awsCluster.totalCost - awsCluster.reconciliation.estimatedCost + awsCluster.reconciliation.billedCost, 6);
    expect(a1Cost).toBeGreaterThan(3.5);

    // b1 ran 24 hours, b2 12: the set's 7.20 splits 4.80 / 2.40, each as cpu 0.24 : ram 0.128.
    const aks = byId.get(ids.aks)!;
    const b = hourly(8, 32);
    expect(aks.billed.cpu).toBeCloseTo((7.2 * b.cpu) / (b.cpu + b.ram), CENT);
    expect(aks.billed.ram).toBeCloseTo((7.2 * b.ram) / (b.cpu + b.ram), CENT);
    const gke = byId.get(ids.gke)!;
    expect(gke.billed).toEqual({ ...gke.breakdown, clusterManagement: expect.closeTo(1.8, CENT), persistentVolumes: expect.closeTo(0.3, CENT) });
  });

  it("the bill's rows name their cluster: Expense.kubernetesCluster and the KUBERNETES_CLUSTER breakdown", async () => {
    // The clusters' names were learned when their costs were first reconciled (the tests above).
    const res = await callGateway<{ organization: { expenses: { breakdown: Array<{ key: string; cost: number; count: number }>; items: { nodes: Array<{ resourceId: string | null; kubernetesCluster: { id: string; name: string } | null }> } } } }>(
      stack.gateway.url,
      `query($org: ID!, $range: DateRangeInput!) { organization(id: $org) { expenses(range: $range) {
        breakdown(by: KUBERNETES_CLUSTER) { key cost count } items(first: 50) { nodes { resourceId kubernetesCluster { id name } } } } } }`,
      { org: org.billed, range: RANGE },
      token.billed,
    );
    expect(res.errors).toBeUndefined();
    const { breakdown, items } = res.data!.organization.expenses;
    const byKey = new Map(breakdown.map((g) => [g.key, g]));
    expect(byKey.get(ids.aws)).toMatchObject({ count: 4 });
    expect(byKey.get(ids.aws)!.cost).toBeCloseTo(3.5 + 0.2 + 2.4 + 0.54, 9);
    expect(byKey.get(ids.aks)).toMatchObject({ count: 1 });
    expect(byKey.get(ids.aks)!.cost).toBeCloseTo(7.2, 9);
    expect(byKey.get('')).toMatchObject({ count: 1 });
    expect(byKey.get('')!.cost).toBeCloseTo(3, 9);
    expect(byKey.get(ids.gke)).toMatchObject({ count: 2 });
    expect(byKey.get(ids.gke)!.cost).toBeCloseTo(1.8 + 0.3, 9);
    expect(breakdown.length).toBe(4);
    const clusterOf = new Map(items.nodes.map((n) => [n.resourceId, n.kubernetesCluster]));
    expect(clusterOf.get('arn:aws:eks:us-east-1:123456789012:cluster/prod')).toEqual({ id: ids.aws, name: 'prod' });
    expect(clusterOf.get(VMSS.toUpperCase())).toEqual({ id: ids.aks, name: 'aks-west' });
    expect(clusterOf.get('arn:aws:s3:::backups')).toBeNull();
  });

  it('a bill imported later counts in the next answer: matches kept in memory follow the bill', async () => {
    const ask = async () => (await callGateway<Answer>(stack.gateway.url, QUERY, { org: org.billed, range: RANGE }, token.billed)).data!.organization;
    const before = await ask();
    const late = path.join(stack.dir, 'late-bill.csv');
    fs.writeFileSync(late, [FOCUS_HEADER, focusRow(1.1, DAY, 'AWS', '123456789012', 'Amazon Elastic Compute Cloud', 'i-0aaaaaaaaaaaaaaa2')].join('\n'));
    await importFocusFile(t.db, org.billed, late);
    const after = await ask();
    const a2 = hourly(2, 8);
    expect(after.costSummary.cloudCost - before.costSummary.cloudCost).toBeCloseTo(1.1, 9);
    expect(after.costSummary.overlap - before.costSummary.overlap).toBeCloseTo((a2.cpu + a2.ram) * 24, 6);
    const aws = after.kubernetesCosts.clusters.find((c) => c.cloudAccount.id === ids.aws)!;
    expect(aws.reconciliation).toMatchObject({ matchedAssets: 3, unmatchedAssets: 0 });
  });

  it('without a bill: overlap 0 and the total is cloud plus Kubernetes, whatever other organizations were billed for', async () => {
    const res = await callGateway<Answer>(stack.gateway.url, QUERY, { org: org.unbilled, range: RANGE }, token.unbilled);
    expect(res.errors).toBeUndefined();
    const { costSummary, kubernetesCosts } = res.data!.organization;
    expect(costSummary.overlap).toBe(0);
    expect(costSummary.cloudCost).toBe(0);
    expect(costSummary.kubernetesCost).toBeGreaterThan(0);
    expect(costSummary.totalCost).toBeCloseTo(costSummary.kubernetesCost, 9);
    expect(kubernetesCosts.clusters[0].reconciliation).toMatchObject({ billedCost: 0, estimatedCost: 0, matchedAssets: 0, unmatchedAssets: 1 });
  });
});
