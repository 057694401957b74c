/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// page.evaluate callbacks run in the browser: they use its document.
import { chromium, type Browser } from 'playwright-core';
import { createOrganization } from '../../lib/accounts/repository';
import { createKubernetesCluster } from '../../lib/accounts/kubernetes-clusters';
import { createApiToken } from '../../lib/accounts/api-tokens';
import { createPgliteDatabase, type TestDatabase } from '../helpers/databases';
import { basicAuth, post, REMOTE_WRITE_HEADERS } from '../helpers/remote-write';
import { startTestStack, type TestStack } from '../helpers/stack';
import { clusterSeries, encodeSeries, GIB, HOUR_MS } from '../helpers/synthetic-cluster';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const DAY_MS = 86_400_000;

describe('GraphiQL in headless Chromium (Debian chromium + playwright-core)', () => {
  let t: TestDatabase;
  let stack: TestStack;
  let browser: Browser;
  let token: string;

  beforeAll(async () => {
    t = await createPgliteDatabase();
    const org = await createOrganization(t.db, 'Browser org');
    token = (await createApiToken(t.db, org.id, 'browser')).token;
    stack = await startTestStack(t.db, {}, { graphiqlOrganizationId: org.id });
    const cluster = await createKubernetesCluster(t.db, org.id, 'web', 'http://127.0.0.1/api/v1/write');
    // The clusters ran during the last hours of yesterday: inside GraphiQL's default 30-day range.
    const end = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const series = clusterSeries({
      tenantId: cluster.cloudAccount.id,
      startMs: end - 3 * HOUR_MS,
      endMs: end,
      intervalSeconds: 60,
      nodes: [{ name: 'node-a', cpuPrice: 0.03, ramPrice: 0.004, cores: 8, memoryBytes: 32 * GIB }],
    });
    const written = await post(`${stack.ingest.url}/api/v1/write`, encodeSeries(series), { ...REMOTE_WRITE_HEADERS, Authorization: basicAuth(cluster.username, cluster.password) });
    expect(written.status).toBe(204);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // As root in a sandbox-less container; no background traffic to Google's hosts.
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await t?.drop();
  });

  it('loads from the gateway alone and runs the headline query', async () => {
    const page = await browser.newPage();
    const origin = new URL(stack.gateway.url).origin;
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    const consoleErrors: string[] = [];
    page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));

    const response = await page.goto(stack.gateway.url, { waitUntil: 'networkidle' });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");
    await page.waitForSelector('.graphiql-execute-button', { timeout: 30_000 });
    // The headline query is the default document.
    const queryText = await page.evaluate(() => (document.querySelector('.graphiql-query-editor .CodeMirror') as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
    expect(queryText).toContain('query Headline');

    // Paste the token into the header editor, as an operator would.
    await page.evaluate((bearer) => {
      const editors = [...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')] as unknown as Array<{ CodeMirror: { getValue(): string; setValue(v: string): void } }>;
      const headers = editors.find((e) => e.CodeMirror.getValue().includes('Authorization'));
      if (!headers) throw new Error('no header editor with an Authorization header');
      headers.CodeMirror.setValue(JSON.stringify({ Authorization: `Bearer ${bearer}` }));
    }, token);
    await page.click('.graphiql-execute-button');
    await page.waitForFunction(() => document.querySelector('.result-window')?.textContent?.includes('kubernetesCosts'), undefined, { timeout: 30_000 });
    const result = await page.evaluate(() => (document.querySelector('.result-window .CodeMirror') as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
    const body = JSON.parse(result) as { data: { organization: { name: string; kubernetesCosts: { totalCost: number; clusters: unknown[] } } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data.organization.name).toBe('Browser org');
    expect(body.data.organization.kubernetesCosts.clusters).toHaveLength(1);
    expect(body.data.organization.kubernetesCosts.totalCost).toBeGreaterThan(0);

    // Nothing left the origin: no CDN, no fonts, no telemetry.
    expect(requested.length).toBeGreaterThan(3);
    expect(requested.filter((u) => !u.startsWith(origin) && !u.startsWith('data:'))).toEqual([]);
    // Only the schema fetch made before the token was pasted may fail (401); nothing is missing.
    expect(consoleErrors.filter((e) => !e.includes('status of 401'))).toEqual([]);
    await page.close();
  }, 90_000);
});
