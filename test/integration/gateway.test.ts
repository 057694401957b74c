import fs from 'node:fs';
import path from 'node:path';
import { createOrganization } from '../../lib/accounts/repository';
import { daysBetween, shiftFocusDates } from '../../cli/demo/focus-dates';
import { importFocusFile } from '../../subgraphs/expenses/import/import-focus';
import { createKubernetesCluster } from '../../lib/accounts/kubernetes-clusters';
import { createApiToken, revokeApiToken } from '../../lib/accounts/api-tokens';
import { HEADLINE_QUERY_FILE } from '../../gateway/server';
import { databaseBackends, type TestDatabase } from '../helpers/databases';
import { FOCUS_CSV_TEXT, FOCUS_ROWS, sumColumn, unitsToNumber } from '../helpers/focus-fixture';
import { basicAuth } from '../helpers/remote-write';
import { callSubgraph } from '../helpers/subgraph-client';
import { callGateway, startTestStack, type TestStack } from '../helpers/stack';
import { analyticClusterCosts, GIB, HOUR_MS, writeClusters, type ClusterWrite, type SyntheticCluster } from '../helpers/synthetic-cluster';

const DAY_MS = 86_400_000;
// Everything happens in the 30 days before today's UTC midnight: the FOCUS fixture (September
// 2024) is moved there, and the clusters ran during the last 8 hours of it.
const END = Math.floor(Date.now() / DAY_MS) * DAY_MS;
const RANGE = { from: new Date(END - 30 * DAY_MS).toISOString(), to: new Date(END).toISOString() };
const HEADLINE = fs.readFileSync(HEADLINE_QUERY_FILE, 'utf8');
const FIXTURE_BILLED = unitsToNumber(sumColumn(FOCUS_ROWS, 'BilledCost'));

function cluster(tenantId: string, cores: number): SyntheticCluster {
  return {
    tenantId,
    startMs: END - 8 * HOUR_MS,
    endMs: END,
    intervalSeconds: 60,
    nodes: [
      { name: 'node-a', cpuPrice: 0.031611, ramPrice: 0.004237, cores, memoryBytes: 4 * cores * GIB },
      { name: 'gpu-1', cpuPrice: 0.0319, ramPrice: 0.0043, gpuPrice: 2.48, gpuCount: 1, cores: 12, memoryBytes: 85 * GIB, toMs: END - 3 * HOUR_MS },
    ],
    volumes: [{ name: 'pvc-data', price: 0.000233, capacityBytes: 200 * GIB }],
    loadBalancers: [{ namespace: 'ingress', service: 'nginx', ip: '10.0.0.1', price: 0.025 }],
    managementFee: 0.1,
    containers: [{ namespace: 'web', pod: 'web-1', container: 'app', node: 'node-a', cores: 2, memoryBytes: 4 * GIB }],
  };
}

const total = (c: ReturnType<typeof analyticClusterCosts>) =>
  c.cpu + c.ram + c.gpu + c.persistentVolumes + c.loadBalancers + c.clusterManagement + (c.network ?? 0);

interface Headline {
  organization: {
    id: string;
    name: string;
    currency: string;
    costSummary: { cloudCost: number; kubernetesCost: number; totalCost: number };
    expenses: { totalCost: number; count: number; breakdown: Array<{ key: string; cost: number }> };
    kubernetesCosts: {
      totalCost: number;
      clusters: Array<{ cloudAccount: { id: string; name: string; type: string }; totalCost: number; hasData: boolean; lastSampleAt: string | null; breakdown: Record<string, number | null> }>;
    };
  } | null;
}

