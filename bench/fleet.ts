/*
 * Fleet benchmark: prints figures, asserts nothing. `npm run bench:fleet`.
 *
 * For each fleet size N (BENCH_FLEET_CLUSTERS, default 1,10,50,100,200), a fresh stack:
 * PostgreSQL (scratch database), Prometheus 2.42, the ingest worker, both subgraphs and the
 * gateway, each service in a process of its own. N clusters are created in one organization
 * and their history (30 days at 5-minute scrapes, the last day at 1-minute scrapes) goes
 * through the ingest worker in time order, each cluster with its own credential; live writes
 * then continue every minute while the headline query runs through the gateway with an API
 * token:
 *   (a) a 30-day range none of whose hours are rolled up (the organization's rollups deleted
 *       before each run) and that no cache holds (each run ends a minute earlier), against the
 *       whole-hours PromQL sent straight to Prometheus; the first run is the rollup build;
 *   (b) the rolling last 30 days, each run's range a minute later than the previous one, and
 *       (b′) the same ends with the start on the hour;
 *   (c) the last (b) range repeated.
 * Plus PromQL requests per GraphQL request (the kubecost subgraph's own counter), ingest CPU
 * per 1,000 samples, RSS of every process, and at the largest N the dashboard's overview painted.
 */
import { type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApiToken } from '../lib/accounts/api-tokens';
import { createOrganization } from '../lib/accounts/repository';
import { startLocalPrometheus, type LocalPrometheus } from '../cli/local/local-prometheus';
import { createScratchPostgres, type ScratchPostgres } from '../dev/scratch-databases';
import { clusterSeriesSpecs, writeClusters, type ClusterWrite } from '../cli/demo/synthetic-cluster';
import { HEADLINE_QUERY_FILE } from '../gateway/server';
import { hourEvaluatedAt, hourQuery } from '../subgraphs/kubecost/costs/pieces';
import { tenantSelector } from '../subgraphs/kubecost/promql/matchers';
import { RollupStore } from '../subgraphs/kubecost/rollups/rollup-store';
import { cpuSnapshot, processCpuSeconds } from './lib/cpu';
import { createFleet, fleetEnv, type FleetMember } from './lib/fleet-stack';
import { launchChromium, measurePaint } from './lib/paint';
import { rssMiB, startChild, stopChild } from './lib/processes';
import { quantile } from './lib/stats';

const COUNTS = (process.env.BENCH_FLEET_CLUSTERS ?? '1,10,50,100,200').split(',').map(Number).filter((n) => n > 0);
const DAYS = Number(process.env.BENCH_FLEET_DAYS ?? 30) || 30;
/**
 * Each cold run (and its raw PromQL) reads the whole month of every cluster, about a second per
 * cluster on 2 shared cores: 5 up to 10 clusters, 2 up to 50, 1 beyond.
 */
const coldRuns = (n: number) => Number(process.env.BENCH_FLEET_COLD_RUNS ?? (n <= 10 ? 5 : n <= 50 ? 2 : 1)) || 1;
const ROLLING_RUNS = Number(process.env.BENCH_FLEET_ROLLING_RUNS ?? 20) || 20;
const REPEAT_RUNS = 50;
const LIVE_ROUNDS = 2;
const PAINT_RUNS = Number(process.env.BENCH_FLEET_PAINT_RUNS ?? 5) || 5;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** History before the measured ranges' start, so ranges shifted back a few hours still see full data. */
const MARGIN = 6 * HOUR;
const HEADLINE = fs.readFileSync(HEADLINE_QUERY_FILE, 'utf8');

const out = (text = '') => process.stdout.write(`${text}\n`);
const log = (text: string) => process.stderr.write(`${text}\n`);
const fmt = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(value < 10 && digits === 0 ? 1 : digits) : '-');
const minuteOf = (ms: number) => Math.floor(ms / MINUTE) * MINUTE;

interface Range {
  from: Date;
  to: Date;
}
const rangeEnding = (toMs: number): Range => ({ from: new Date(toMs - DAYS * DAY), to: new Date(toMs) });

