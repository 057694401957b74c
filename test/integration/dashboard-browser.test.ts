/// <reference lib="dom" />
import fs from 'node:fs';
import http from 'node:http';
// page.evaluate callbacks run in the browser: they use its document.
import { revokeApiToken, createApiToken } from '../../lib/accounts/api-tokens';
import { callGateway } from '../helpers/stack';
import { freshContext, last30Days, money, openSignedIn, screenshotPath, startDashboardStack, type DashboardStack } from '../helpers/dashboard';

const CLUSTERS = `query($range: DateRangeInput!) { organizations { currency kubernetesCosts(range: $range) { clusters {
  cloudAccount { id name } totalCost breakdown { cpu ram gpu persistentVolumes network loadBalancers clusterManagement }
  reconciliation { billedCost estimatedCost } } } } }`;
const EXPENSES = `query($range: DateRangeInput!, $filter: ExpenseFilter) { organizations { currency expenses(range: $range, filter: $filter) { totalCost count } } }`;
const CATEGORY_KEYS = ['cpu', 'ram', 'gpu', 'persistentVolumes', 'network', 'loadBalancers', 'clusterManagement'] as const;
type ClustersAnswer = {
  organizations: Array<{
    currency: string;
    kubernetesCosts: { clusters: Array<{ cloudAccount: { id: string; name: string }; totalCost: number; breakdown: Record<string, number | null>; reconciliation: { billedCost: number; estimatedCost: number } }> };
  }>;
};
type ExpensesAnswer = { organizations: Array<{ currency: string; expenses: { totalCost: number; count: number } }> };

const TOTALS = `query($range: DateRangeInput!) { organizations { currency costSummary(range: $range) { cloudCost kubernetesCost overlap totalCost } } }`;