describe.each(databaseBackends())('gateway end to end ($name)', (backend) => {
  let t: TestDatabase;
  let stack: TestStack;
  let url: string;
  const org = { a: '', b: '' };
  const token = { a: '', b: '' };
  let tokenAId = '';
  const clusters: Record<'a' | 'b', Array<{ id: string; cores: number }>> = { a: [], b: [] };
  let focusFile: string;

  beforeAll(async () => {
    t = await backend.create();
    stack = await startTestStack(t.db, { TOKEN_CACHE_TTL: '1s' });
    url = stack.gateway.url;
    org.a = (await createOrganization(t.db, 'Org A')).id;
    org.b = (await createOrganization(t.db, 'Org B')).id;
    const issuedA = await createApiToken(t.db, org.a, 'test');
    token.a = issuedA.token;
    tokenAId = issuedA.id;
    token.b = (await createApiToken(t.db, org.b, 'test')).token;

    focusFile = path.join(stack.dir, 'focus-recent.csv');
    fs.writeFileSync(focusFile, shiftFocusDates(FOCUS_CSV_TEXT, daysBetween(new Date('2024-10-01T00:00:00Z'), new Date(END))));
    await importFocusFile(t.db, org.a, focusFile);

    const writes: ClusterWrite[] = [];
    for (const [key, sizes] of [['a', [4, 16]], ['b', [64]]] as const) {
      for (const cores of sizes) {
        const created = await createKubernetesCluster(t.db, org[key], `${key}-${cores}`, 'http://127.0.0.1/api/v1/write');
        clusters[key].push({ id: created.cloudAccount.id, cores });
        writes.push({ cluster: cluster(created.cloudAccount.id, cores), headers: { Authorization: basicAuth(created.username, created.password) } });
      }
    }
    // Through the real ingest path, each cluster with its own credential (any answer but 204 throws).
    await writeClusters(stack.ingest.url, writes);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await t?.drop();
  });

  it('answers the headline query with the numbers each subgraph gives on its own', async () => {
    const res = await callGateway<Headline>(url, HEADLINE, { org: org.a, range: RANGE }, token.a);
    expect(res.errors).toBeUndefined();
    const o = res.data!.organization!;
    expect(o).toMatchObject({ id: org.a, name: 'Org A', currency: 'USD' });

    const direct = await callSubgraph<{ organization: { expenses: Headline['organization'] extends infer O ? (O extends { expenses: infer E } ? E : never) : never } }>(
      stack.expenses.url,
      `query($org: ID!, $range: DateRangeInput!) { organization(id: $org) { expenses(range: $range) { totalCost count breakdown(by: SERVICE) { key cost } } } }`,
      { org: org.a, range: RANGE },
      { secret: stack.secret, organizationIds: [org.a] },
    );
    expect(o.expenses).toEqual(direct.data!.organization.expenses);
    // The whole fixture moved into the range: its BilledCost sum, computed here from the file.
    expect(o.expenses.count).toBe(FOCUS_ROWS.length);
    expect(o.expenses.totalCost).toBeCloseTo(FIXTURE_BILLED, 6);

    const directK8s = await callSubgraph<{ _entities: Array<{ kubernetesCosts: Headline['organization'] extends infer O ? (O extends { kubernetesCosts: infer K } ? K : never) : never }> }>(
      stack.kubecost.url,
      `query($reps: [_Any!]!, $range: DateRangeInput!) { _entities(representations: $reps) { ... on Organization { kubernetesCosts(range: $range) {
        totalCost clusters { cloudAccount { id } totalCost hasData lastSampleAt breakdown { cpu ram gpu persistentVolumes network loadBalancers clusterManagement } } } } } }`,
      { reps: [{ __typename: 'Organization', id: org.a, kubernetesClusterIds: clusters.a.map((c) => c.id) }], range: RANGE },
      { secret: stack.secret, organizationIds: [org.a] },
    );
    const k8s = directK8s.data!._entities[0].kubernetesCosts;
    expect(o.kubernetesCosts.totalCost).toBe(k8s.totalCost);
    expect(o.kubernetesCosts.clusters.map(({ cloudAccount, ...rest }) => ({ ...rest, id: cloudAccount.id }))).toEqual(
      k8s.clusters.map(({ cloudAccount, ...rest }) => ({ ...rest, id: cloudAccount.id })),
    );

    // The cluster part is also right in absolute terms (analytic cost model, 0.5%).
    const expected = clusters.a.map((c) => total(analyticClusterCosts(cluster(c.id, c.cores), END - 30 * DAY_MS, END)));
    expect(o.kubernetesCosts.totalCost).toBeGreaterThan(0);
    expect(Math.abs(o.kubernetesCosts.totalCost - expected[0] - expected[1]) / (expected[0] + expected[1])).toBeLessThan(0.005);
    // Cloud account fields come from the other subgraph, in the same response.
    for (const c of o.kubernetesCosts.clusters) expect(c.cloudAccount).toMatchObject({ type: 'KUBERNETES', name: expect.stringMatching(/^a-/) });
    expect(o.kubernetesCosts.clusters.every((c) => c.hasData && c.lastSampleAt !== null)).toBe(true);

    // The combined view adds both sides.
    expect(o.costSummary.cloudCost).toBeCloseTo(o.expenses.totalCost, 9);
    expect(o.costSummary.kubernetesCost).toBeCloseTo(o.kubernetesCosts.totalCost, 9);
    expect(o.costSummary.totalCost).toBeCloseTo(o.expenses.totalCost + o.kubernetesCosts.totalCost, 9);
  });

  it('refuses requests without a valid token with 401 UNAUTHENTICATED', async () => {
    for (const bad of [undefined, 'nonsense', `${token.a}x`, token.a.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))]) {
      const res = await callGateway(url, '{ organizations { id } }', {}, bad);
      expect(res.status).toBe(401);
      expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it("shows organization A's token nothing of organization B by any path", async () => {
    const orgs = await callGateway<{ organizations: Array<{ id: string }> }>(url, '{ organizations { id } }', {}, token.a);
    expect(orgs.data!.organizations.map((o) => o.id)).toEqual([org.a]);
    const foreign = await callGateway<Headline>(url, HEADLINE, { org: org.b, range: RANGE }, token.a);
    const missing = await callGateway<Headline>(url, HEADLINE, { org: '00000000-0000-4000-8000-000000000000', range: RANGE }, token.a);
    expect(foreign.data!.organization).toBeNull();
    expect(foreign).toEqual(missing);
    const account = await callGateway<{ cloudAccount: unknown }>(
      url,
      `query($id: ID!, $range: DateRangeInput!) { cloudAccount(id: $id) { id name kubernetesCost(range: $range) { totalCost } } }`,
      { id: clusters.b[0].id, range: RANGE },
      token.a,
    );
    expect(account.errors).toBeUndefined();
    expect(account.data!.cloudAccount).toBeNull();
    const mutation = await callGateway(url, `mutation($id: ID!) { rotateClusterCredential(cloudAccountId: $id) { password } }`, { id: clusters.b[0].id }, token.a);
    expect(mutation.data).toBeNull();
    expect(mutation.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    // B itself sees its cluster.
    const own = await callGateway<Headline>(url, HEADLINE, { org: org.b, range: RANGE }, token.b);
    expect(own.data!.organization!.kubernetesCosts.clusters.map((c) => c.cloudAccount.id)).toEqual([clusters.b[0].id]);
  });

  it('subgraphs refuse requests that do not come signed from the gateway', async () => {
    for (const subgraph of [stack.expenses.url, stack.kubecost.url]) {
      const unsigned = await callSubgraph(subgraph, '{ _service { sdl } }', {}, {});
      expect(unsigned.status).toBe(401);
      const expired = await callSubgraph(subgraph, '{ _service { sdl } }', {}, { secret: stack.secret, organizationIds: [org.b], ttlMs: -1000 });
      expect(expired.status).toBe(401);
      const forged = await callSubgraph(subgraph, '{ _service { sdl } }', {}, { secret: 'x'.repeat(64), organizationIds: [org.b] });
      expect(forged.status).toBe(401);
    }
  });

  it('refuses depth, alias and token bombs, batches and oversized bodies with typed errors', async () => {
    // organizations → cloudAccounts → organization → … 14 levels deep, then id.
    const deep = `{ organizations { ${'cloudAccounts { organization { '.repeat(7)}id${' } }'.repeat(7)} } }`;
    // 400 for a client of the GraphQL response type (gateway-graphql-over-http.test.ts has the rest).
    const strict = { Accept: 'application/graphql-response+json' };
    const depth = await callGateway(url, deep, {}, token.a, strict);
    expect(depth.status).toBe(400);
    expect(depth.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'maxDepth' });
    const aliases = `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: organizations { id }`).join(' ')} }`;
    const alias = await callGateway(url, aliases, {}, token.a);
    expect(alias.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'maxAliases' });
    const tokens = await callGateway(url, `{ organizations { ${'id '.repeat(4000)} } }`, {}, token.a, strict);
    expect(tokens.status).toBe(400);
    expect(tokens.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'maxTokens' });
    expect(tokens.errors?.[0].message).toMatch(/tokens/);

    const batch = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token.a}` },
      body: JSON.stringify([{ query: '{ organizations { id } }' }, { query: '{ organizations { id } }' }]),
    });
    expect(batch.status).toBe(400);
    const big = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token.a}` },
      body: JSON.stringify({ query: `{ organizations { id } } # ${'x'.repeat(300 * 1024)}` }),
    });
    expect(big.status).toBe(413);
    // CSRF prevention: a simple GET request without a preflight-forcing header is refused.
    const csrf = await fetch(`${url}?query=${encodeURIComponent('{ organizations { id } }')}`, { headers: { Authorization: `Bearer ${token.a}` } });
    expect(csrf.status).toBe(400);
    const reversed = await callGateway(url, HEADLINE, { org: org.a, range: { from: RANGE.to, to: RANGE.from } }, token.a);
    expect(reversed.errors?.map((e) => e.extensions?.code)).toContain('BAD_USER_INPUT');
  });

  it('returns partial data with a typed error while a subgraph is down, stays ready meanwhile, and recovers by itself', async () => {
    await stack.stopSubgraph('kubecost');
    try {
      const res = await callGateway<Headline>(url, HEADLINE, { org: org.a, range: RANGE }, token.a);
      expect(res.status).toBe(200);
      expect(res.data!.organization!.expenses.count).toBe(FOCUS_ROWS.length);
      expect(res.data!.organization!.costSummary.cloudCost).toBeCloseTo(FIXTURE_BILLED, 6);
      expect(res.data!.organization!.kubernetesCosts).toBeNull();
      expect(res.errors?.length).toBeGreaterThan(0);
      expect(res.errors![0].extensions).toMatchObject({ code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'kubecost' });
      // Ready all the same: it is answering (partially), and every replica shares the subgraph,
      // so an unready gateway would turn this partial answer into no answer at all.
      expect((await fetch(`${stack.gateway.internalUrl}/readyz`)).status).toBe(200);
    } finally {
      await stack.startSubgraph('kubecost');
    }
    const again = await callGateway<Headline>(url, HEADLINE, { org: org.a, range: RANGE }, token.a);
    expect(again.errors).toBeUndefined();
    expect(again.data!.organization!.kubernetesCosts.clusters).toHaveLength(2);
    expect((await fetch(`${stack.gateway.internalUrl}/readyz`)).status).toBe(200);
  });

  it('exposes metrics and health', async () => {
    // Counted from this test's own requests, whatever ran before it.
    const metrics = async () => (await (await fetch(`${stack.gateway.internalUrl}/metrics`)).text()).split('\n');
    const sum = (lines: string[], prefix: string) => lines.filter((l) => l.startsWith(prefix)).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    const OK = 'costgraph_gateway_operations_total{operation="Headline",outcome="ok"} ';
    const FETCHED = 'costgraph_gateway_subgraph_fetch_duration_seconds_count{subgraph="kubecost",outcome="ok"} ';
    const FAILED = 'costgraph_gateway_subgraph_errors_total{subgraph="kubecost",reason="';
    const before = await metrics();
    expect((await callGateway(url, HEADLINE, { org: org.a, range: RANGE }, token.a)).errors).toBeUndefined();
    await stack.stopSubgraph('kubecost');
    try {
      expect((await callGateway(url, HEADLINE, { org: org.a, range: RANGE }, token.a)).errors?.[0]?.extensions?.code).toBe('DOWNSTREAM_SERVICE_ERROR');
    } finally {
      await stack.startSubgraph('kubecost');
    }
    const after = await metrics();
    expect(sum(after, OK) - sum(before, OK)).toBe(1);
    expect(sum(after, FETCHED) - sum(before, FETCHED)).toBeGreaterThan(0);
    expect(sum(after, FAILED) - sum(before, FAILED)).toBeGreaterThan(0);
    expect(after.join('\n')).not.toContain(token.a);
    expect((await fetch(url.replace(/\/graphql$/, '/healthz'))).status).toBe(200);
  });

  it('stops accepting a revoked token within the cache lifetime', async () => {
    expect((await callGateway(url, '{ organizations { id } }', {}, token.a)).status).toBe(200);
    expect(await revokeApiToken(t.db, tokenAId)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const res = await callGateway(url, '{ organizations { id } }', {}, token.a);
    expect(res.status).toBe(401);
  });
});