/** The kubecost subgraph's own PromQL counters, read from its internal /metrics. */
async function promqlCounters(internalUrl: string): Promise<{ requests: number; seconds: number }> {
  const text = await (await fetch(`${internalUrl}/metrics`)).text();
  const sum = (name: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  return { requests: sum('costgraph_kubecost_promql_requests_total'), seconds: sum('costgraph_kubecost_promql_duration_seconds_sum') };
}

interface Timed {
  ms: number;
  promql: number;
  promqlMs: number;
}

/**
 * Writes, once a minute, every cluster's samples since the previous write through ingest (the
 * last day's 1-minute scrapes, continued), and the ingest worker's CPU time spent on them.
 */
class LiveWriter {
  samples = 0;
  rounds = 0;
  ingestCpuSeconds = 0;
  private writtenTo: number;
  private timer?: NodeJS.Timeout;
  private running = Promise.resolve();

  constructor(
    private readonly url: string,
    private readonly clusters: ReadonlyArray<Pick<FleetMember, 'fine' | 'headers'>>,
    fromMs: number,
    private readonly ingestPid: number,
  ) {
    this.writtenTo = fromMs;
  }

  /** Everything up to the current minute. */
  async catchUp(): Promise<void> {
    const to = minuteOf(Date.now());
    if (to <= this.writtenTo) return;
    const writes: ClusterWrite[] = this.clusters.map(({ fine, headers }) => ({ cluster: { ...fine, startMs: this.writtenTo, endMs: to }, headers }));
    const before = processCpuSeconds(this.ingestPid) ?? NaN;
    const written = await writeClusters(this.url, writes, { live: true });
    this.ingestCpuSeconds += (processCpuSeconds(this.ingestPid) ?? NaN) - before;
    this.samples += written.reduce((a, b) => a + b, 0);
    this.rounds++;
    this.writtenTo = to;
  }

  /** Once a minute, as the clusters' Prometheus would send. */
  start(): void {
    this.samples = 0;
    this.rounds = 0;
    this.ingestCpuSeconds = 0;
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.catchUp()).catch((error: unknown) => void log(`live write failed: ${String(error)}`));
    }, MINUTE);
  }

  /** Stops once at least `rounds` minutes were written since start(). */
  async stop(rounds = 0): Promise<void> {
    while (this.timer && this.rounds < rounds) await new Promise((resolve) => setTimeout(resolve, 1000));
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}

interface Figures {
  n: number;
  seriesPerCluster: number;
  backfill: { samples: number; seconds: number; compactionSeconds: number; ingestMsPer1k: number; prometheusMsPer1k: number; senderMsPer1k: number; otherCores: number };
  cold: Timed[];
  raw: number[];
  /** `savedMs`: after the answer, until the hours computed for it are stored (the subgraph keeps them off the answer path). */
  build: { ms: number; promql: number; prometheusCpuSeconds: number; rows: number; savedMs: number };
  rolling: Timed[];
  /** (b) with the start on the hour. */
  rollingOnTheHour: Timed[];
  repeat: Timed[];
  rollupReadMs: number[];
  live: { samples: number; ingestMsPer1k: number };
  otherCores: number;
  rss: Record<string, number | undefined>;
  paint?: { first: number; p50: number; max: number; apiP50: number };
}

