import fs from 'node:fs';
import path from 'node:path';
import { daysBetween, shiftFocusDates } from '../../cli/demo/focus-dates';
import { createApiToken } from '../../lib/accounts/api-tokens';
import { createKubernetesCluster } from '../../lib/accounts/kubernetes-clusters';
import { createOrganization } from '../../lib/accounts/repository';
import { importFocusFile } from '../../subgraphs/expenses/import/import-focus';
import { createPgliteDatabase, type TestDatabase } from '../helpers/databases';
import { FOCUS_CSV_TEXT } from '../helpers/focus-fixture';
import { OpenApiContract } from '../helpers/openapi-contract';
import { basicAuth } from '../helpers/remote-write';
import { callGateway, startTestStack, type TestStack } from '../helpers/stack';
import { DAY_MS, GIB, HOUR_MS, writeClusters } from '../helpers/synthetic-cluster';

/*
 * The seed's REST endpoints through the real gateway: the same numbers as the GraphQL API for
 * the same range, OptScale's error shape for every refusal, and a Kubernetes part that fails
 * answered with the expenses and an explicit warning. Every answer is checked against the
 * committed OpenAPI document (schema/openapi.yaml).
 */

const DAY0 = Math.floor(Date.now() / DAY_MS) * DAY_MS - 20 * DAY_MS;
const START = DAY0 / 1000;
// end_date is included: the range is [start, end + 1 s), 10 days.
const END = (DAY0 + 10 * DAY_MS) / 1000 - 1;
const RANGE = { from: new Date(DAY0).toISOString(), to: new Date(DAY0 + 10 * DAY_MS).toISOString() };

interface Rest {
  status: number;
  body: Record<string, unknown> & { error?: { status_code: number; error_code: string; reason: string; params: string[] } };
}

