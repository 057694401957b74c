/// <reference lib="dom" />
// page.evaluate callbacks run in the browser: they use its document.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { parse } from 'csv-parse/sync';
import { createOrganization } from '../../lib/accounts/repository';
import { createApiToken } from '../../lib/accounts/api-tokens';
import { importFocusFile } from '../../subgraphs/expenses/import/import-focus';
import { FOCUS_SAMPLE_CSV } from '../../cli/demo/fixtures';
import { freshContext, openSignedIn, screenshotPath, startDashboardStack, type DashboardStack } from '../helpers/dashboard';

const HOSTILE = {
  account: '"><img src=x onerror="window.__pwned=1">',
  service: '<script>window.__pwned=1</script>',
  region: '\u202Eevil-region مرحبا \'quoted\'',
  resource: `r-${'ﷺx'.repeat(149)}`,
  tagKey: '<b>team</b>',
  tagValue: '\'; DROP TABLE expenses; -- "x"',
};

/** The fixture's first row, rewritten with hostile values, dated yesterday. */
function hostileFocusFile(): string {
  const [header, ...rows] = parse(fs.readFileSync(FOCUS_SAMPLE_CSV, 'utf8'), { relax_quotes: true }) as string[][];
  const row = [...rows[0]];
  const set = (column: string, value: string) => {
    const index = header.indexOf(column);
    if (index < 0) throw new Error(`no ${column} column`);
    row[index] = value;
  };
  const day = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000);
  const stamp = (d: Date) => d.toISOString().replace('T', ' ').slice(0, 19);
  const month = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), 1));
  set('SubAccountName', HOSTILE.account);
  set('SubAccountId', 'hostile-account-1');
  set('ServiceName', HOSTILE.service);
  set('RegionId', HOSTILE.region);
  set('ResourceId', HOSTILE.resource);
  set('Tags', JSON.stringify({ [HOSTILE.tagKey]: HOSTILE.tagValue }));
  set('ChargePeriodStart', stamp(new Date(day.getTime() + 10 * 3_600_000)));
  set('ChargePeriodEnd', stamp(new Date(day.getTime() + 11 * 3_600_000)));
  set('BillingPeriodStart', stamp(month));
  set('BillingPeriodEnd', stamp(new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 1))));
  set('BilledCost', '12.5');
  const quote = (v: string) => (v === 'NULL' ? v : `"${v.replace(/"/g, '""')}"`);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-hostile-')), 'hostile.csv');
  fs.writeFileSync(file, `${header.map(quote).join(',')}\n${row.map(quote).join(',')}\n`);
  return file;
}

const PAGES = [
  { name: 'overview', route: '/', heading: 'Overview', ready: '[data-figure="total"] .money' },
  { name: 'clusters', route: '/clusters', heading: 'Clusters', ready: 'tr[data-cluster]' },
  { name: 'cluster-detail', route: '/clusters/:prod', heading: 'prod-eu-west-1', ready: '[data-figure="cluster-total"] .money' },
  { name: 'expenses', route: '/expenses', heading: 'Expenses', ready: 'table.items' },
  { name: 'connect', route: '/connect', heading: 'Connect a cluster', ready: '#cluster-name' },
];

describe('dashboard accessibility and hostile data', () => {
  let d: DashboardStack;
  let hostileToken: string;

  beforeAll(async () => {
    d = await startDashboardStack();
    const org = await createOrganization(d.t.db, 'Hostile org');
    hostileToken = (await createApiToken(d.t.db, org.id, 'hostile')).token;
    const file = hostileFocusFile();
    try {
      await importFocusFile(d.t.db, org.id, file);
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  }, 240_000);

  afterAll(async () => {
    await d?.stop();
  });

  const prodId = () => d.demo.clusters.find((c) => c.name === 'prod-eu-west-1')!.id;

  it.each(['light', 'dark'] as const)('has no serious or critical axe violations on any page (%s theme)', async (theme) => {
    const context = await freshContext(d.browser, theme);
    const page = await context.newPage();
    const report: string[] = [];
    // A CSP refusal (an inline style or script somewhere) shows up as a console error.
    const consoleErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    // The sign-in page first, then every page signed in.
    await page.goto(`${d.origin}/`);
    await page.getByLabel('API token').waitFor();
    for (const [name, result] of [['sign-in', await new AxeBuilder({ page }).analyze()] as const]) {
      for (const v of result.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) report.push(`${name}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }
    await page.screenshot({ path: screenshotPath(`sign-in-${theme}`) });
    for (const p of PAGES) {
      await openSignedIn(page, d.origin, d.token, p.route.replace(':prod', prodId()), p.heading);
      await page.waitForSelector(p.ready, { timeout: 30_000 });
      if (await page.locator('.chart').count()) {
        await page.waitForSelector('.chart canvas', { timeout: 30_000 });
        // The chart's tooltip is styled from script: hovering shows it without a CSP refusal.
        const box = (await page.locator('.chart').first().boundingBox())!;
        await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.6);
        await page.waitForTimeout(300);
      }
      const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
      for (const v of result.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) report.push(`${p.name}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      await page.screenshot({ path: screenshotPath(`${p.name}-${theme}`), fullPage: true });
    }
    expect(report).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await context.close();
  }, 180_000);

  it('shows hostile strings from a FOCUS file as text', async () => {
    const context = await freshContext(d.browser);
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await openSignedIn(page, d.origin, hostileToken, '/expenses', 'Expenses');
    await page.waitForSelector('table.items tbody tr');
    const text = await page.textContent('table.items');
    for (const value of [HOSTILE.account, HOSTILE.service, HOSTILE.region, HOSTILE.resource, `${HOSTILE.tagKey}=${HOSTILE.tagValue}`]) expect(text).toContain(value);
    await page.selectOption('#breakdown-by', 'CLOUD_ACCOUNT');
    await page.waitForSelector('h2:text("Breakdown by cloud account")');
    await page.waitForFunction((name) => document.querySelector('table.bars')?.textContent?.includes(name), HOSTILE.account);
    await page.screenshot({ path: screenshotPath('expenses-hostile'), fullPage: true });
    await openSignedIn(page, d.origin, hostileToken, '/', 'Overview');
    await page.waitForSelector('table.bars');
    expect(await page.textContent('table.bars')).toContain(HOSTILE.service);
    // Nothing ran and nothing was parsed as markup.
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('img[src="x"], main script, main b').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await context.close();
  }, 90_000);
});
