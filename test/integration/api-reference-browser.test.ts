/// <reference lib="dom" />
import AxeBuilder from '@axe-core/playwright';
import type { Browser } from 'playwright-core';
import { createPgliteDatabase, type TestDatabase } from '../helpers/databases';
import { launchChromium, screenshotPath } from '../helpers/dashboard';
import { startTestStack, type TestStack } from '../helpers/stack';

/*
 * The REST reference as people open it: /docs in Debian's Chromium, every request to the
 * gateway's own origin (the page works offline), no CSP refusal, the document's operations
 * shown, a link to GraphiQL; /openapi.json a valid OpenAPI 3.1 document.
 */

describe('the API reference at /docs', () => {
  let t: TestDatabase;
  let stack: TestStack;
  let browser: Browser;
  let origin = '';

  beforeAll(async () => {
    t = await createPgliteDatabase();
    stack = await startTestStack(t.db);
    origin = new URL(stack.gateway.url).origin;
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await t?.drop();
  });

  it('serves a valid OpenAPI 3.1 document as JSON and YAML', async () => {
    const json = await fetch(`${origin}/openapi.json`);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toContain('application/json');
    const document = (await json.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    // An ES module: loaded the way CommonJS code loads one.
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const result = await new Validator().validate(document as unknown as Parameters<InstanceType<typeof Validator>['validate']>[0]);
    expect(result).toEqual({ valid: true });
    expect(Object.keys(document.paths).sort()).toEqual([
      '/api/v1/organizations/{organization_id}/imports/focus',
      '/metroculus/v2/kubecost_cluster_costs',
      '/metroculus/v2/kubecost_metrics',
      '/metroculus/v2/kubecost_savings',
      '/restapi/v2/organizations/{organization_id}/clean_expenses',
    ]);
    const yaml = await fetch(`${origin}/openapi.yaml`);
    expect(yaml.status).toBe(200);
    expect(await yaml.text()).toMatch(/^openapi: 3\.1\.0/);
  });

  it('renders every operation offline, without a CSP refusal, with a link to GraphiQL and no serious axe violation in its own part', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    const consoleErrors: string[] = [];
    page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    // Offline: anything leaving the origin fails.
    await page.route((url) => !url.href.startsWith(origin) && !url.href.startsWith('data:'), (route) => route.abort());

    const response = await page.goto(`${origin}/docs`, { waitUntil: 'networkidle' });
    expect(response?.status()).toBe(200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toContain('unsafe');
    await page.waitForSelector('.opblock', { timeout: 30_000 });
    const operations = await page.locator('.opblock-summary-path').allTextContents();
    expect(operations.map((o) => o.replace(/\u200b/g, '')).sort()).toEqual([
      '/api/v1/organizations/{organization_id}/imports/focus',
      '/metroculus/v2/kubecost_cluster_costs',
      '/metroculus/v2/kubecost_metrics',
      '/metroculus/v2/kubecost_savings',
      '/restapi/v2/organizations/{organization_id}/clean_expenses',
    ]);
    // One operation opened, as a reader would: its parameters and responses show.
    await page.locator('.opblock-summary', { hasText: 'kubecost_cluster_costs' }).click();
    await page.waitForSelector('.opblock.is-open .parameters', { timeout: 10_000 });
    expect(await page.locator('.opblock.is-open').textContent()).toContain('cloud_account_id');
    const graphiql = page.getByRole('link', { name: /GraphiQL/ });
    expect(await graphiql.getAttribute('href')).toBe('/graphiql');
    await page.screenshot({ path: screenshotPath('api-reference'), fullPage: false });

    expect(requested.filter((u) => !u.startsWith(origin) && !u.startsWith('data:'))).toEqual([]);
    expect(consoleErrors).toEqual([]);
    // Swagger UI's own markup is its maintainers'; the page's header and landmarks are ours.
    const result = await new AxeBuilder({ page }).include('.costgraph-links').withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    expect(result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
    await context.close();
  }, 90_000);
});
