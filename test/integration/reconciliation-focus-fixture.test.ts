import fs from 'node:fs';
import path from 'node:path';
import { daysBetween, shiftFocusDates } from '../../cli/demo/focus-dates';
import { createApiToken } from '../../lib/accounts/api-tokens';
import { createKubernetesCluster } from '../../lib/accounts/kubernetes-clusters';
import { createOrganization } from '../../lib/accounts/repository';
import { importFocusFile } from '../../subgraphs/expenses/import/import-focus';
import { databaseBackends, type TestDatabase } from '../helpers/databases';
import { FOCUS_CSV_TEXT } from '../helpers/focus-fixture';
import { basicAuth } from '../helpers/remote-write';
import { callGateway, startTestStack, type TestStack } from '../helpers/stack';
import { DAY_MS, GIB, HOUR_MS, writeClusters } from '../helpers/synthetic-cluster';

/*
 * The real FOCUS fixture (nobody here wrote it) against two clusters whose nodes are resources
 * it bills: an EC2 instance billed for one hour, and an AKS node pool's scale set billed for a
 * day, whose managed cluster's own row covers another day. The fixture's month is moved so that
 * its first day is 25 days ago.
 */

const FIXTURE_START = new Date('2024-09-01T00:00:00Z');
const DAY0 = Math.floor(Date.now() / DAY_MS) * DAY_MS - 25 * DAY_MS;
const SHIFT = daysBetween(FIXTURE_START, new Date(DAY0));
const RANGE = { from: new Date(DAY0).toISOString(), to: new Date(DAY0 + 20 * DAY_MS).toISOString() };
const VMSS =
  'azure:///subscriptions/9ec51cfd-5ca7-4d76-8101-dd0a4abc5674/resourceGroups/mc_analyticsengine_analyticsengine_eastus/providers/Microsoft.Compute/virtualMachineScaleSets/aks-secretagent-37798712-vmss/virtualMachines/0';

const node = (name: string, providerId: string, cores: number, gib: number) => ({ name, providerId, cpuPrice: 0.03, ramPrice: 0.004, cores, memoryBytes: gib * GIB });
const span = { startMs: DAY0 - HOUR_MS, endMs: DAY0 + 20 * DAY_MS + HOUR_MS, intervalSeconds: 300 };

interface Answer {
  organization: {
    costSummary: { cloudCost: number; kubernetesCost: number; overlap: number; totalCost: number };
    kubernetesCosts: { clusters: Array<{ cloudAccount: { id: string }; reconciliation: { billedCost: number; estimatedCost: number; matchedAssets: number; unmatchedAssets: number } }> };
  };
}

describe.each(databaseBackends())('the FOCUS fixture reconciled with clusters running its resources ($name)', (backend) => {
  let t: TestDatabase;
  let stack: TestStack;
  let org: string;
  let token: string;
  const ids = { ec2: '', aks: '' };

  beforeAll(async () => {
    t = await backend.create();
    stack = await startTestStack(t.db);
    org = (await createOrganization(t.db, 'Fixture')).id;
    token = (await createApiToken(t.db, org, 'test')).token;
    const ec2 = await createKubernetesCluster(t.db, org, 'ec2', 'http://127.0.0.1/api/v1/write');
    const aks = await createKubernetesCluster(t.db, org, 'aks', 'http://127.0.0.1/api/v1/write');
    Object.assign(ids, { ec2: ec2.cloudAccount.id, aks: aks.cloudAccount.id });
    await writeClusters(stack.ingest.url, [
      { headers: { Authorization: basicAuth(ec2.username, ec2.password) }, cluster: { ...span, tenantId: ec2.cloudAccount.id, info: { provider: 'AWS', id: 'ec2' }, nodes: [node('n1', 'aws:///us-west-2a/i-000b1b7e33be5a86e', 4, 16)] } },
      // Kubecost's cluster id spelled as the AKS resource is named, in another case than the bill's.
      { headers: { Authorization: basicAuth(aks.username, aks.password) }, cluster: { ...span, tenantId: aks.cloudAccount.id, info: { provider: 'Azure', id: 'AnalyticsEngine' }, nodes: [node('aks-0', VMSS, 8, 32)], managementFee: 0.1 } },
    ]);
    await stack.store.settled();
    const file = path.join(stack.dir, 'fixture.csv');
    fs.writeFileSync(file, shiftFocusDates(FOCUS_CSV_TEXT, SHIFT));
    await importFocusFile(t.db, org, file);
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await t?.drop();
  });

  it('matches the instance-hour, the scale set-day and the managed cluster-day, and counts them once', async () => {
    const res = await callGateway<Answer>(
      stack.gateway.url,
      `query($org: ID!, $range: DateRangeInput!) { organization(id: $org) { costSummary(range: $range) { cloudCost kubernetesCost overlap totalCost }
        kubernetesCosts(range: $range) { clusters { cloudAccount { id } reconciliation { billedCost estimatedCost matchedAssets unmatchedAssets } } } } }`,
      { org, range: RANGE },
      token,
    );
    expect(res.errors).toBeUndefined();
    const { costSummary, kubernetesCosts } = res.data!.organization;
    const byId = new Map(kubernetesCosts.clusters.map((c) => [c.cloudAccount.id, c.reconciliation]));
    // The fixture's rows (2024-09-16 19:00, one hour, 0.19152; 2024-09-01, a day, 0.0000003702;
    // the managed cluster on 2024-09-19, a day, 1.58088), against the estimates of those hours.
    const ec2 = { billed: 0.19152, estimated: (4 * 0.03 + 16 * 0.004) * 1 };
    const aks = { billed: 0.0000003702 + 1.58088, estimated: (8 * 0.03 + 32 * 0.004) * 24 + 0.1 * 24 };
    expect(byId.get(ids.ec2)).toMatchObject({ matchedAssets: 1, unmatchedAssets: 0 });
    expect(byId.get(ids.ec2)!.billedCost).toBeCloseTo(ec2.billed, 6);
    expect(byId.get(ids.ec2)!.estimatedCost).toBeCloseTo(ec2.estimated, 6);
    expect(byId.get(ids.aks)).toMatchObject({ matchedAssets: 1, unmatchedAssets: 0 });
    expect(byId.get(ids.aks)!.billedCost).toBeCloseTo(aks.billed, 6);
    expect(byId.get(ids.aks)!.estimatedCost).toBeCloseTo(aks.estimated, 6);
    expect(costSummary.overlap).toBeCloseTo(ec2.estimated + aks.estimated, 6);
    expect(costSummary.totalCost).toBeCloseTo(costSummary.cloudCost + costSummary.kubernetesCost - costSummary.overlap, 6);
  });
});
