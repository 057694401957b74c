/// <reference lib="dom" />
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { createApiToken } from '../../lib/accounts/api-tokens';
import { createKubernetesCluster, type ClusterConnection } from '../../lib/accounts/kubernetes-clusters';
import { createOrganization } from '../../lib/accounts/repository';
import { silentLogger } from '../../lib/log';
import { IngestStatusAccumulator } from '../../ingest/status/accumulator';
import { IngestStatusFlusher } from '../../ingest/status/flusher';
import { createPgliteDatabase, type TestDatabase } from '../helpers/databases';
import { assertDashboardBuilt, freshContext, launchChromium, openSignedIn, screenshotPath } from '../helpers/dashboard';
import { waitFor } from '../helpers/promql';
import { basicAuth, post, REMOTE_WRITE_HEADERS, writeBody } from '../helpers/remote-write';
import { callGateway, startTestStack, type TestStack } from '../helpers/stack';
import { clusterSeries, encodeSeries, GIB } from '../helpers/synthetic-cluster';

/*
 * The dashboard adapts to the token's role (a read-only token sees no action it cannot take)
 * and shows each cluster's ingest status as the API decides it, from statuses written by ingest
 * itself (real remote writes) or by its flusher (a cluster that went quiet an hour ago).
 */

const PAGES = [
  { route: '/', heading: 'Overview' },
  { route: '/clusters', heading: 'Clusters' },
  { route: '/expenses', heading: 'Expenses' },
  { route: '/connect', heading: 'Connect a cluster' },
];

async function axe(page: Page, name: string): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${name}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Anything on the page that would change something: links to the connect flow, its form, action buttons. */
async function mutationActions(page: Page): Promise<string[]> {
  return page.evaluate(() => [
    ...[...document.querySelectorAll('a[href^="/connect"]')].map((a) => `link ${a.textContent}`),
    ...[...document.querySelectorAll('form.connect-form, #cluster-name')].map((f) => `form ${f.id || f.className}`),
    ...[...document.querySelectorAll('button, input[type="submit"]')]
      .map((b) => b.textContent || (b as HTMLInputElement).value || '')
      .filter((text) => /create|delete|rotate|import|connect|credential/i.test(text))
      .map((text) => `button ${text}`),
  ]);
}

