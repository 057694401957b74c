/*
 * Ingest benchmark: prints figures, asserts nothing. `npm run bench:ingest`.
 *
 *   1. The pipeline in-process on the main thread: snappy-uncompress → decode → validate →
 *      stamp → encode → snappy-compress (and the same without snappy), for long-series batches
 *      (50 series × 40 samples) and scrape-shaped batches (2,000 series × 1 sample).
 *   2. End to end against a real Prometheus 2.42 remote-write receiver: the same batch shapes
 *      sent straight to Prometheus, then through the ingest worker (auth, pipeline, forward);
 *      first with every process sharing both cores, then (2b) with Prometheus on a core of its
 *      own and the worker and senders on the other, as separate machines would run them.
 *   3. A flood of large bodies against a worker with a small in-flight byte budget: the excess
 *      must be answered 503, not buffered.
 *
 * The load generator runs in a child process (bench/lib/sender.ts) so that its HTTP client
 * does not share the worker's event loop and its bodies do not count in the worker's RSS.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import snappy from 'snappy';
import { loadIngestConfig } from '../ingest/config';
import type { ValidationLimits } from '../ingest/pipeline/validate';
import { startIngest, type RunningIngest } from '../ingest/start';
import { createOrganization } from '../lib/accounts/repository';
import { migrate } from '../lib/db/migrate';
import { PgliteDatabase } from '../lib/db/pglite';
import { silentLogger } from '../lib/log';
import { createKubernetesCluster } from '../lib/accounts/kubernetes-clusters';
import { COST_METRIC_FAMILIES } from '../lib/remote-write/cost-metrics';
import { loadLocalPrometheusConfig, startLocalPrometheus, type LocalPrometheus } from '../cli/local/local-prometheus';
import { basicAuth, postWrite, REMOTE_WRITE_HEADERS } from './lib/http';
import { measurePipeline, type PipelineFigure } from './lib/pipeline';
import { SenderProcess } from './lib/sender-client';
import type { LoadResult } from './lib/sender-protocol';
import { kubecostSeries } from './lib/series';
import { WriteRequestTemplate } from './lib/write-request-template';

const PIPELINE_WARMUP_MS = 500;
/** Each pipeline figure is the median of this many windows of PIPELINE_WINDOW_MS. */
const PIPELINE_WINDOWS = 3;
const PIPELINE_WINDOW_MS = 1000;
const E2E_WARMUP_MS = 1000;
const E2E_MS = 5000;
/**
 * BENCH_DIRECT_WITH_TENANT=1: every batch already carries the `tenant_id` label the worker
 * stamps, so direct writes cost Prometheus the same per series as stamped ones, and the
 * end-to-end ratio shows the worker's own effect rather than that of the extra label.
 */
const DIRECT_WITH_TENANT = process.env.BENCH_DIRECT_WITH_TENANT === '1';

/** Concurrent end-to-end senders; BENCH_SENDERS overrides (more senders hide more of the forwarding latency). */
const E2E_SENDERS = Number(process.env.BENCH_SENDERS ?? 4) || 4;
const FLOOD_MS = 5000;
const FLOOD_CONCURRENCY = 200;
const FLOOD_INFLIGHT_BYTES = 4 * 1024 * 1024;
/** 870 series × 100 random-valued samples ≈ 1 MiB after snappy (random doubles do not compress). */
const FLOOD_SERIES = 870;
const FLOOD_SAMPLES = 100;
const TARGET_RATIO = 0.8;

interface Shape {
  name: string;
  title: string;
  series: number;
  samples: number;
  /** Time between consecutive samples of one series; small enough that 5 s of load stays in the past. */
  stepMs: number;
  pipelineTarget: number;
}

const SHAPES: Shape[] = [
  { name: 'long', title: 'long series, 50 series × 40 samples', series: 50, samples: 40, stepMs: 10, pipelineTarget: 2_000_000 },
  { name: 'scrape', title: 'scrape-shaped, 2,000 series × 1 sample', series: 2000, samples: 1, stepMs: 1000, pipelineTarget: 300_000 },
];

