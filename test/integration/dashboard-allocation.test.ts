/// <reference lib="dom" />
import fs from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { callGateway } from '../helpers/stack';
import { freshContext, last30Days, money, openSignedIn, screenshotPath, startDashboardStack, type DashboardStack } from '../helpers/dashboard';

/*
 * The allocation page as people use it, against the demo stack: the rows the API answers, their
 * sum the clusters' total, a label and a second dimension picked, a CSV download, a treemap,
 * no serious axe violation, in both themes.
 */

const ALLOCATION = `query($range: DateRangeInput!, $by: [AllocationGroup!]!) { organizations { currency kubernetesCosts(range: $range) { totalCost
  allocation(by: $by, top: 50) { rows { cluster { name } name totalCost } totalCost } } } }`;
type Answer = { organizations: Array<{ currency: string; kubernetesCosts: { totalCost: number; allocation: { totalCost: number; rows: Array<{ cluster: { name: string } | null; name: string; totalCost: number }> } } }> };

describe('the allocation page in headless Chromium', () => {
  let d: DashboardStack;

  beforeAll(async () => {
    d = await startDashboardStack();
  }, 240_000);

  afterAll(async () => {
    await d?.stop();
  });

  const api = async (by: unknown[]) => {
    const range = last30Days();
    const answer = await callGateway<Answer>(d.stack.gateway.url, ALLOCATION, { range: { from: range.from, to: range.to }, by }, d.token);
    expect(answer.errors).toBeUndefined();
    return answer.data!.organizations[0];
  };

  it('shows every cluster\'s rows by namespace, summing to the clusters\' total, then by team × controller, and downloads them', async () => {
    const context = await freshContext(d.browser);
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await openSignedIn(page, d.origin, d.token, '/allocation', 'Allocation');
    await page.waitForSelector('.allocation-table tbody tr', { timeout: 30_000 });

    const byNamespace = await api([{ dimension: 'NAMESPACE' }]);
    const currency = byNamespace.currency;
    const { allocation, totalCost } = byNamespace.kubernetesCosts;
    expect(Math.abs(allocation.totalCost - totalCost) / totalCost).toBeLessThan(1e-4);
    expect(await page.textContent('[data-figure="allocation-total"] .figure-value')).toBe(money(allocation.totalCost, currency));
    const shown = await page.$$eval('.allocation-table tbody tr', (rows) => rows.map((r) => [r.querySelector('td')!.textContent, r.querySelector('th')!.textContent, r.querySelectorAll('td')[8]!.textContent]));
    expect(shown).toEqual(allocation.rows.map((r) => [r.cluster?.name ?? 'several', r.name, money(r.totalCost, currency)]));
    expect(shown.map(([, name]) => name)).toEqual(expect.arrayContaining(['web', 'data', '__idle__']));
    await page.waitForSelector('.chart canvas', { timeout: 30_000 });
    await page.screenshot({ path: screenshotPath('allocation-namespace'), fullPage: true });

    // By the team label, then by controller: the URL keeps the choice.
    await page.getByLabel('Group by').selectOption('LABEL');
    await page.getByLabel('Label key', { exact: true }).fill('team');
    await page.getByLabel('Then by').selectOption('CONTROLLER');
    await page.getByRole('button', { name: 'Show allocation' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('.allocation-table tbody th')].some((th) => th.textContent?.startsWith('storefront / ')));
    expect(new URL(page.url()).searchParams.get('key')).toBe('team');
    const byTeam = await api([{ dimension: 'LABEL', labelKey: 'team' }, { dimension: 'CONTROLLER' }]);
    const names = await page.$$eval('.allocation-table tbody th', (ths) => ths.map((th) => th.textContent));
    expect(names).toEqual(byTeam.kubernetesCosts.allocation.rows.map((r) => r.name));
    expect(names).toEqual(expect.arrayContaining(['storefront / web/deployment/web', 'data / data/statefulset/data', 'data / batch/cronjob/nightly-report', 'platform / kube-system/deployment/kube-system']));

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    const lines = fs.readFileSync((await download.path())!, 'utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe('cluster,label:team,controller,cpu,ram,gpu,persistent_volumes,network,load_balancers,shared,total_cost,efficiency');
    expect(lines).toHaveLength(byTeam.kubernetesCosts.allocation.rows.length + 1);
    const csvTotal = lines.slice(1).reduce((sum, line) => sum + Number(line.split(',').at(-2)), 0);
    expect(Math.abs(csvTotal - byTeam.kubernetesCosts.allocation.totalCost)).toBeLessThan(0.01);
    await page.screenshot({ path: screenshotPath('allocation-team'), fullPage: true });
    expect(consoleErrors).toEqual([]);
    await context.close();
  }, 120_000);

  it.each(['light', 'dark'] as const)('has no serious or critical axe violations (%s theme)', async (theme) => {
    const context = await freshContext(d.browser, theme);
    const page = await context.newPage();
    await openSignedIn(page, d.origin, d.token, '/allocation?by=LABEL&key=team&idle=SHARE_BY_COST&shared=kube-system', 'Allocation');
    await page.waitForSelector('.allocation-table tbody tr', { timeout: 30_000 });
    await page.waitForSelector('.chart canvas', { timeout: 30_000 });
    const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
    expect(result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    await page.screenshot({ path: screenshotPath(`allocation-shared-${theme}`), fullPage: true });
    await context.close();
  }, 90_000);
});