describe('dashboard in headless Chromium against the demo stack', () => {
  let d: DashboardStack;

  beforeAll(async () => {
    d = await startDashboardStack();
  }, 240_000);

  afterAll(async () => {
    await d?.stop();
  });

  it('signs in with a #token= link, removes it from the address bar and shows the overview totals the API answers', async () => {
    const context = await freshContext(d.browser);
    const page = await context.newPage();
    const requests: Array<{ url: string; headers: Record<string, string>; body: string | null }> = [];
    page.on('request', (r) => requests.push({ url: r.url(), headers: r.headers(), body: r.postData() }));
    const consoleErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));

    await page.goto(`${d.origin}/#token=${d.token}`);
    await page.waitForSelector('[data-figure="total"] .money', { timeout: 30_000 });
    expect(page.url()).toBe(`${d.origin}/`);
    expect(await page.evaluate(() => sessionStorage.getItem('costgraph.token'))).toBe(d.token);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);

    const range = last30Days();
    const api = await callGateway<{ organizations: Array<{ currency: string; costSummary: { cloudCost: number; kubernetesCost: number; overlap: number; totalCost: number } }> }>(
      d.stack.gateway.url,
      TOTALS,
      { range: { from: range.from, to: range.to } },
      d.token,
    );
    const { currency, costSummary } = api.data!.organizations[0];
    const shown = async (id: string) => (await page.textContent(`[data-figure="${id}"] .figure-value`))?.trim();
    expect(await shown('total')).toBe(money(costSummary.totalCost, currency));
    expect(await shown('cloud')).toBe(money(costSummary.cloudCost, currency));
    expect(await shown('kubernetes')).toBe(money(costSummary.kubernetesCost, currency));
    // The demo bills its clusters: what the bill and the cost model both count, once in the total.
    expect(costSummary.overlap).toBeGreaterThan(0);
    expect(await shown('overlap')).toBe(money(costSummary.overlap, currency));
    // Full precision in the tooltip.
    expect(await page.getAttribute('[data-figure="total"] .money', 'title')).toBe(`${currency} ${costSummary.totalCost}`);
    expect(await page.textContent('.range-statement')).toContain(`up to, not including, ${range.days.to} 00:00 UTC`);

    // The chart library arrives and draws.
    await page.waitForSelector('.chart canvas', { timeout: 30_000 });
    await page.screenshot({ path: screenshotPath('overview-light'), fullPage: true });

    // The token went out in the Authorization header only, never in a URL or a body; every request stayed on the origin.
    expect(requests.filter((r) => !r.url.startsWith(d.origin))).toEqual([]);
    expect(requests.filter((r) => r.url.includes(d.token) || (r.body ?? '').includes(d.token))).toEqual([]);
    // The page's one request, and the token's role asked once per sign-in.
    const graphql = requests.filter((r) => r.url === `${d.origin}/graphql`);
    expect(graphql.map((r) => /query (\w+)/.exec(r.body ?? '')?.[1]).sort()).toEqual(['Overview', 'Viewer']);
    for (const r of graphql) expect(r.headers.authorization).toBe(`Bearer ${d.token}`);
    expect(requests.filter((r) => r.url !== `${d.origin}/graphql` && Object.keys(r.headers).includes('authorization'))).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await context.close();
  }, 90_000);

  it('signs in with the form, signs out, and a revoked token lands on sign-in with a message', async () => {
    const issued = await createApiToken(d.t.db, d.demo.organizationId, 'revoked in the test');
    const context = await freshContext(d.browser);
    const page = await context.newPage();
    await page.goto(`${d.origin}/clusters`);
    await page.getByLabel('API token').fill(issued.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('h1:text("Clusters")');
    expect(page.url()).toBe(`${d.origin}/clusters`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('costgraph.token'))).toBeNull();

    await page.getByLabel('API token').fill(issued.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('h1:text("Clusters")');
    await revokeApiToken(d.t.db, issued.id);
    // The gateway caches verdicts for TOKEN_CACHE_TTL (1 s here); a request after that is refused.
    await page.waitForTimeout(d.stack.gatewayConfig.tokenCacheTtlMs + 500);
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByText('The API refused your token').waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => sessionStorage.getItem('costgraph.token'))).toBeNull();
    await context.close();
  }, 150_000);

  it('shows each cluster\'s total and categories as the API answers them, with its ingest status, in one request', async () => {
    const range = last30Days();
    const api = await callGateway<ClustersAnswer>(d.stack.gateway.url, CLUSTERS, { range: { from: range.from, to: range.to } }, d.token);
    const { currency, kubernetesCosts } = api.data!.organizations[0];
    const context = await freshContext(d.browser);
    const page = await context.newPage();
    // The page's own requests; the token's role is asked once per sign-in, not per page.
    let graphqlRequests = 0;
    page.on('request', (r) => r.url().endsWith('/graphql') && !r.postData()?.includes('query Viewer') && (graphqlRequests += 1));
    await openSignedIn(page, d.origin, d.token, '/clusters', 'Clusters');
    await page.waitForSelector('tr[data-cluster]');
    expect(graphqlRequests).toBe(1);
    for (const cluster of kubernetesCosts.clusters) {
      const row = page.locator(`tr[data-cluster="${cluster.cloudAccount.id}"]`);
      expect((await row.locator('[data-column="total"]').textContent())?.trim()).toBe(money(cluster.totalCost, currency));
      const label = await row.locator('.category-bar').getAttribute('aria-label');
      for (const key of CATEGORY_KEYS) {
        const value = cluster.breakdown[key];
        const name = { cpu: 'CPU', ram: 'RAM', gpu: 'GPU', persistentVolumes: 'Persistent volumes', network: 'Network', loadBalancers: 'Load balancers', clusterManagement: 'Cluster management' }[key];
        expect(label).toContain(`${name} ${value === null ? 'unknown' : money(value, currency)}`);
      }
      // The demo writes up to now: every cluster is receiving.
      expect(await row.textContent()).toContain('receiving');
      const bill = (await row.locator('[data-column="bill"]').textContent())?.trim();
      if (cluster.reconciliation.estimatedCost === 0) expect(bill).toBe('not on the bill');
      else expect(bill).toContain(`${money(cluster.reconciliation.billedCost, currency)} billed vs ${money(cluster.reconciliation.estimatedCost, currency)} estimated`);
    }
    const dev = kubernetesCosts.clusters.find((c) => c.cloudAccount.name === 'dev-sandbox')!;
    expect(await page.locator(`tr[data-cluster="${dev.cloudAccount.id}"]`).textContent()).toContain('unknown');

    // Sorting lives in the URL.
    await page.getByRole('button', { name: /^Cluster/ }).click();
    expect(new URL(page.url()).searchParams.get('sort')).toBe('name');
    const names = await page.locator('tr[data-cluster] th a').allTextContents();
    expect(names).toEqual([...names].sort());
    await page.screenshot({ path: screenshotPath('clusters-light'), fullPage: true });

    // Cluster detail: the same total, its categories, namespaces with idle, the last sample time.
    const prod = kubernetesCosts.clusters.find((c) => c.cloudAccount.name === 'prod-eu-west-1')!;
    await page.getByRole('link', { name: 'prod-eu-west-1' }).click();
    await page.waitForSelector('h1:text-is("prod-eu-west-1")');
    await page.waitForSelector('[data-figure="cluster-total"] .money');
    expect(page.url()).toContain(`/clusters/${prod.cloudAccount.id}`);
    expect((await page.textContent('[data-figure="cluster-total"] .figure-value'))?.trim()).toBe(money(prod.totalCost, currency));
    for (const key of CATEGORY_KEYS) {
      const value = prod.breakdown[key];
      expect((await page.textContent(`tr[data-category="${key}"] td`))?.trim()).toBe(value === null ? 'unknown' : money(value, currency));
    }
    expect(await page.textContent('main')).toContain('Idle (unallocated)');
    expect(await page.textContent('[data-last-sample]')).toMatch(/Last sample \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    await page.waitForSelector('.chart canvas');
    await page.screenshot({ path: screenshotPath('cluster-detail-light'), fullPage: true });
    await page.getByRole('button', { name: 'Hourly' }).click();
    await page.waitForSelector('h2:text("Cost per hour")');
    expect(new URL(page.url()).searchParams.get('step')).toBe('hour');

    // An id that is no cluster of this organization: said once, not retried.
    for (const id of ['not-a-cluster', '0190c1e2-0000-7000-8000-000000000001']) {
      await openSignedIn(page, d.origin, d.token, `/clusters/${id}`, 'Cluster');
      await page.getByText('No cluster with this id is visible to your token.').waitFor();
    }
    await context.close();
  }, 90_000);

  it('pages, filters and downloads the expenses with totals equal to the API\'s', async () => {
    const range = last30Days();
    const all = await callGateway<ExpensesAnswer>(d.stack.gateway.url, EXPENSES, { range: { from: range.from, to: range.to } }, d.token);
    const service = 'Amazon Elastic Compute Cloud';
    const filtered = await callGateway<ExpensesAnswer>(d.stack.gateway.url, EXPENSES, { range: { from: range.from, to: range.to }, filter: { services: [service] } }, d.token);
    const context = await freshContext(d.browser);
    const page = await context.newPage();
    await openSignedIn(page, d.origin, d.token, '/expenses', 'Expenses');
    await page.waitForSelector('[data-figure="expenses-total"] .money');
    const { currency } = all.data!.organizations[0];
    expect((await page.textContent('[data-figure="expenses-total"] .figure-value'))?.trim()).toBe(money(all.data!.organizations[0].expenses.totalCost, currency));
    expect((await page.textContent('[data-figure="expenses-count"] .figure-value'))?.trim()).toBe(all.data!.organizations[0].expenses.count.toLocaleString('en-US'));
    expect(await page.locator('table.items tbody tr').count()).toBe(50);

    await page.getByRole('button', { name: 'Next page' }).click();
    await page.waitForFunction(() => new URL(location.href).searchParams.has('after'));
    await page.waitForSelector('table.items tbody tr');
    expect(await page.getByRole('button', { name: 'First page' }).isEnabled()).toBe(true);

    await page.getByRole('textbox', { name: 'Service', exact: true }).fill(service);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForFunction((s) => new URL(location.href).searchParams.get('service') === s && !new URL(location.href).searchParams.has('after'), service);
    const expected = filtered.data!.organizations[0].expenses;
    await page.waitForFunction((count) => document.querySelector('[data-figure="expenses-count"] .figure-value')?.textContent?.trim() === count, expected.count.toLocaleString('en-US'));
    expect((await page.textContent('[data-figure="expenses-total"] .figure-value'))?.trim()).toBe(money(expected.totalCost, currency));
    await page.screenshot({ path: screenshotPath('expenses-light'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /Download CSV/ }).click()]);
    const csv = fs.readFileSync((await download.path())!, 'utf8');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^ChargePeriodStart,ChargePeriodEnd,CloudAccountId/);
    expect(lines).toHaveLength(expected.count + 1);
    await page.getByText(`Downloaded ${expected.count.toLocaleString('en-US')} rows.`).waitFor();
    await context.close();
  }, 90_000);

  it('keeps the cloud costs and names what is missing while the Kubernetes cost service is down, and recovers by itself', async () => {
    const context = await freshContext(d.browser);
    const page = await context.newPage();
    await d.stack.stopSubgraph('kubecost');
    try {
      await openSignedIn(page, d.origin, d.token, '/', 'Overview');
      await page.waitForSelector('.banner-warning', { timeout: 30_000 });
      expect(await page.textContent('.banner-warning')).toContain('Kubernetes costs: the Kubernetes cost service is unavailable');
      expect(await page.textContent('[data-figure="cloud"] .figure-value')).toMatch(/^\$/);
      expect((await page.textContent('[data-figure="kubernetes"] .figure-value'))?.trim()).toBe('unavailable');
      await page.screenshot({ path: screenshotPath('overview-partial'), fullPage: true });
    } finally {
      await d.stack.startSubgraph('kubecost');
    }
    // The page asks again by itself (every 10 s) and the banner goes.
    await page.waitForSelector('.banner-warning', { state: 'detached', timeout: 40_000 });
    expect(await page.textContent('[data-figure="kubernetes"] .figure-value')).toMatch(/^\$/);
    await context.close();
  }, 120_000);

  it('is served by the gateway: CSP, immutable precompressed assets, app routes, 404 for unknown assets, GraphiQL kept', async () => {
    const index = await fetch(`${d.origin}/clusters/some-id`, { headers: { Accept: 'text/html' } });
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toMatch(/default-src 'self'.*script-src 'self'.*style-src 'self'/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/style=/);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1];
    for (const [accept, encoding] of [['br, gzip', 'br'], ['gzip', 'gzip']] as const) {
      // undici's fetch decodes bodies; node:http shows the raw Content-Encoding.
      const raw = await new Promise<import('node:http').IncomingMessage>((resolve) => http.get(`${d.origin}${asset}`, { headers: { 'Accept-Encoding': accept } }, resolve));
      raw.resume();
      expect(raw.headers['content-encoding']).toBe(encoding);
      expect(raw.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
    expect((await fetch(`${d.origin}/assets/index-NoSuchFile.js`)).status).toBe(404);
    const graphiql = await fetch(`${d.origin}/graphql`, { headers: { Accept: 'text/html' } });
    expect(await graphiql.text()).toContain('graphiql-config');
  });
});