const MiB = 1024 * 1024;
const fmtRate = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(0)}k`);
const fmtMiB = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
const line = (text = '') => process.stdout.write(`${text}\n`);

/** Moves every thread of process `pid` to `cpus` (taskset syntax). */
function pin(pid: number, cpus: string): void {
  const result = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`taskset -a -p -c ${cpus} ${pid} failed`);
}

function machine(): string {
  const cpus = os.cpus();
  let prometheus = 'unknown';
  try {
    prometheus = execFileSync(loadLocalPrometheusConfig().binary, ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    // reported as unknown
  }
  return [
    `${cpus.length} cores (${cpus[0]?.model ?? 'unknown CPU'}), ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}`,
    `Node ${process.version}, ${prometheus}`,
  ].join('\n');
}

function pipelineLimits(): ValidationLimits {
  const allowList = new Set(COST_METRIC_FAMILIES);
  const now = Date.now();
  return {
    allowList,
    minTimestamp: now - 35 * 86_400_000,
    maxTimestamp: now + 10 * 60_000,
    maxLabelsPerSeries: 64,
    maxLabelNameLength: 256,
    maxLabelValueLength: 4096,
  };
}

/** `2.42M samples/s [2.30M–2.45M] (826 µs/request, 12 µs of it kernel, 0 page faults; 2.37M per CPU-second; other processes busy 0.04 cores)` */
const describePipeline = (figure: PipelineFigure) =>
  `${fmtRate(figure.samplesPerSecond).padStart(6)} samples/s [${fmtRate(figure.minSamplesPerSecond)}–${fmtRate(figure.maxSamplesPerSecond)}]` +
  ` (${figure.microsPerRequest.toFixed(0)} µs/request, ${figure.systemMicrosPerRequest.toFixed(0)} µs of it kernel, ${figure.pageFaultsPerRequest.toFixed(0)} page faults;` +
  ` ${fmtRate(figure.samplesPerCpuSecond)} per CPU-second` +
  (figure.otherCores === undefined ? ')' : `; other processes busy ${figure.otherCores.toFixed(2)} cores)`);

function benchPipeline(): Map<string, { withSnappy: PipelineFigure; without: PipelineFigure }> {
  line('1. Pipeline in-process, one core (main thread)');
  line(`   ${PIPELINE_WARMUP_MS} ms warm-up, then median of ${PIPELINE_WINDOWS} × ${PIPELINE_WINDOW_MS} ms windows [slowest–fastest]; 8 labels + __name__ per series, samples from the last hour`);
  const tenant = '5f0c3a52-6f7e-4c55-9d0e-2b7a9c1d4e21';
  const figures = new Map<string, { withSnappy: PipelineFigure; without: PipelineFigure }>();
  for (const shape of SHAPES) {
    const template = new WriteRequestTemplate(kubecostSeries(shape.series, `pipeline-${shape.name}`), shape.samples);
    template.fill(Date.now() - 30 * 60_000, shape.stepMs, 0);
    const options = { warmupMs: PIPELINE_WARMUP_MS, windowMs: PIPELINE_WINDOW_MS, windows: PIPELINE_WINDOWS };
    const withSnappy = measurePipeline(template.raw, template.sampleCount, tenant, pipelineLimits, { ...options, withSnappy: true });
    const without = measurePipeline(template.raw, template.sampleCount, tenant, pipelineLimits, { ...options, withSnappy: false });
    figures.set(shape.name, { withSnappy, without });
    noteOther(withSnappy.otherCores);
    noteOther(without.otherCores);
    line(`   ${shape.title} (${(template.raw.length / 1024).toFixed(0)} KiB raw per request)`);
    // The target is the pipeline proper (decode → validate → stamp → encode); the figure with
    // snappy both ways is what the server spends per request, and is held to the same bar.
    line(`     with snappy both ways: ${describePipeline(withSnappy)}   also ≥ ${fmtRate(shape.pipelineTarget)}: ${met(withSnappy.samplesPerSecond >= shape.pipelineTarget)}`);
    line(`     without snappy:        ${describePipeline(without)}   target ≥ ${fmtRate(shape.pipelineTarget)}: ${met(without.samplesPerSecond >= shape.pipelineTarget)}`);
  }
  line();
  return figures;
}

function describeLoad(result: LoadResult): string {
  const failures = Object.entries(result.failures)
    .map(([key, n]) => `${n}× ${key}`)
    .join(', ');
  const notes = [
    `${result.ok}/${result.requests} × 204`,
    failures ? `failures: ${failures}` : 'no failures',
    `p50 ${result.latencyP50Ms.toFixed(1)} ms, p99 ${result.latencyP99Ms.toFixed(1)} ms`,
  ];
  if (result.lazyBodies > 0) notes.push(`${result.lazyBodies} bodies compressed during the window`);
  if (result.stoppedEarly) notes.push('a sender ran out of past timestamps and stopped early');
  return `${fmtRate(rateOf(result)).padStart(6)} samples/s  (${notes.join('; ')})`;
}

/** CPU cores busy during the window per process, and CPU time per accepted sample. */
function describeCpu(result: LoadResult): string {
  const seconds = result.elapsedMs / 1000;
  return Object.entries(result.cpuSeconds)
    .filter(([name, cpu]) => cpu >= 0.05 || name === 'other')
    .map(([name, cpu]) => `${name} ${(cpu / seconds).toFixed(2)} cores${name === 'other' ? '' : ` (${((cpu / result.okSamples) * 1e6).toFixed(2)} µs/sample)`}`)
    .join(', ');
}

const rateOf = (result: LoadResult) => result.okSamples / (result.elapsedMs / 1000);

/** Windows of one path as one: counts, time and CPU summed; latencies and notes of the first. */
function combine(results: LoadResult[]): LoadResult {
  if (results.length === 1) return results[0];
  const cpuSeconds: Record<string, number> = {};
  const failures: Record<string, number> = {};
  for (const result of results) {
    for (const [name, seconds] of Object.entries(result.cpuSeconds)) cpuSeconds[name] = (cpuSeconds[name] ?? 0) + seconds;
    for (const [kind, count] of Object.entries(result.failures)) failures[kind] = (failures[kind] ?? 0) + count;
  }
  const sum = (pick: (r: LoadResult) => number) => results.reduce((total, r) => total + pick(r), 0);
  return {
    ...results[0],
    requests: sum((r) => r.requests),
    ok: sum((r) => r.ok),
    okSamples: sum((r) => r.okSamples),
    okBytes: sum((r) => r.okBytes),
    elapsedMs: sum((r) => r.elapsedMs),
    failures,
    cpuSeconds,
  };
}

/** The most CPU other processes on the machine used during any measured window, in cores. */
let worstOtherCores = 0;
const noteOther = (cores: number | undefined) => {
  if (cores !== undefined) worstOtherCores = Math.max(worstOtherCores, cores);
};

/** `global.gc`, enabled at run time so `npm run bench:ingest` needs no node flags; undefined if refused. */
function garbageCollector(): (() => void) | undefined {
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  line('costgraph ingest benchmark');
  line(machine());
  line();

  const pipeline = benchPipeline();

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-bench-'));
  let prom: LocalPrometheus | undefined;
  let db: PgliteDatabase | undefined;
  let ingest: RunningIngest | undefined;
  let sender: SenderProcess | undefined;
  try {
    prom = await startLocalPrometheus({ dataDir, port: 0 });
    db = await PgliteDatabase.open();
    await migrate(db);
    const org = await createOrganization(db, 'bench');
    const cluster = await createKubernetesCluster(db, org.id, 'bench-cluster', 'http://127.0.0.1/api/v1/write');
    const authorization = basicAuth(cluster.cloudAccount.id, cluster.password);
    const baseEnv = { INGEST_PORT: '0', INGEST_INTERNAL_PORT: '0', THANOS_RECEIVE_URL: `${prom.url}/api/v1/write`, INGEST_SAMPLES_PER_SECOND: '0' };
    ingest = await startIngest({ config: loadIngestConfig(baseEnv), db, logger: silentLogger });
    sender = SenderProcess.start();
    const watch = { ingest: process.pid, prometheus: prom.pid };

    const direct = `${prom.url}/api/v1/write`;
    const through = `${ingest.url}/api/v1/write`;
    line(`2. End to end: ${E2E_SENDERS} concurrent keep-alive senders (child process), ${E2E_MS} ms per figure, 204 counted as success`);
    line('   direct = straight to Prometheus /api/v1/write; ingest = Basic auth → ingest worker (rate limit off) → Prometheus');
    if (DIRECT_WITH_TENANT) line('   BENCH_DIRECT_WITH_TENANT=1: every batch already carries the tenant_id label (stored as is when direct, replaced by the worker)');
    line(`   each shape warmed ${E2E_WARMUP_MS} ms per path first; bodies compressed before the clock starts (sized from the warm-up rate)`);
    const load = (url: string, shape: Shape, tag: string, durationMs: number, expectedRate: number, withAuth: boolean) =>
      sender!.run({
        kind: 'load',
        url,
        authorization: withAuth ? authorization : undefined,
        senders: E2E_SENDERS,
        seriesPerRequest: shape.series,
        samplesPerSeries: shape.samples,
        tag,
        tenantLabel: DIRECT_WITH_TENANT ? cluster.cloudAccount.id : undefined,
        durationMs,
        baseTimestamp: Date.now() - 30 * 60_000,
        stepMs: shape.stepMs,
        pregenerate: Math.ceil((expectedRate * 1.6 * (durationMs / 1000)) / E2E_SENDERS / (shape.series * shape.samples)),
        watch,
      });

    /**
     * Direct and ingest windows per shape. With `abba`, four windows in the order direct,
     * ingest, ingest, direct, each path's rate taken over its two windows: a store whose cost
     * per sample drifts during the run then weighs on both paths alike.
     */
    const measureShapes = async (abba: boolean): Promise<Map<string, { direct: LoadResult; ingest: LoadResult }>> => {
      const figures = new Map<string, { direct: LoadResult; ingest: LoadResult }>();
      for (const shape of SHAPES) {
        line(`   ${shape.title}`);
        // Warm both paths (JIT, connections, credential cache) and learn how many bodies to prepare.
        const warmDirect = await load(direct, shape, `warm-direct-${shape.name}-${Date.now()}`, E2E_WARMUP_MS, 0, false);
        const warmIngest = await load(through, shape, `warm-ingest-${shape.name}-${Date.now()}`, E2E_WARMUP_MS, 0, true);
        const windows: Array<'direct' | 'ingest'> = abba ? ['direct', 'ingest', 'ingest', 'direct'] : ['direct', 'ingest'];
        const results: Record<'direct' | 'ingest', LoadResult[]> = { direct: [], ingest: [] };
        for (const path of windows) {
          // A 1 s warm-up runs at about half the steady rate; the direct rate bounds what ingest can reach.
          const expected = path === 'direct' ? rateOf(results.direct[0] ?? warmDirect) : Math.min(rateOf(results.direct[0]), 3 * rateOf(results.ingest[0] ?? warmIngest));
          const result = await load(path === 'direct' ? direct : through, shape, `${path}-${shape.name}-${Date.now()}`, E2E_MS, expected, path === 'ingest');
          results[path].push(result);
          line(`     ${path}: ${describeLoad(result)}`);
          line(`             cpu: ${describeCpu(result)}`);
          if (result.firstFailure) line(`     first ${path} failure: ${result.firstFailure}`);
        }
        const directResult = combine(results.direct);
        const ingestResult = combine(results.ingest);
        const ratio = rateOf(ingestResult) / rateOf(directResult);
        line(`     ratio ingest/direct${abba ? ' over both windows of each' : ''}: ${(ratio * 100).toFixed(0)}%   target ≥ ${TARGET_RATIO * 100}%: ${met(ratio >= TARGET_RATIO)}`);
        figures.set(shape.name, { direct: directResult, ingest: ingestResult });
      }
      return figures;
    };

    const e2e = await measureShapes(true);
    for (const { direct: d, ingest: i } of e2e.values()) for (const result of [d, i]) noteOther((result.cpuSeconds.other ?? 0) / (result.elapsedMs / 1000));
    line();

    // 2b. The same with the store on a core of its own, as Thanos Receive runs on machines of
    // its own in production: Prometheus pinned to CPU 1, the worker (this process) and the
    // senders to CPU 0, for both paths. Direct writes then get one core of Prometheus, and the
    // question is whether going through the worker costs throughput beyond that.
    line('2b. End to end with the store on a core of its own: Prometheus on CPU 1, worker and senders on CPU 0 (both paths)');
    pin(prom.pid, '1');
    pin(process.pid, '0');
    if (sender.pid) pin(sender.pid, '0');
    let separate: Map<string, { direct: LoadResult; ingest: LoadResult }>;
    try {
      separate = await measureShapes(true);
    } finally {
      for (const pid of [prom.pid, process.pid, sender.pid]) if (pid) pin(pid, '0-1');
    }
    line();

    await ingest.close();
    ingest = undefined;

    // 3. Flood: a worker with a small in-flight budget, ~200 large requests in flight at all times.
    ingest = await startIngest({
      config: loadIngestConfig({ ...baseEnv, INGEST_MAX_INFLIGHT_BYTES: String(FLOOD_INFLIGHT_BYTES) }),
      db,
      logger: silentLogger,
    });
    const flooded = ingest;
    // One small request first: the credential verdict is then cached, so the flood measures the
    // in-flight bound and not 200 concurrent first-time scrypt verifications.
    const warmBody = snappy.compressSync(new WriteRequestTemplate(kubecostSeries(10, 'flood-warm'), 1).fill(Date.now() - 20 * 60_000, 1, 0));
    const warmAgent = new http.Agent();
    const warm = await postWrite(warmAgent, new URL(`${ingest.url}/api/v1/write`), { ...REMOTE_WRITE_HEADERS, Authorization: authorization }, warmBody);
    warmAgent.destroy();
    if (!('status' in warm) || warm.status !== 204) throw new Error(`flood warm-up request failed: ${JSON.stringify(warm)}`);
    line(`3. Flood: ${FLOOD_CONCURRENCY} concurrent senders, each re-sending a ~1 MiB body without backoff until it is accepted, for ${FLOOD_MS} ms`);
    line(`   worker with INGEST_MAX_INFLIGHT_BYTES=${fmtMiB(FLOOD_INFLIGHT_BYTES)}, credential cache warm; memory of this (the worker's) process sampled every 10 ms`);
    const gc = garbageCollector();
    gc?.();
    const before = process.memoryUsage();
    const peak = { ...before };
    let inflightPeak = 0;
    let sampling = false;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peak.rss = Math.max(peak.rss, now.rss);
      peak.heapUsed = Math.max(peak.heapUsed, now.heapUsed);
      peak.arrayBuffers = Math.max(peak.arrayBuffers, now.arrayBuffers);
      if (sampling) return;
      sampling = true;
      void flooded.metrics.inflightBytes
        .get()
        .then((metric) => {
          inflightPeak = Math.max(inflightPeak, metric.values[0]?.value ?? 0);
        })
        .finally(() => {
          sampling = false;
        });
    }, 10);
    const flood = await sender.run({
      kind: 'flood',
      url: `${ingest.url}/api/v1/write`,
      authorization,
      concurrency: FLOOD_CONCURRENCY,
      durationMs: FLOOD_MS,
      seriesPerRequest: FLOOD_SERIES,
      samplesPerSeries: FLOOD_SAMPLES,
      tag: 'flood',
      baseTimestamp: Date.now() - 20 * 60_000,
      stepMs: 1,
      watch,
    });
    clearInterval(sampler);
    const serverCounts = (await ingest.metrics.requests.get()).values.map((v) => `${v.value}× ${v.labels.status}`).join(', ');
    const forwards = (await ingest.metrics.forwardDuration.get()).values.filter((v) => v.labels.outcome === 'accepted');
    const forwardSum = forwards.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
    const forwardCount = forwards.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
    const outcomes = Object.entries(flood.outcomes)
      .sort(([, a], [, b]) => b - a)
      .map(([key, n]) => `${n}× ${key}`)
      .join(', ');
    const accepted = flood.outcomes['204'] ?? 0;
    const refused = flood.outcomes['503'] ?? 0;
    const other = flood.attempts - accepted - refused;
    const offered = flood.bodyBytes * FLOOD_CONCURRENCY;
    const floodSeconds = flood.elapsedMs / 1000;
    line(`   body ${fmtMiB(flood.bodyBytes)} compressed (${FLOOD_SERIES} series × ${FLOOD_SAMPLES} samples); ${FLOOD_CONCURRENCY} in flight = ${fmtMiB(offered)} offered at once`);
    line(`   client: ${flood.attempts} attempts in ${floodSeconds.toFixed(1)} s: ${accepted} × 204, ${refused} × 503, ${other} other${other ? ` (${outcomes})` : ''}`);
    line(`   worker counted: ${serverCounts}`);
    line(
      `   503 answered in ${flood.refusedP50Ms.toFixed(1)} ms (p50); accepted requests took ${flood.acceptedP50Ms.toFixed(0)} ms p50, ${flood.acceptedMaxMs.toFixed(0)} ms max,` +
        ` of which forwarding to Prometheus ${forwardCount ? ((forwardSum / forwardCount) * 1000).toFixed(0) : '-'} ms mean`,
    );
    line(`   accepted ${fmtRate(flood.okSamples / floodSeconds)} samples/s while flooded; cpu: ${Object.entries(flood.cpuSeconds).map(([name, cpu]) => `${name} ${(cpu / floodSeconds).toFixed(2)} cores`).join(', ')}`);
    line(
      `   worker memory${gc ? ' (baseline after a full GC)' : ''}: RSS ${fmtMiB(before.rss)} → peak ${fmtMiB(peak.rss)} (+${fmtMiB(peak.rss - before.rss)}),` +
        ` Buffers ${fmtMiB(before.arrayBuffers)} → peak ${fmtMiB(peak.arrayBuffers)}, JS heap ${fmtMiB(before.heapUsed)} → peak ${fmtMiB(peak.heapUsed)}`,
    );
    line(`   peak in-flight bytes sampled: ${fmtMiB(inflightPeak)} (budget ${fmtMiB(FLOOD_INFLIGHT_BYTES)})`);
    if (flood.firstFailure) line(`   first non-204/503 outcome: ${flood.firstFailure}`);
    line();

    line('Summary');
    for (const shape of SHAPES) {
      const p = pipeline.get(shape.name)!;
      const e = e2e.get(shape.name)!;
      const ratio = rateOf(e.ingest) / rateOf(e.direct);
      const s = separate.get(shape.name)!;
      const separateRatio = rateOf(s.ingest) / rateOf(s.direct);
      line(
        `   ${shape.name.padEnd(6)} pipeline ${fmtRate(p.without.samplesPerSecond).padStart(6)}/s (target ≥ ${fmtRate(shape.pipelineTarget)}: ${met(p.without.samplesPerSecond >= shape.pipelineTarget)}; ` +
          `${fmtRate(p.withSnappy.samplesPerSecond)}/s with snappy both ways)` +
          `   e2e ingest ${fmtRate(rateOf(e.ingest))}/s vs direct ${fmtRate(rateOf(e.direct))}/s = ${(ratio * 100).toFixed(0)}% on shared cores, ` +
          `${fmtRate(rateOf(s.ingest))}/s vs ${fmtRate(rateOf(s.direct))}/s = ${(separateRatio * 100).toFixed(0)}% with the store on its own core (target ≥ 80%: ${met(separateRatio >= TARGET_RATIO)})`,
      );
    }
    noteOther((flood.cpuSeconds.other ?? 0) / floodSeconds);
    line(`   flood  ${refused} × 503, ${accepted} × 204, ${other} other; worker RSS +${fmtMiB(peak.rss - before.rss)} with ${fmtMiB(offered)} offered`);
    if (worstOtherCores > 0.25) {
      line(`   WARNING: other processes kept up to ${worstOtherCores.toFixed(2)} of ${os.cpus().length} cores busy during a measurement; figures are lower than on a quiet machine`);
    }
  } finally {
    await sender?.stop();
    await ingest?.close();
    await prom?.stop();
    await db?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  line(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
