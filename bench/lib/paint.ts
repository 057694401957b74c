import { chromium, type Browser } from 'playwright-core';

/*
 * "Navigation → numbers painted" in Debian's Chromium, shared by the dashboard and fleet
 * benchmarks: each run in a fresh browser context (cold HTTP cache, no session).
 */

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Records, inside the page, when the selector first has content (ms since navigation start). */
const PAINT_PROBE = (selector: string) => `(() => {
  const seen = () => { const el = document.querySelector(${JSON.stringify(selector)}); return el && el.textContent.trim() !== ''; };
  new MutationObserver((_, observer) => {
    if (seen() && window.__paintedAt === undefined) { window.__paintedAt = performance.now(); observer.disconnect(); }
  }).observe(document, { childList: true, subtree: true, characterData: true });
})();`;

export interface Measured {
  paintedMs: number[];
  /** The page's GraphQL request, start to last byte, as the browser saw it. */
  apiMs: number[];
  /** Script files the route loaded. */
  scripts: string[];
}

/** `runs` navigations to `url`, each until `selector` has content. */
export async function measurePaint(browser: Browser, url: string, selector: string, runs: number): Promise<Measured> {
  const paintedMs: number[] = [];
  const apiMs: number[] = [];
  let scripts: string[] = [];
  for (let run = 0; run < runs; run++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(PAINT_PROBE(selector));
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { __paintedAt?: number }).__paintedAt !== undefined, undefined, { timeout: 120_000 });
    paintedMs.push(await page.evaluate(() => (window as unknown as { __paintedAt: number }).__paintedAt));
    apiMs.push(await page.evaluate(() => performance.getEntriesByType('resource').find((e) => e.name.endsWith('/graphql'))?.duration ?? NaN));
    await page.waitForLoadState('networkidle');
    scripts = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.endsWith('.js')));
    await context.close();
  }
  return { paintedMs, apiMs, scripts };
}
