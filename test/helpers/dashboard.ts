import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createApiToken } from '../../lib/accounts/api-tokens';
import { runDemo, type DemoResult } from '../../cli/demo/run-demo';
import { createPgliteDatabase, type TestDatabase } from './databases';
import { waitFor } from './promql';
import { startTestStack, type TestStack } from './stack';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const ROOT = path.join(__dirname, '..', '..');
/** Screenshots of the tests, for people to look at (not committed). */
export const SCREENSHOT_DIR = path.join(ROOT, '.tmp', 'screenshots');

/** The real stack filled by `costgraph demo`, a token for its organization, and Debian's Chromium. */
export interface DashboardStack {
  t: TestDatabase;
  stack: TestStack;
  origin: string;
  demo: DemoResult;
  token: string;
  browser: Browser;
  stop(): Promise<void>;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // As root in a sandbox-less container; no background traffic to Google's hosts.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export function assertDashboardBuilt(): void {
  if (!fs.existsSync(path.join(ROOT, 'dashboard', 'dist', 'index.html'))) throw new Error('the dashboard is not built: run scripts/setup or npm run build:dashboard');
}

export async function startDashboardStack(): Promise<DashboardStack> {
  assertDashboardBuilt();
  const t = await createPgliteDatabase();
  // Verdicts cached for a second: a revoked token is refused without a long wait.
  // Ingest status flushed often, so the demo's clusters read "receiving" right after it.
  const stack = await startTestStack(t.db, { TOKEN_CACHE_TTL: '1s', INGEST_STATUS_FLUSH_INTERVAL: '300ms' });
  const demo = await runDemo({ db: t.db, ingestUrl: stack.ingest.url, publicIngestUrl: `${stack.ingest.url}/api/v1/write` });
  await waitFor('the demo clusters\' ingest status', async () => {
    const [{ waiting }] = await t.db.query<{ waiting: number }>(
      `SELECT count(*)::int AS waiting FROM cloud_accounts a LEFT JOIN ingest_status s ON s.cloud_account_id = a.id
        WHERE a.organization_id = $1 AND a.type = 'kubernetes' AND a.deleted_at IS NULL AND s.last_received_at IS NULL`,
      [demo.organizationId],
    );
    return waiting === 0 ? true : undefined;
  });
  const token = (await createApiToken(t.db, demo.organizationId, 'dashboard test')).token;
  const browser = await launchChromium();
  return {
    t,
    stack,
    origin: new URL(stack.gateway.url).origin,
    demo,
    token,
    browser,
    stop: async () => {
      await browser.close();
      await stack.stop();
      await t.drop();
    },
  };
}

/** Signs in through a `#token=` link and waits for the page's heading. */
export async function openSignedIn(page: Page, origin: string, token: string, route: string, heading: string): Promise<void> {
  await page.goto(`${origin}${route}#token=${token}`);
  await page.waitForSelector(`h1:text-is("${heading}")`, { timeout: 30_000 });
}

/** A fresh browser profile (empty cache and sessionStorage) in the given theme. */
export function freshContext(browser: Browser, colorScheme: 'light' | 'dark' = 'light'): Promise<BrowserContext> {
  return browser.newContext({ colorScheme, viewport: { width: 1280, height: 900 } });
}

/** What the dashboard shows for an amount (its one formatter, the same options). */
export function money(value: number, currency = 'USD'): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(value);
}

/** The page's range for the last 30 days preset (its default). */
export function last30Days(now = Date.now()): { from: string; to: string; days: { from: string; to: string } } {
  const DAY = 86_400_000;
  const to = Math.floor(now / DAY) * DAY + DAY;
  const from = to - 30 * DAY;
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), days: { from: new Date(from).toISOString().slice(0, 10), to: new Date(to).toISOString().slice(0, 10) } };
}

export function screenshotPath(name: string): string {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return path.join(SCREENSHOT_DIR, `${name}.png`);
}