describe('REST endpoints of the seed, through the gateway', () => {
  let t: TestDatabase;
  let stack: TestStack;
  let org: string;
  let other: string;
  let token: string;
  let cluster: string;
  let foreignCluster: string;

  const contract = new OpenApiContract();
  const get = async (pathAndQuery: string, auth: string | null = token, method = 'GET'): Promise<Rest> => {
    const response = await fetch(`${stack.gateway.url.replace(/\/graphql$/, '')}${pathAndQuery}`, { method, headers: auth ? { Authorization: `Bearer ${auth}` } : {} });
    const answer = { status: response.status, body: (await response.json()) as Rest['body'] };
    contract.check(method, new URL(pathAndQuery, 'http://x').pathname, answer.status, answer.body);
    return answer;
  };
  const dates = `start_date=${START}&end_date=${END}`;

  beforeAll(async () => {
    t = await createPgliteDatabase();
    stack = await startTestStack(t.db);
    org = (await createOrganization(t.db, 'REST')).id;
    other = (await createOrganization(t.db, 'Other')).id;
    token = (await createApiToken(t.db, org, 'test')).token;
    const mine = await createKubernetesCluster(t.db, org, 'prod', 'http://127.0.0.1/api/v1/write');
    const theirs = await createKubernetesCluster(t.db, other, 'theirs', 'http://127.0.0.1/api/v1/write');
    cluster = mine.cloudAccount.id;
    foreignCluster = theirs.cloudAccount.id;
    const spec = (tenantId: string) => ({
      tenantId,
      startMs: DAY0 - HOUR_MS,
      endMs: DAY0 + 10 * DAY_MS + HOUR_MS,
      intervalSeconds: 300,
      nodes: [{ name: 'n1', cpuPrice: 0.03, ramPrice: 0.004, cores: 4, memoryBytes: 16 * GIB }],
      volumes: [{ name: 'pv-unclaimed', price: 0.0001, capacityBytes: 100 * GIB }],
      managementFee: 0.1,
    });
    await writeClusters(stack.ingest.url, [
      { cluster: spec(cluster), headers: { Authorization: basicAuth(mine.username, mine.password) } },
      { cluster: spec(foreignCluster), headers: { Authorization: basicAuth(theirs.username, theirs.password) } },
    ]);
    await stack.store.settled();
    const file = path.join(stack.dir, 'focus.csv');
    fs.writeFileSync(file, shiftFocusDates(FOCUS_CSV_TEXT, daysBetween(new Date('2024-09-01T00:00:00Z'), new Date(DAY0))));
    await importFocusFile(t.db, org, file);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await t?.drop();
  });

  it('clean_expenses: the GraphQL numbers of the same range, items, and the Kubernetes block', async () => {
    const rest = await get(`/restapi/v2/organizations/${org}/clean_expenses?${dates}&limit=5`);
    expect(rest.status).toBe(200);
    const graphql = await callGateway<{ organization: { costSummary: { totalCost: number }; expenses: { totalCost: number; count: number }; kubernetesCosts: { totalCost: number } } }>(
      stack.gateway.url,
      `query($org: ID!, $range: DateRangeInput!) { organization(id: $org) { costSummary(range: $range) { totalCost } expenses(range: $range) { totalCost count } kubernetesCosts(range: $range) { totalCost } } }`,
      { org, range: RANGE },
      token,
    );
    const o = graphql.data!.organization;
    expect(rest.body).toMatchObject({ start_date: START, end_date: END, total_count: o.expenses.count, limit: 5 });
    expect(rest.body.total_cost).toBeCloseTo(o.costSummary.totalCost, 9);
    const items = rest.body.clean_expenses as Array<Record<string, unknown>>;
    expect(items).toHaveLength(5);
    for (const item of items) {
      expect(Object.keys(item).sort()).toEqual(
        ['cloud_account_id', 'cloud_account_name', 'cloud_account_type', 'cost', 'end_date', 'id', 'kubernetes_cluster_id', 'region', 'resource_id', 'resource_name', 'resource_type', 'service_name', 'start_date'].sort(),
      );
      expect(item.start_date as number).toBeGreaterThanOrEqual(START);
      expect(item.start_date as number).toBeLessThanOrEqual(END);
    }
    const k8s = rest.body.k8s_costs as { k8s_total_cost: number; k8s_cost_breakdown: Array<{ cloud_account_id: string; cost: number; breakdown: Record<string, number | null> }> };
    expect(k8s.k8s_total_cost).toBeCloseTo(o.kubernetesCosts.totalCost, 9);
    expect(k8s.k8s_cost_breakdown.map((c) => c.cloud_account_id)).toEqual([cluster]);
    const b = k8s.k8s_cost_breakdown[0].breakdown;
    // 10 days of a 4-core, 16 GiB node at 0.03 and 0.004 an hour, 100 GiB at 0.0001, 0.10 of fee.
    expect(b.cpu_cost).toBeCloseTo(4 * 0.03 * 240, 6);
    expect(b.ram_cost).toBeCloseTo(16 * 0.004 * 240, 6);
    expect(b.pv_cost).toBeCloseTo(100 * 0.0001 * 240, 6);
    expect(b.management_cost).toBeCloseTo(0.1 * 240, 6);
    expect(b.network_cost).toBeNull();
    expect(rest.body.warning).toBeUndefined();

    // Filtered: the cloud rows that pass, plus the Kubernetes total.
    const service = 'Amazon Elastic Compute Cloud';
    const filtered = await get(`/restapi/v2/organizations/${org}/clean_expenses?${dates}&service_name=${encodeURIComponent(service)}`);
    const only = await callGateway<{ organization: { expenses: { totalCost: number; count: number } } }>(
      stack.gateway.url,
      `query($org: ID!, $range: DateRangeInput!, $f: ExpenseFilter) { organization(id: $org) { expenses(range: $range, filter: $f) { totalCost count } } }`,
      { org, range: RANGE, f: { services: [service] } },
      token,
    );
    expect(filtered.body.total_count).toBe(only.data!.organization.expenses.count);
    expect(filtered.body.total_cost).toBeCloseTo(only.data!.organization.expenses.totalCost + o.kubernetesCosts.totalCost, 9);
    expect((filtered.body.clean_expenses as Array<{ service_name: string }>).every((i) => i.service_name === service)).toBe(true);
  });

  it('metroculus: cluster costs, metrics per step and savings, equal to GraphQL', async () => {
    const costs = await get(`/metroculus/v2/kubecost_cluster_costs?cloud_account_id=${cluster}&${dates}`);
    expect(costs.status).toBe(200);
    const graphql = await callGateway<{ cloudAccount: { kubernetesCost: { totalCost: number; breakdown: Record<string, number> } } }>(
      stack.gateway.url,
      `query($id: ID!, $range: DateRangeInput!) { cloudAccount(id: $id) { kubernetesCost(range: $range) { totalCost breakdown { cpu ram } } } }`,
      { id: cluster, range: RANGE },
      token,
    );
    expect(costs.body).toMatchObject({ cloud_account_id: cluster, start_date: START, end_date: END });
    expect(costs.body.total_cost).toBeCloseTo(graphql.data!.cloudAccount.kubernetesCost.totalCost, 9);
    expect((costs.body.breakdown as Record<string, number>).cpu_cost).toBeCloseTo(graphql.data!.cloudAccount.kubernetesCost.breakdown.cpu, 9);

    const daily = await get(`/metroculus/v2/kubecost_metrics?cloud_account_id=${cluster}&${dates}&step=86400`);
    expect(daily.status).toBe(200);
    const series = daily.body.series as Record<string, Array<[number, number]>>;
    expect(series.total_cost).toHaveLength(10);
    expect(series.total_cost[0][0]).toBe(START);
    expect(series.total_cost.reduce((sum, [, v]) => sum + v, 0)).toBeCloseTo(costs.body.total_cost as number, 6);
    expect((await get(`/metroculus/v2/kubecost_metrics?cloud_account_id=${cluster}&${dates}`)).body.step).toBe(3600);

    const savings = await get(`/metroculus/v2/kubecost_savings?cloud_account_id=${cluster}&${dates}`);
    expect(savings.status).toBe(200);
    const recommendations = savings.body.recommendations as Array<{ type: string; resource: string; saving: number }>;
    expect(recommendations.find((r) => r.type === 'unclaimed_volume')).toMatchObject({ resource: 'persistentvolume/pv-unclaimed' });
    expect(savings.body.total_saving).toBeCloseTo(recommendations.reduce((sum, r) => sum + r.saving, 0), 9);
  });

  it.each([
    ['start_date missing', `/metroculus/v2/kubecost_cluster_costs?cloud_account_id=CLUSTER&end_date=${END}`, 400, 'OE0216'],
    ['a date that is no integer', `/metroculus/v2/kubecost_cluster_costs?cloud_account_id=CLUSTER&start_date=yesterday&end_date=${END}`, 400, 'OE0223'],
    ['end_date before start_date', `/metroculus/v2/kubecost_cluster_costs?cloud_account_id=CLUSTER&start_date=${END}&end_date=${START}`, 400, 'OE0446'],
    ['a range under a minute', `/metroculus/v2/kubecost_cluster_costs?cloud_account_id=CLUSTER&start_date=${START}&end_date=${START + 30}`, 400, 'OE0224'],
    ['cloud_account_id missing', `/metroculus/v2/kubecost_savings?${'start_date'}=${START}&end_date=${END}`, 400, 'OE0216'],
    ['a step the API has not', `/metroculus/v2/kubecost_metrics?cloud_account_id=CLUSTER&start_date=${START}&end_date=${END}&step=60`, 400, 'OE0217'],
    ['a limit out of range', `/restapi/v2/organizations/ORG/clean_expenses?start_date=${START}&end_date=${END}&limit=5000`, 400, 'OE0224'],
  ])('%s: %i %s in OptScale\'s shape', async (_name, url, status, code) => {
    const rest = await get(url.replace('CLUSTER', cluster).replace('ORG', org));
    expect(rest.status).toBe(status);
    expect(rest.body.error).toMatchObject({ status_code: status, error_code: code });
    expect(typeof rest.body.error!.reason).toBe('string');
    expect(Array.isArray(rest.body.error!.params)).toBe(true);
  });

  it('unknown and foreign organizations and clusters are the same 404; a bad or missing token 401', async () => {
    const unknownOrg = await get(`/restapi/v2/organizations/00000000-0000-4000-8000-000000000000/clean_expenses?${dates}`);
    const foreignOrg = await get(`/restapi/v2/organizations/${other}/clean_expenses?${dates}`);
    expect([unknownOrg.status, foreignOrg.status]).toEqual([404, 404]);
    expect(foreignOrg.body.error!.error_code).toBe('OE0002');
    expect(foreignOrg.body.error!.reason.replace(other, 'X')).toBe(unknownOrg.body.error!.reason.replace('00000000-0000-4000-8000-000000000000', 'X'));
    const foreign = await get(`/metroculus/v2/kubecost_cluster_costs?cloud_account_id=${foreignCluster}&${dates}`);
    const unknown = await get(`/metroculus/v2/kubecost_cluster_costs?cloud_account_id=00000000-0000-4000-8000-000000000000&${dates}`);
    expect([foreign.status, unknown.status]).toEqual([404, 404]);
    expect(foreign.body.error!.reason.replace(foreignCluster, 'X')).toBe(unknown.body.error!.reason.replace('00000000-0000-4000-8000-000000000000', 'X'));
    expect(await get(`/metroculus/v2/kubecost_cluster_costs?cloud_account_id=not-an-id&${dates}`)).toMatchObject({ status: 404 });

    const bad = await get(`/restapi/v2/organizations/${org}/clean_expenses?${dates}`, 'cg_nope_nope');
    expect(bad.status).toBe(401);
    expect(bad.body.error!.error_code).toBe('OE0235');
    expect((await get(`/restapi/v2/organizations/${org}/clean_expenses?${dates}`, null)).body.error!.error_code).toBe('OE0237');
    expect((await get(`/restapi/v2/organizations/${org}/clean_expenses?${dates}`, token, 'POST')).status).toBe(405);
  });

  it('a failed Kubernetes part: the expenses with an explicit warning and no k8s_costs; the Kubernetes endpoints 503', async () => {
    await stack.stopSubgraph('kubecost');
    try {
      const rest = await get(`/restapi/v2/organizations/${org}/clean_expenses?${dates}`);
      expect(rest.status).toBe(200);
      expect(rest.body.k8s_costs).toBeUndefined();
      expect(rest.body.warning).toMatch(/Kubernetes costs are unavailable/);
      const cloud = await callGateway<{ organization: { expenses: { totalCost: number } } }>(
        stack.gateway.url,
        `query($org: ID!, $range: DateRangeInput!) { organization(id: $org) { expenses(range: $range) { totalCost } } }`,
        { org, range: RANGE },
        token,
      );
      expect(rest.body.total_cost).toBeCloseTo(cloud.data!.organization.expenses.totalCost, 9);
      for (const endpoint of ['kubecost_cluster_costs', 'kubecost_metrics', 'kubecost_savings']) {
        const costs = await get(`/metroculus/v2/${endpoint}?cloud_account_id=${cluster}&${dates}`);
        expect(costs.status).toBe(503);
        expect(costs.body.error!.error_code).toBe('OE0003');
      }
    } finally {
      await stack.startSubgraph('kubecost');
    }
  });

  it('a failed expenses part: clean_expenses answers 503, never an empty list', async () => {
    await stack.stopSubgraph('expenses');
    try {
      const rest = await get(`/restapi/v2/organizations/${org}/clean_expenses?${dates}`);
      expect(rest.status).toBe(503);
      expect(rest.body.error!.error_code).toBe('OE0003');
    } finally {
      await stack.startSubgraph('expenses');
    }
  });

  it('every endpoint refuses a missing token, a foreign id and a POST as documented', async () => {
    const paths = [
      `/restapi/v2/organizations/${other}/clean_expenses`,
      '/metroculus/v2/kubecost_cluster_costs',
      '/metroculus/v2/kubecost_metrics',
      '/metroculus/v2/kubecost_savings',
    ];
    for (const p of paths) {
      const query = p.startsWith('/metroculus') ? `?cloud_account_id=${foreignCluster}&${dates}` : `?${dates}`;
      expect((await get(`${p}${query}`, null)).status).toBe(401);
      expect((await get(`${p}${query}`)).status).toBe(404);
      expect((await get(`${p}${query}`, token, 'POST')).status).toBe(405);
      expect((await get(`${p}?cloud_account_id=${cluster}&start_date=${START}`)).status).toBe(400);
    }
  });

  // Last: what the suite checked against the document. 429 (too many token checks at once) is
  // checked against it by api-admin.test.ts, whose gateway checks one token at a time.
  it('checked every documented answer of every endpoint against the OpenAPI document', () => {
    // The bill upload's answers are checked by api-admin.test.ts.
    const declared = Object.entries(contract.document.paths).filter(([template]) => !template.startsWith('/api/v1/')).flatMap(([template, methods]) =>
      Object.entries(methods).flatMap(([method, operation]) => Object.keys(operation.responses).filter((s) => s !== '429').map((status) => `${method.toUpperCase()} ${template} ${status}`)),
    );
    expect(declared.length).toBe(20);
    expect(declared.filter((d) => !contract.checked.has(d))).toEqual([]);
  });
});