async function runFleet(n: number, paint: boolean): Promise<Figures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-bench-fleet-'));
  const children: ChildProcess[] = [];
  let t: ScratchPostgres | undefined;
  let prometheus: LocalPrometheus | undefined;
  let live: LiveWriter | undefined;
  try {
    t = await createScratchPostgres();
    // A cold month of 200 clusters takes Prometheus longer than its default 2-minute query timeout here.
    prometheus = await startLocalPrometheus({ dataDir: path.join(dir, 'prometheus'), port: 0, queryTimeout: '15m' });
    const env = fleetEnv(t.url, dir, prometheus.url);
    const ingest = await startChild([path.join(__dirname, 'lib', 'ingest-process.ts')], env);
    children.push(ingest.child);
    const ingestPid = ingest.child.pid!;

    const org = (await createOrganization(t.db, `fleet-${n}`)).id;
    const token = (await createApiToken(t.db, org, 'bench')).token;
    const nowMs = minuteOf(Date.now());
    const clusters = await createFleet(t.db, org, n, ingest.info.url, { days: DAYS, nowMs, marginMs: MARGIN });
    const ids = clusters.map((c) => c.id);
    const seriesPerCluster = clusters.reduce((sum, c) => sum + clusterSeriesSpecs(c.coarse).length, 0) / n;

    // History, in time order: the 5-minute phase, then the 1-minute day, then whatever minutes passed meanwhile.
    log(`N=${n}: writing ${DAYS} days of ${n} clusters (${fmt(seriesPerCluster, 1)} series each) through ingest ...`);
    const backfillCpu = cpuSnapshot({ ingest: ingestPid, prometheus: prometheus.pid }, 'bench');
    const started = Date.now();
    let samples = 0;
    for (const phase of ['coarse', 'fine'] as const) {
      const written = await writeClusters(ingest.info.url, clusters.map((c) => ({ cluster: c[phase], headers: c.headers })), { live: true });
      samples += written.reduce((a, b) => a + b, 0);
    }
    live = new LiveWriter(ingest.info.url, clusters, nowMs, ingestPid);
    await live.catchUp();
    samples += live.samples;
    const writeSeconds = (Date.now() - started) / 1000;
    const backfillUsed = backfillCpu();
    log(`N=${n}: ${(samples / 1e6).toFixed(1)}M samples in ${writeSeconds.toFixed(0)} s; waiting for compaction ...`);
    const compactionStarted = Date.now();
    await prometheus.settled(60 * MINUTE);
    const compactionSeconds = (Date.now() - compactionStarted) / 1000;

    const services = await startChild([path.join(__dirname, 'lib', 'gateway-services.ts')], env);
    children.push(services.child);
    const gateway = await startChild([path.join(__dirname, 'lib', 'gateway-process.ts'), 'costgraph'], { ...env, EXPENSES_URL: services.info.expenses, KUBECOST_URL: services.info.kubecost });
    children.push(gateway.child);
    await live.catchUp();
    live.start();
    const measureCpu = cpuSnapshot({ prometheus: prometheus.pid, services: services.child.pid!, gateway: gateway.child.pid!, ingest: ingestPid }, 'bench');

    const headline = async (range: Range): Promise<Timed> => {
      const before = await promqlCounters(services.info.kubecostInternal);
      const t0 = performance.now();
      const response = await fetch(gateway.info.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: HEADLINE, variables: { org, range: { from: range.from.toISOString(), to: range.to.toISOString() } } }),
      });
      const body = (await response.json()) as { data?: { organization?: { kubernetesCosts?: { clusters: unknown[] } } }; errors?: unknown[] };
      const ms = performance.now() - t0;
      if (body.errors || body.data?.organization?.kubernetesCosts?.clusters.length !== n) throw new Error(`headline failed: ${JSON.stringify(body).slice(0, 500)}`);
      const after = await promqlCounters(services.info.kubecostInternal);
      return { ms, promql: after.requests - before.requests, promqlMs: (after.seconds - before.seconds) * 1000 };
    };
    /** What the subgraph would ask the store for the range's whole hours, straight to Prometheus. */
    const rawPromql = async (range: Range): Promise<number> => {
      const firstHourEnd = Math.ceil(range.from.getTime() / HOUR) * HOUR + HOUR;
      const lastHourEnd = Math.floor(range.to.getTime() / HOUR) * HOUR;
      const t0 = performance.now();
      const response = await fetch(`${prometheus!.url}/api/v1/query_range`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: hourQuery(tenantSelector(ids)), start: String(hourEvaluatedAt(firstHourEnd - HOUR) / 1000), end: String(hourEvaluatedAt(lastHourEnd - HOUR) / 1000), step: '3600' }),
      });
      const body = (await response.json()) as { status: string; error?: string };
      if (body.status !== 'success') throw new Error(`PromQL failed: ${body.error}`);
      return performance.now() - t0;
    };
    const forgetRollups = () => t!.db.query('DELETE FROM kubecost_hourly_costs WHERE cloud_account_id = ANY($1::uuid[])', [ids]);
    const storedRows = async () => Number((await t!.db.query<{ rows: string }>('SELECT count(*) AS rows FROM kubecost_hourly_costs WHERE cloud_account_id = ANY($1::uuid[])', [ids]))[0].rows);
    /** Waits until the rows a query computed are stored (the count holds still for a second); how long that took. */
    const rollupsSaved = async (): Promise<{ rows: number; ms: number }> => {
      const t0 = performance.now();
      let last = -1;
      let still = 0;
      while (still < 5) {
        const rows = await storedRows();
        still = rows === last && rows > 0 ? still + 1 : 0;
        last = rows;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return { rows: last, ms: performance.now() - t0 - 1000 };
    };

    // (a) Cold ranges, alternating with the raw PromQL (which goes first alternates too). Each
    // ends an hour and a minute before the previous one, so that neither its whole hours (the
    // subgraph's PromQL result cache is keyed by them) nor its ends were asked before.
    log(`N=${n}: cold ranges ...`);
    const cold: Timed[] = [];
    const raw: number[] = [];
    let build: Figures['build'] | undefined;
    const coldEnd = minuteOf(Date.now()) - 2 * HOUR;
    for (let i = 0; i < coldRuns(n); i++) {
      const range = rangeEnding(coldEnd - i * (HOUR + MINUTE));
      await forgetRollups();
      if (i % 2 === 1) raw.push(await rawPromql(range));
      const promCpu = cpuSnapshot({ prometheus: prometheus.pid }, 'bench');
      const timed = await headline(range);
      cold.push(timed);
      // Stored after the answer: the next run starts on a quiet database.
      const saved = await rollupsSaved();
      if (i === 0) build = { ms: timed.ms, promql: timed.promql, prometheusCpuSeconds: promCpu().prometheus ?? NaN, rows: saved.rows, savedMs: saved.ms };
      if (i % 2 === 0) raw.push(await rawPromql(range));
    }

    // (b) The rolling last 30 days, a minute later each time (simulated: the end advances by
    // 60 s per run instead of waiting a minute); the first range, which rolls up the hours
    // closed since the cold ranges' end, is not counted.
    log(`N=${n}: cold p50 ${fmt(quantile(cold.map((r) => r.ms), 0.5))} ms, raw PromQL p50 ${fmt(quantile(raw, 0.5))} ms; rolling ranges ...`);
    const rollingEnd = minuteOf(Date.now()) - ROLLING_RUNS * MINUTE;
    await headline(rangeEnding(rollingEnd - MINUTE));
    // With BENCH_PROFILE_DIR, the services and the gateway record CPU profiles of one phase:
    // BENCH_PROFILE_PHASE, `repeat` (c) by default, or `rolling` (b).
    const profiled = process.env.BENCH_PROFILE_DIR ? [services.child, gateway.child] : [];
    const profile = (phase: 'rolling' | 'repeat') => (process.env.BENCH_PROFILE_PHASE ?? 'repeat') === phase && profiled.forEach((child) => child.kill('SIGUSR2'));
    const rolling: Timed[] = [];
    profile('rolling');
    for (let i = 0; i < ROLLING_RUNS; i++) rolling.push(await headline(rangeEnding(rollingEnd + i * MINUTE)));
    profile('rolling');

    // (c) The last rolling range again.
    const repeat: Timed[] = [];
    profile('repeat');
    for (let i = 0; i < REPEAT_RUNS; i++) repeat.push(await headline(rangeEnding(rollingEnd + (ROLLING_RUNS - 1) * MINUTE)));
    profile('repeat');

    // (b′) The same ends with the start on the hour (as the dashboard's presets start on a UTC
    // midnight): no partial first hour to read from raw samples.
    const onTheHour = (toMs: number): Range => ({ from: new Date(Math.floor((toMs - DAYS * DAY) / HOUR) * HOUR), to: new Date(toMs) });
    await headline(onTheHour(rollingEnd - MINUTE));
    const rollingOnTheHour: Timed[] = [];
    for (let i = 0; i < ROLLING_RUNS; i++) rollingOnTheHour.push(await headline(onTheHour(rollingEnd + i * MINUTE)));

    log(`N=${n}: rolling p50 ${fmt(quantile(rolling.map((r) => r.ms), 0.5))} ms (start on the hour: ${fmt(quantile(rollingOnTheHour.map((r) => r.ms), 0.5))} ms), repeat p50 ${fmt(quantile(repeat.map((r) => r.ms), 0.5))} ms`);

    // The rolled-up part of a rolling range read alone, as the subgraph reads it (state, then
    // the closed hours summed per cluster).
    const rollups = new RollupStore(t.db);
    const rollupReadMs: number[] = [];
    const closedFrom = Math.ceil((rollingEnd - DAYS * DAY) / HOUR) * HOUR;
    const closedTo = Math.floor((rollingEnd - 15 * MINUTE) / HOUR) * HOUR - HOUR;
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      await rollups.prepare(ids);
      await rollups.sums(ids, closedFrom, closedTo, Number.MAX_SAFE_INTEGER);
      rollupReadMs.push(performance.now() - t0);
    }

    let paintFigures: Figures['paint'];
    if (paint) {
      log(`N=${n}: dashboard overview ...`);
      const browser = await launchChromium();
      try {
        const m = await measurePaint(browser, `${new URL(gateway.info.url).origin}/#token=${token}`, '[data-figure="total"] .money', PAINT_RUNS);
        paintFigures = { first: m.paintedMs[0], p50: quantile(m.paintedMs, 0.5), max: Math.max(...m.paintedMs), apiP50: quantile(m.apiMs, 0.5) };
      } finally {
        await browser.close();
      }
    }

    const used = measureCpu();
    // At least two minutes of live writes, for their CPU figure.
    await live.stop(LIVE_ROUNDS);
    const rss = {
      prometheus: rssMiB(prometheus.pid),
      ingest: rssMiB(ingestPid),
      subgraphs: rssMiB(services.child.pid!),
      gateway: rssMiB(gateway.child.pid!),
    };
    const measureSeconds = (Date.now() - compactionStarted) / 1000 - compactionSeconds;
    return {
      n,
      seriesPerCluster,
      backfill: {
        samples,
        seconds: writeSeconds,
        compactionSeconds,
        ingestMsPer1k: ((backfillUsed.ingest ?? NaN) * 1e6) / samples,
        prometheusMsPer1k: ((backfillUsed.prometheus ?? NaN) * 1e6) / samples,
        senderMsPer1k: (backfillUsed.bench * 1e6) / samples,
        otherCores: (backfillUsed.other ?? NaN) / writeSeconds,
      },
      cold,
      raw,
      build: build!,
      rolling,
      rollingOnTheHour,
      repeat,
      rollupReadMs,
      live: { samples: live.samples, ingestMsPer1k: (live.ingestCpuSeconds * 1e6) / live.samples },
      otherCores: (used.other ?? NaN) / measureSeconds,
      rss,
      paint: paintFigures,
    };
  } finally {
    await live?.stop();
    for (const child of children.reverse()) await stopChild(child);
    await prometheus?.stop();
    await t?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function report(f: Figures): void {
  const p = (values: number[]) => `${fmt(quantile(values, 0.5))} / ${fmt(quantile(values, 0.99))}`;
  const ms = (runs: Timed[]) => runs.map((r) => r.ms);
  const promql = (runs: Timed[]) => `${Math.min(...runs.map((r) => r.promql))}–${Math.max(...runs.map((r) => r.promql))}`;
  const ratio = quantile(ms(f.cold), 0.5) / quantile(f.raw, 0.5);
  out(`\n## N = ${f.n} clusters (${fmt(f.seriesPerCluster, 1)} series each)`);
  out(
    `backfill: ${(f.backfill.samples / 1e6).toFixed(1)}M samples through ingest in ${fmt(f.backfill.seconds)} s (${fmt(f.backfill.samples / f.backfill.seconds / 1000)}k/s), ` +
      `compaction ${fmt(f.backfill.compactionSeconds)} s; CPU per 1,000 samples: ingest ${fmt(f.backfill.ingestMsPer1k, 2)} ms, Prometheus ${fmt(f.backfill.prometheusMsPer1k, 2)} ms, sender (this process) ${fmt(f.backfill.senderMsPer1k, 2)} ms; other processes ${fmt(f.backfill.otherCores, 2)} cores`,
  );
  out('| measurement | p50 / p99 ms | runs | PromQL requests per request | PromQL ms per request (p50) |');
  out('|---|---|---|---|---|');
  out(`| (a) cold 30-day range | ${p(ms(f.cold))} | ${f.cold.length} | ${promql(f.cold)} | ${fmt(quantile(f.cold.map((r) => r.promqlMs), 0.5))} |`);
  out(`| raw whole-hours PromQL straight to Prometheus | ${p(f.raw)} | ${f.raw.length} | 1 | |`);
  out(`| (b) rolling last 30 days, +60 s each | ${p(ms(f.rolling))} | ${f.rolling.length} | ${promql(f.rolling)} | ${fmt(quantile(f.rolling.map((r) => r.promqlMs), 0.5))} |`);
  out(`| (b′) the same, starting on the hour | ${p(ms(f.rollingOnTheHour))} | ${f.rollingOnTheHour.length} | ${promql(f.rollingOnTheHour)} | ${fmt(quantile(f.rollingOnTheHour.map((r) => r.promqlMs), 0.5))} |`);
  out(`| (c) identical repeat | ${p(ms(f.repeat))} | ${f.repeat.length} | ${promql(f.repeat)} | ${fmt(quantile(f.repeat.map((r) => r.promqlMs), 0.5))} |`);
  out(`| rollup read alone (PostgreSQL, ${DAYS} days × ${f.n} clusters) | ${p(f.rollupReadMs)} | ${f.rollupReadMs.length} | | |`);
  out(`(a) / raw PromQL (p50): ${fmt(ratio, 2)} (goal ≤ 2)`);
  out(
    `rollup build (first cold run): ${fmt(f.build.ms)} ms, ${f.build.promql} PromQL requests, Prometheus ${fmt(f.build.prometheusCpuSeconds, 2)} CPU s, ` +
      `${f.build.rows} hourly rows (with their assets) stored ${fmt(f.build.savedMs)} ms after the answer`,
  );
  out(`live writes (${LIVE_ROUNDS}+ one-minute rounds, one request per cluster each): ${f.live.samples} samples, ingest ${fmt(f.live.ingestMsPer1k, 2)} CPU ms per 1,000 samples`);
  out(`RSS MiB: ${Object.entries(f.rss).map(([name, v]) => `${name} ${fmt(v ?? NaN)}`).join(', ')}; other processes during the measurements: ${fmt(f.otherCores, 2)} cores`);
  if (f.paint) out(`dashboard overview painted: first ${fmt(f.paint.first)} ms, p50 ${fmt(f.paint.p50)} ms, max ${fmt(f.paint.max)} ms (its GraphQL request p50 ${fmt(f.paint.apiP50)} ms; goal ≤ 1500 ms)`);
}

async function main(): Promise<void> {
  const cpus = os.cpus();
  out(`# bench:fleet — ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}`);
  out(`N = ${COUNTS.join(', ')}; ${DAYS} days at 5-minute scrapes, the last day at 1-minute scrapes; (a) 5 runs up to 10 clusters, 2 up to 50, 1 beyond, (b) ${ROLLING_RUNS}, (c) ${REPEAT_RUNS}`);
  const largest = Math.max(...COUNTS);
  const summary: Figures[] = [];
  for (const n of COUNTS) {
    const started = Date.now();
    // The overview at 50 clusters and more, so that a run stopped before the largest N still has one.
    const figures = await runFleet(n, (n === largest || n >= 50) && process.env.BENCH_FLEET_DASHBOARD !== '0');
    report(figures);
    out(`N = ${n} took ${fmt((Date.now() - started) / 1000)} s`);
    summary.push(figures);
  }
  out('\n## Summary (p50 ms; goals at 200 clusters: (a) ≤ 2× raw, (b) ≤ 300, (c) ≤ 50)');
  out('| N | (a) cold | raw PromQL | (a)/raw | (b) rolling | (b′) on the hour | (c) repeat | PromQL/request (a, b, b′, c) | rollup read | ingest CPU ms/1k (backfill, live) | RSS MiB Prometheus / subgraphs / gateway / ingest |');
  out('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const f of summary) {
    const m = (runs: Timed[]) => quantile(runs.map((r) => r.ms), 0.5);
    const q = (runs: Timed[]) => quantile(runs.map((r) => r.promql), 0.5);
    out(
      `| ${f.n} | ${fmt(m(f.cold))} | ${fmt(quantile(f.raw, 0.5))} | ${fmt(m(f.cold) / quantile(f.raw, 0.5), 2)} | ${fmt(m(f.rolling))} | ${fmt(m(f.rollingOnTheHour))} | ${fmt(m(f.repeat), 1)} | ${q(f.cold)}, ${q(f.rolling)}, ${q(f.rollingOnTheHour)}, ${q(f.repeat)} | ${fmt(quantile(f.rollupReadMs, 0.5), 1)} | ` +
        `${fmt(f.backfill.ingestMsPer1k, 2)}, ${fmt(f.live.ingestMsPer1k, 2)} | ${[f.rss.prometheus, f.rss.subgraphs, f.rss.gateway, f.rss.ingest].map((v) => fmt(v ?? NaN)).join(' / ')} |`,
    );
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:fleet failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