describe('dashboard: token roles and ingest status', () => {
  let t: TestDatabase;
  let stack: TestStack;
  let browser: Browser;
  const tokens = { admin: '', readOnly: '' };
  const clusters = {} as Record<'sending' | 'quiet' | 'never', ClusterConnection>;

  beforeAll(async () => {
    assertDashboardBuilt();
    t = await createPgliteDatabase();
    const org = (await createOrganization(t.db, 'Roles and status')).id;
    tokens.admin = (await createApiToken(t.db, org, 'admin', 'admin')).token;
    tokens.readOnly = (await createApiToken(t.db, org, 'viewer', 'read-only')).token;
    for (const name of ['sending', 'quiet', 'never'] as const) clusters[name] = await createKubernetesCluster(t.db, org, name, 'http://unused');
    stack = await startTestStack(t.db, { INGEST_STATUS_FLUSH_INTERVAL: '300ms' });
    browser = await launchChromium();

    // "sending": real writes through ingest with its credential: accepted samples, one family
    // outside the allow-list (dropped), then a write of malformed series only (refused, 400).
    const auth = { ...REMOTE_WRITE_HEADERS, Authorization: basicAuth(clusters.sending.username, clusters.sending.password) };
    const now = Date.now();
    const series = clusterSeries({ tenantId: clusters.sending.username, startMs: now - 10 * 60_000, endMs: now, intervalSeconds: 60, nodes: [{ name: 'node-a', cpuPrice: 0.03, ramPrice: 0.004, cores: 4, memoryBytes: 16 * GIB }] });
    expect((await post(`${stack.ingest.url}/api/v1/write`, encodeSeries(series), auth)).status).toBe(204);
    expect((await post(`${stack.ingest.url}/api/v1/write`, writeBody([{ labels: { __name__: 'unlisted_metric_total', job: 'x' }, samples: [[now, 1]] }]), auth)).status).toBe(204);
    expect((await post(`${stack.ingest.url}/api/v1/write`, writeBody([{ labels: { __name__: '0bad' }, samples: [[now, 1]] }]), auth)).status).toBe(400);

    // "quiet": its last write was accepted an hour ago, written by ingest's own flusher.
    const accumulator = new IngestStatusAccumulator();
    accumulator.accepted(clusters.quiet.username, 120, now - 61 * 60_000, now - 60 * 60_000);
    await new IngestStatusFlusher(t.db, accumulator, silentLogger, { intervalMs: 60_000 }).flush();

    await waitFor('ingest status of the writes', async () => {
      const answer = await callGateway<{ cloudAccount: { ingestStatus: { state: string; lastError: unknown } } }>(
        stack.gateway.url,
        'query($id: ID!) { cloudAccount(id: $id) { ingestStatus { state lastError { message } } } }',
        { id: clusters.sending.cloudAccount.id },
        tokens.admin,
      );
      return answer.data?.cloudAccount.ingestStatus.state === 'RECEIVING' && answer.data.cloudAccount.ingestStatus.lastError ? true : undefined;
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await t?.drop();
  });

  it('shows a read-only token no action it cannot take, on any page, and says why on the connect page', async () => {
    const context = await freshContext(browser);
    const page = await context.newPage();
    const report: string[] = [];
    for (const p of PAGES) {
      await openSignedIn(page, new URL(stack.gateway.url).origin, tokens.readOnly, p.route, p.heading);
      await page.waitForSelector('main :is(table, .empty, .panel, [role="status"])', { timeout: 30_000 });
      // The role arrives with the first answer; actions must not appear after it either.
      await page.waitForLoadState('networkidle');
      expect({ route: p.route, actions: await mutationActions(page) }).toEqual({ route: p.route, actions: [] });
      expect(await page.getByRole('navigation', { name: 'Main' }).textContent()).not.toContain('Connect');
      report.push(...(await axe(page, `read-only ${p.route}`)));
    }
    expect(await page.textContent('main')).toContain('Your API token is read-only');
    expect(await page.getByLabel('Cluster name').count()).toBe(0);
    await page.screenshot({ path: screenshotPath('connect-read-only'), fullPage: true });
    expect(report).toEqual([]);
    await context.close();
  }, 120_000);

  it('shows an admin token the connect actions', async () => {
    const context = await freshContext(browser);
    const page = await context.newPage();
    await openSignedIn(page, new URL(stack.gateway.url).origin, tokens.admin, '/connect', 'Connect a cluster');
    await page.getByLabel('Cluster name').waitFor();
    expect(await page.getByRole('button', { name: 'Create cluster' }).count()).toBe(1);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Connect a cluster' }).count()).toBe(1);
    // The detector the read-only test relies on sees the admin's actions.
    expect(await mutationActions(page)).toEqual(['link Connect a cluster', 'form connect-form', 'form cluster-name', 'button Create cluster']);
    await page.screenshot({ path: screenshotPath('connect-admin'), fullPage: true });
    await context.close();
  }, 60_000);

  it('shows each cluster\'s ingest state, last sample, dropped samples and last refused write as the API answers them', async () => {
    const context = await freshContext(browser);
    const page = await context.newPage();
    await openSignedIn(page, new URL(stack.gateway.url).origin, tokens.readOnly, '/clusters', 'Clusters');
    await page.waitForSelector('tr[data-cluster]');
    const cell = (name: keyof typeof clusters) => page.locator(`tr[data-cluster="${clusters[name].cloudAccount.id}"] [data-column="status"]`);
    expect(await cell('sending').locator('[data-ingest-state]').getAttribute('data-ingest-state')).toBe('receiving');
    expect(await cell('quiet').locator('[data-ingest-state]').getAttribute('data-ingest-state')).toBe('stale');
    expect(await cell('never').locator('[data-ingest-state]').getAttribute('data-ingest-state')).toBe('never');
    expect(await cell('sending').textContent()).toMatch(/last sample \d+ s ago/);
    expect(await cell('quiet').textContent()).toMatch(/stale \(last sample 6[1-9] min ago\)/);
    expect(await cell('sending').locator('[data-dropped]').textContent()).toBe('2 samples dropped in the last hour: invalid_metric_name 1, not_allowed 1');
    expect(await cell('sending').locator('[data-last-error]').textContent()).toMatch(/^Last refused write \(\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\): .+/);
    expect(await cell('never').textContent()).toBe('○ never received');
    expect(await axe(page, 'clusters')).toEqual([]);
    await page.screenshot({ path: screenshotPath('clusters-ingest-status'), fullPage: true });

    // The same status on the cluster's own page.
    await page.getByRole('link', { name: 'quiet' }).click();
    await page.waitForSelector('h1:text-is("quiet")');
    await page.waitForSelector('[data-ingest-state]');
    expect(await page.locator('[data-ingest-state]').getAttribute('data-ingest-state')).toBe('stale');
    expect(await page.textContent('[data-last-sample]')).toMatch(/Last sample \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(await axe(page, 'cluster detail')).toEqual([]);
    await context.close();
  }, 90_000);
});
