import { createApiToken } from '../../lib/accounts/api-tokens';
import { runDemo } from '../../cli/demo/run-demo';
import { createPgliteDatabase, type TestDatabase } from '../helpers/databases';
import { FOCUS_ROWS, sumColumn, unitsToNumber } from '../helpers/focus-fixture';
import { callGateway, startTestStack, type TestStack } from '../helpers/stack';

const QUERY = `query($org: ID!, $range: DateRangeInput!) {
  organization(id: $org) {
    costSummary(range: $range) { cloudCost kubernetesCost overlap totalCost }
    expenses(range: $range) { totalCost count }
    kubernetesCosts(range: $range) {
      totalCost
      clusters { cloudAccount { id name } totalCost hasData
        reconciliation { billedCost estimatedCost matchedAssets unmatchedAssets coverage }
        breakdown { cpu ram gpu persistentVolumes network loadBalancers clusterManagement }
        namespaces { namespace totalCost }
        savings { kind target monthlySavings } }
    }
  }
}`;

interface Result {
  organization: {
    costSummary: { cloudCost: number; kubernetesCost: number; overlap: number; totalCost: number };
    expenses: { totalCost: number; count: number };
    kubernetesCosts: {
      totalCost: number;
      clusters: Array<{
        cloudAccount: { id: string; name: string };
        totalCost: number;
        hasData: boolean;
        reconciliation: { billedCost: number; estimatedCost: number; matchedAssets: number; unmatchedAssets: number; coverage: number | null };
        breakdown: Record<string, number | null>;
        namespaces: Array<{ namespace: string; totalCost: number }>;
        savings: Array<{ kind: string; target: string; monthlySavings: number }>;
      }>;
    };
  };
}

/** The store's own metrics, one `name value` line each. */
async function storeMetrics(storeUrl: string): Promise<string[]> {
  return (await (await fetch(`${storeUrl}/metrics`)).text()).split('\n');
}

async function storeCounter(storeUrl: string, name: string): Promise<number> {
  const line = (await storeMetrics(storeUrl)).find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`the store reports no ${name}`);
  return Number(line.slice(name.length + 1));
}

/** Waits until the store has stopped compacting what was just written (its counters hold still for 5 s). */
async function storeSettled(storeUrl: string): Promise<void> {
  const counters = async () =>
    (await storeMetrics(storeUrl)).filter((line) => /^prometheus_tsdb_(compactions_total|compactions_failed_total|out_of_order_samples_total|head_chunks) /.test(line)).join('\n');
  let last = await counters();
  for (let still = 0, waited = 0; still < 5 && waited < 90; waited++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = await counters();
    still = now === last ? still + 1 : 0;
    last = now;
  }
}

