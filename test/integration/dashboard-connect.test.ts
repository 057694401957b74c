/// <reference lib="dom" />
import { createOrganization } from '../../lib/accounts/repository';
import { createApiToken } from '../../lib/accounts/api-tokens';
import { createPgliteDatabase, type TestDatabase } from '../helpers/databases';
import { assertDashboardBuilt, freshContext, launchChromium, openSignedIn, screenshotPath } from '../helpers/dashboard';
import { basicAuth, post, REMOTE_WRITE_HEADERS } from '../helpers/remote-write';
import { startTestStack, type TestStack } from '../helpers/stack';
import { clusterSeries, encodeSeries, GIB } from '../helpers/synthetic-cluster';
import type { Browser } from 'playwright-core';

describe('dashboard: connect a cluster end to end', () => {
  let t: TestDatabase;
  let stack: TestStack;
  let browser: Browser;
  let token: string;

  beforeAll(async () => {
    assertDashboardBuilt();
    t = await createPgliteDatabase();
    const org = await createOrganization(t.db, 'Connect org');
    token = (await createApiToken(t.db, org.id, 'connect')).token;
    stack = await startTestStack(t.db);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await t?.drop();
  });

  it('creates the cluster, shows the credential once, and turns to "receiving" when samples written with it arrive', async () => {
    const context = await freshContext(browser);
    const page = await context.newPage();
    const origin = new URL(stack.gateway.url).origin;
    await openSignedIn(page, origin, token, '/connect', 'Connect a cluster');

    // A name the API refuses shows the API's reason in the form.
    await page.getByLabel('Cluster name').fill('bad name!');
    await page.getByRole('button', { name: 'Create cluster' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('cluster name must be 1-100 characters');

    await page.getByLabel('Cluster name').fill('web-1');
    await page.getByRole('button', { name: 'Create cluster' }).click();
    await page.waitForSelector('[data-connect-state="waiting"]');
    const value = async (label: string) => (await page.locator('.copy-block', { has: page.locator(`.copy-label:text-is("${label}")`) }).locator('code, pre').textContent())!.trim();
    const username = await value('User name (cluster id)');
    const password = await value('Password');
    const remoteWriteUrl = await value('Remote-write URL');
    expect(await value('Prometheus remote_write block')).toContain(username);
    expect(await value('Kubecost Helm values')).toContain('remote');
    expect(remoteWriteUrl).toMatch(/\/api\/v1\/write$/);
    await page.screenshot({ path: screenshotPath('connect-waiting'), fullPage: true });

    // The cluster's Prometheus starts writing with the credential the page showed.
    const now = Date.now();
    const series = clusterSeries({
      tenantId: username,
      startMs: now - 20 * 60_000,
      endMs: now,
      intervalSeconds: 60,
      nodes: [{ name: 'node-a', cpuPrice: 0.03, ramPrice: 0.004, cores: 4, memoryBytes: 16 * GIB }],
    });
    const written = await post(`${stack.ingest.url}/api/v1/write`, encodeSeries(series), { ...REMOTE_WRITE_HEADERS, Authorization: basicAuth(username, password) });
    expect(written.status).toBe(204);
    await page.waitForSelector('[data-connect-state="receiving"]', { timeout: 30_000 });
    await page.screenshot({ path: screenshotPath('connect-receiving'), fullPage: true });
    await context.close();
  }, 90_000);
});
