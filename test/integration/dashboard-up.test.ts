/// <reference lib="dom" />
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { assertDashboardBuilt, launchChromium } from '../helpers/dashboard';

const BIN = path.join(__dirname, '..', '..', 'bin', 'costgraph');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('costgraph up serves the dashboard and prints its sign-in link', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  let browser: Browser | undefined;

  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opens the link in a browser, signed in, and the token reaches no log nor the server in a URL', async () => {
    assertDashboardBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-up-dashboard-'));
    // All at once: a port released by one call could be handed out again by a later one.
    const [gateway, expenses, kubecost, ingest, prometheus, ...internal] = await Promise.all(Array.from({ length: 9 }, () => freePort()));
    const env = {
      ...process.env,
      DATA_DIR: dir,
      GATEWAY_PORT: String(gateway),
      EXPENSES_PORT: String(expenses),
      KUBECOST_PORT: String(kubecost),
      INGEST_PORT: String(ingest),
      GATEWAY_INTERNAL_PORT: String(internal[0]),
      EXPENSES_INTERNAL_PORT: String(internal[1]),
      KUBECOST_INTERNAL_PORT: String(internal[2]),
      INGEST_INTERNAL_PORT: String(internal[3]),
      THANOS_QUERY_URL: `http://127.0.0.1:${prometheus}`,
      DATABASE_URL: '',
      // Every request the services log, so the check below sees them all.
      LOG_LEVEL: 'debug',
      NODE_ENV: 'production',
    };
    child = spawn(BIN, ['up'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let logs = '';
    child.stderr!.on('data', (chunk: Buffer) => (logs += chunk.toString()));
    const link = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner within 60 s:\n${output}\n${logs.slice(-2000)}`)), 60_000);
      child!.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const found = /Open the dashboard at (\S+)/.exec(output)?.[1];
        if (found && output.includes('Ctrl-C')) {
          clearTimeout(timer);
          resolve(found);
        }
      });
    });
    const token = /Authorization: Bearer (\S+)/.exec(output)![1];
    expect(link).toBe(`http://127.0.0.1:${gateway}/#token=${token}`);

    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(link);
    await page.waitForSelector('h1:text-is("Overview")', { timeout: 30_000 });
    // An empty organization: the page says what to do rather than showing $0.00.
    await page.getByText('No costs in this range yet').waitFor({ timeout: 30_000 });
    expect(page.url()).toBe(`http://127.0.0.1:${gateway}/`);
    expect(await page.textContent('[data-figure="total"] .figure-value')).toBe('no data');
    expect(logs).not.toContain(token);
  }, 120_000);
});