describe('costgraph demo', () => {
  let t: TestDatabase;
  let stack: TestStack;

  beforeAll(async () => {
    t = await createPgliteDatabase();
    // No result cache: the check that a rerun leaves the history as it was reads the store.
    stack = await startTestStack(t.db, { KUBECOST_CACHE_BYTES: '0' });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await t?.drop();
  });

  it('fills the stack through the real paths so the headline shows non-trivial numbers, and is repeatable later', async () => {
    const firstNow = Date.now();
    const demo = (now: number) => runDemo({ db: t.db, ingestUrl: stack.ingest.url, publicIngestUrl: `${stack.ingest.url}/api/v1/write`, now });
    const result = await demo(firstNow);
    // Written side by side, no cluster fell behind the others into the store's out-of-order path.
    expect(await storeCounter(stack.store.url, 'prometheus_tsdb_head_out_of_order_samples_appended_total')).toBe(0);
    expect(result.clusters.map((c) => c.name)).toEqual(['prod-eu-west-1', 'staging-us-east-1', 'dev-sandbox']);
    expect(result.expenses.inserted).toBe(FOCUS_ROWS.length);
    expect(result.clustersBill.inserted).toBeGreaterThan(0);
    const token = (await createApiToken(t.db, result.organizationId)).token;
    const res = await callGateway<Result>(stack.gateway.url, QUERY, { org: result.organizationId, range: result.range }, token);
    expect(res.errors).toBeUndefined();
    const o = res.data!.organization;
    // The demo imports the whole fixture into the range (its BilledCost sum, computed from the
    // file), and the clusters' own bill.
    expect(o.expenses.count).toBe(FOCUS_ROWS.length + result.clustersBill.inserted);
    expect(o.expenses.totalCost).toBeCloseTo(unitsToNumber(sumColumn(FOCUS_ROWS, 'BilledCost')) + Number(result.clustersBill.totalsByProvider.AWS), 6);
    const byName = new Map(o.kubernetesCosts.clusters.map((c) => [c.cloudAccount.name, c]));
    const prod = byName.get('prod-eu-west-1')!;
    const staging = byName.get('staging-us-east-1')!;
    const dev = byName.get('dev-sandbox')!;
    for (const c of [prod, staging, dev]) expect(c.hasData).toBe(true);
    // Sizes differ, and every category the demo describes is there.
    expect(prod.totalCost).toBeGreaterThan(staging.totalCost);
    expect(staging.totalCost).toBeGreaterThan(dev.totalCost);
    expect(prod.breakdown.gpu).toBeGreaterThan(0);
    expect(prod.breakdown.network).toBeGreaterThan(0);
    expect(prod.breakdown.loadBalancers).toBeGreaterThan(0);
    expect(prod.breakdown.persistentVolumes).toBeGreaterThan(0);
    expect(prod.breakdown.clusterManagement).toBeCloseTo(0.1 * 24 * 14, 1);
    expect(dev.breakdown.network).toBeNull();
    expect(prod.namespaces.map((n) => n.namespace)).toEqual(expect.arrayContaining(['web', 'api', 'payments', 'data', 'ml', '__idle__']));
    expect(dev.savings.map((s) => s.kind)).toContain('UNCLAIMED_VOLUME');
    // The clusters' bill covers the production cluster's nodes, disks, load balancers and fee,
    // and staging's fee, for the first run's whole days: counted once in the total.
    expect(prod.reconciliation).toMatchObject({ matchedAssets: 9, unmatchedAssets: 0 });
    expect(prod.reconciliation.coverage).toBeGreaterThan(0.5);
    // Under a savings plan, the nodes cost less than the on-demand estimate.
    expect(prod.reconciliation.billedCost).toBeLessThan(prod.reconciliation.estimatedCost);
    expect(staging.reconciliation).toMatchObject({ matchedAssets: 0, unmatchedAssets: 4 });
    expect(staging.reconciliation.estimatedCost).toBeCloseTo(staging.reconciliation.billedCost, 6);
    expect(dev.reconciliation).toMatchObject({ billedCost: 0, estimatedCost: 0, matchedAssets: 0 });
    const overlap = o.kubernetesCosts.clusters.reduce((sum, c) => sum + c.reconciliation.estimatedCost, 0);
    expect(o.costSummary.overlap).toBeCloseTo(overlap, 6);
    expect(o.costSummary.totalCost).toBeCloseTo(o.expenses.totalCost + o.kubernetesCosts.totalCost - overlap, 6);
    // Float sums leave noise such as 425.24025600000004; no answer carries it.
    const numbers: number[] = [];
    JSON.stringify(res.data, (_, x: unknown) => (typeof x === 'number' && numbers.push(x), x));
    expect(numbers.length).toBeGreaterThan(50);
    expect(numbers.filter((n) => Number(n.toPrecision(15)) !== n)).toEqual([]);

    // The seed's REST endpoints give the demo organization the same money, to the cent.
    const seconds = (iso: string) => Date.parse(iso) / 1000;
    const dates = `start_date=${seconds(result.range.from)}&end_date=${seconds(result.range.to) - 1}`;
    const rest = async <T>(pathAndQuery: string) => {
      const response = await fetch(`${new URL(stack.gateway.url).origin}${pathAndQuery}`, { headers: { Authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      return (await response.json()) as T;
    };
    const clean = await rest<{ total_cost: number; total_count: number; k8s_costs: { k8s_total_cost: number; k8s_cost_breakdown: Array<{ cloud_account_name: string; cost: number }> } }>(
      `/restapi/v2/organizations/${result.organizationId}/clean_expenses?${dates}&limit=5`,
    );
    const cents = (n: number) => Math.round(n * 100);
    expect(cents(clean.total_cost)).toBe(cents(o.costSummary.totalCost));
    expect(clean.total_count).toBe(o.expenses.count);
    expect(cents(clean.k8s_costs.k8s_total_cost)).toBe(cents(o.kubernetesCosts.totalCost));
    expect(clean.k8s_costs.k8s_cost_breakdown.map((c) => [c.cloud_account_name, cents(c.cost)])).toEqual(o.kubernetesCosts.clusters.map((c) => [c.cloudAccount.name, cents(c.totalCost)]));
    const prodRest = await rest<{ total_cost: number; breakdown: { gpu_cost: number; network_cost: number } }>(`/metroculus/v2/kubecost_cluster_costs?cloud_account_id=${prod.cloudAccount.id}&${dates}`);
    expect([cents(prodRest.total_cost), cents(prodRest.breakdown.gpu_cost), cents(prodRest.breakdown.network_cost)]).toEqual([cents(prod.totalCost), cents(prod.breakdown.gpu!), cents(prod.breakdown.network!)]);

    // The history both runs wrote (a day ending at the first run's last scrape) reads the same
    // afterwards: values at a shared timestamp agree, so the store neither refuses nor changes them.
    const lastScrape = Math.floor(firstNow / 300_000) * 300_000;
    const shared = { from: new Date(lastScrape - 86_400_000).toISOString(), to: new Date(lastScrape).toISOString() };
    const before = await callGateway<Result>(stack.gateway.url, QUERY, { org: result.organizationId, range: shared }, token);
    expect(before.errors).toBeUndefined();
    expect(before.data!.organization.kubernetesCosts.totalCost).toBeGreaterThan(0);

    // Again, a day later (it then ends 288 scrapes later, and a UTC midnight has passed; the
    // store drops its samples that lie ahead of the real clock): same clusters (new
    // credentials), no expense imported twice, the shared history unchanged.
    const again = await demo(firstNow + 86_400_000);
    expect(again.clusters.map((c) => c.id)).toEqual(result.clusters.map((c) => c.id));
    expect(again.expenses.inserted).toBe(0);
    expect(again.clustersBill.inserted).toBe(0);
    await storeSettled(stack.store.url);
    const after = await callGateway<Result>(stack.gateway.url, QUERY, { org: result.organizationId, range: shared }, token);
    expect(after.errors).toBeUndefined();
    // To a millionth of a dollar: the store may sum the same samples in another order.
    const rounded = (value: unknown) => JSON.parse(JSON.stringify(value, (_, x: unknown) => (typeof x === 'number' ? Math.round(x * 1e6) / 1e6 : x)));
    expect(rounded(after.data!.organization.kubernetesCosts)).toEqual(rounded(before.data!.organization.kubernetesCosts));
  }, 240_000);
});
