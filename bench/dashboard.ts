/**
 * `npm run bench:dashboard`: the dashboard in Debian's headless Chromium against the whole
 * stack (`costgraph up` as a child process, as an operator runs it, filled by `costgraph demo`): navigation → overview
 * numbers painted and → cluster detail numbers painted, each run in a fresh browser profile
 * (cold HTTP cache), p50 and max; and the JavaScript each route loads, gzip bytes, initial
 * chunk apart; then Lighthouse's desktop scores of the overview and clusters pages
 * (BENCH_LIGHTHOUSE=0 skips them). Prints figures, asserts nothing. Needs the dashboard built
 * (scripts/setup).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { machineBusySeconds } from './lib/cpu';
import { lighthouseScores } from './lib/lighthouse';
import { CHROMIUM, launchChromium, measurePaint, type Measured } from './lib/paint';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dashboard', 'dist');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length - 1) * p))];

/** Starts `costgraph up` and reads its banner: the dashboard's origin, the token, the ingest URL. */
function up(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; origin: string; token: string; ingest: string }> {
  const child = spawn(path.join(ROOT, 'bin', 'costgraph'), ['up'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`costgraph up printed no banner within 60 s:\n${output}\n${errors.slice(-2000)}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const link = /Open the dashboard at (\S+)/.exec(output)?.[1];
      const ingest = /ingest\s+(\S+)/.exec(output)?.[1];
      if (link && ingest && output.includes('Ctrl-C')) {
        clearTimeout(timer);
        const url = new URL(link);
        resolve({ child, origin: url.origin, token: url.hash.replace('#token=', ''), ingest });
      }
    });
    child.once('exit', (code) => reject(new Error(`costgraph up exited with ${code}:\n${errors.slice(-2000)}`)));
  });
}

const gzipBytes = (urlPath: string) => fs.statSync(path.join(DIST, `${urlPath}.gz`)).size;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(DIST, 'index.html'))) throw new Error('build the dashboard first: npm run build:dashboard');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-bench-dashboard-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    GATEWAY_PORT: String(await freePort()),
    EXPENSES_PORT: String(await freePort()),
    KUBECOST_PORT: String(await freePort()),
    INGEST_PORT: String(await freePort()),
    GATEWAY_INTERNAL_PORT: String(await freePort()),
    EXPENSES_INTERNAL_PORT: String(await freePort()),
    KUBECOST_INTERNAL_PORT: String(await freePort()),
    INGEST_INTERNAL_PORT: String(await freePort()),
    THANOS_QUERY_URL: `http://127.0.0.1:${await freePort()}`,
    DATABASE_URL: '',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
  };
  // Its own process: the browser driver here must not share an event loop with the gateway.
  const stack = await up(env);
  const { origin, token } = stack;
  let browser: Browser | undefined;
  try {
    process.stdout.write('filling the stack with `costgraph demo`…\n');
    const { stdout } = await promisify(execFile)(path.join(ROOT, 'bin', 'costgraph'), ['demo', '--json', '--ingest-url', stack.ingest], {
      env: { ...env, PUBLIC_INGEST_URL: stack.ingest },
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    const demo = JSON.parse(stdout) as { clusters: Array<{ id: string; name: string }> };
    const prod = demo.clusters.find((c) => c.name === 'prod-eu-west-1')!;
    browser = await launchChromium();
    const html = fs.readFileSync(path.join(DIST, 'index.html'), 'utf8');
    const entry = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1];
    const preloads = [...html.matchAll(/rel="modulepreload"[^>]*href="([^"]+)"/g)].map((m) => m[1]);
    const initial = [entry, ...preloads];

    const busyBefore = machineBusySeconds();
    const started = Date.now();
    const routes = [
      { name: 'overview', url: `${origin}/#token=${token}`, selector: '[data-figure="total"] .money' },
      { name: 'cluster detail', url: `${origin}/clusters/${prod.id}#token=${token}`, selector: '[data-figure="cluster-total"] .money' },
      { name: 'clusters', url: `${origin}/clusters#token=${token}`, selector: 'tr[data-cluster] [data-column="total"] .money' },
      { name: 'expenses', url: `${origin}/expenses#token=${token}`, selector: '[data-figure="expenses-total"] .money' },
    ];
    const results: Array<{ name: string; m: Measured }> = [];
    for (const route of routes) results.push({ name: route.name, m: await measurePaint(browser, route.url, route.selector, RUNS) });
    const busy = busyBefore === undefined ? undefined : machineBusySeconds()! - busyBefore;

    process.stdout.write(`\nnavigation → numbers painted, ${RUNS} runs each, fresh browser profile per run (cold HTTP cache)\n`);
    process.stdout.write('route            first     p50      max    API p50   JS loaded (gzip)\n');
    for (const { name, m } of results) {
      const js = m.scripts.reduce((sum, p) => sum + gzipBytes(p), 0);
      process.stdout.write(
        `${name.padEnd(15)} ${m.paintedMs[0].toFixed(0).padStart(5)} ms ${percentile(m.paintedMs, 0.5).toFixed(0).padStart(5)} ms ${Math.max(...m.paintedMs).toFixed(0).padStart(5)} ms ${percentile(m.apiMs, 0.5).toFixed(0).padStart(5)} ms   ${kb(js)} (${m.scripts.length} files)\n`,
      );
    }
    process.stdout.write(`\ninitial JavaScript (every route): ${kb(initial.reduce((s, p) => s + gzipBytes(p), 0))} gzip (${initial.join(', ')})\n`);
    const chunks = fs.readdirSync(path.join(DIST, 'assets')).filter((f) => f.endsWith('.js'));
    process.stdout.write(`chunks: ${chunks.map((f) => `${f} ${kb(gzipBytes(`/assets/${f}`))}`).join(', ')}\n`);
    if (busy !== undefined) process.stdout.write(`machine busy during the runs: ${(busy / ((Date.now() - started) / 1000)).toFixed(2)} of ${os.cpus().length} CPUs\n`);
    if (process.env.BENCH_LIGHTHOUSE !== '0') {
      const pages = [
        ['overview', `${origin}/#token=${token}`],
        ['clusters', `${origin}/clusters#token=${token}`],
      ] as const;
      const scores = await lighthouseScores(CHROMIUM, pages.map(([, url]) => url));
      process.stdout.write('\nLighthouse 12.2.3, desktop preset: performance / accessibility / best practices\n');
      pages.forEach(([name], i) => process.stdout.write(`${name.padEnd(15)} ${scores[i].performance} / ${scores[i].accessibility} / ${scores[i].bestPractices}\n`));
    }
  } finally {
    await browser?.close();
    const exited = new Promise((resolve) => stack.child.once('exit', resolve));
    stack.child.removeAllListeners('exit');
    stack.child.kill('SIGINT');
    await exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:dashboard: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
