/*
 * The load generator, run as a child process (see sender-client.ts) so that its HTTP client
 * and body compression never share an event loop with the ingest worker being measured, and
 * so the worker's RSS is not inflated by the bodies the senders hold.
 */
import http from 'node:http';
import snappy from 'snappy';
import { cpuSnapshot } from './cpu';
import { postWrite, REMOTE_WRITE_HEADERS } from './http';
import { kubecostSeries } from './series';
import type { FloodJob, FloodResult, FromSender, LoadJob, LoadResult, ToSender } from './sender-protocol';
import { WriteRequestTemplate } from './write-request-template';

/** Senders stop rather than send samples this far ahead of the clock (ingest refuses > 10 min). */
const MAX_FUTURE_MS = 5 * 60_000;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function count(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const target = new URL(job.url);
  const headers: Record<string, string> = { ...REMOTE_WRITE_HEADERS, ...(job.authorization ? { Authorization: job.authorization } : {}) };
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.senders });
  const S = job.samplesPerSeries;
  const senders = Array.from({ length: job.senders }, (_, i) => {
    const template = new WriteRequestTemplate(kubecostSeries(job.seriesPerRequest, `${job.tag}-s${i}`, job.tenantLabel), S);
    const make = (k: number) => snappy.compressSync(template.fill(job.baseTimestamp + k * S * job.stepMs, job.stepMs, k * S));
    return { template, make, pool: [] as Array<Buffer | undefined> };
  });
  const generating = performance.now();
  for (const sender of senders) for (let k = 0; k < job.pregenerate; k++) sender.pool.push(sender.make(k));
  const pregenerateMs = performance.now() - generating;

  const result: LoadResult = {
    requests: 0,
    ok: 0,
    okSamples: 0,
    okBytes: 0,
    elapsedMs: 0,
    failures: {},
    latencyP50Ms: 0,
    latencyP99Ms: 0,
    pregenerateMs,
    lazyBodies: 0,
    stoppedEarly: false,
    cpuSeconds: {},
  };
  const latencies: number[] = [];
  const cpu = cpuSnapshot(job.watch);
  const start = performance.now();
  const deadline = start + job.durationMs;
  await Promise.all(
    senders.map(async (sender) => {
      for (let k = 0; performance.now() < deadline; k++) {
        const lastTimestamp = job.baseTimestamp + ((k + 1) * S - 1) * job.stepMs;
        if (lastTimestamp > Date.now() + MAX_FUTURE_MS) {
          result.stoppedEarly = true;
          return;
        }
        let body = sender.pool[k];
        if (body) sender.pool[k] = undefined;
        else {
          body = sender.make(k);
          result.lazyBodies++;
        }
        const sent = performance.now();
        const outcome = await postWrite(agent, target, headers, body);
        result.requests++;
        if ('status' in outcome && outcome.status === 204) {
          latencies.push(performance.now() - sent);
          result.ok++;
          result.okSamples += sender.template.sampleCount;
          result.okBytes += body.length;
        } else {
          const key = 'status' in outcome ? `HTTP ${outcome.status}` : outcome.error;
          count(result.failures, key);
          result.firstFailure ??= 'status' in outcome ? `HTTP ${outcome.status}: ${outcome.message}` : outcome.error;
        }
      }
    }),
  );
  result.elapsedMs = performance.now() - start;
  result.cpuSeconds = cpu();
  agent.destroy();
  latencies.sort((a, b) => a - b);
  result.latencyP50Ms = percentile(latencies, 50);
  result.latencyP99Ms = percentile(latencies, 99);
  return result;
}

/**
 * `concurrency` senders each keep one large body in flight all the time, re-sending the same
 * body (without backoff) until it is accepted, as a remote-write queue retrying a 5xx would;
 * an accepted body is replaced by one with fresh timestamps. Values are random so the bodies
 * stay large after snappy.
 */
export async function runFlood(job: FloodJob): Promise<FloodResult> {
  const target = new URL(job.url);
  const headers = { ...REMOTE_WRITE_HEADERS, Authorization: job.authorization };
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
  const S = job.samplesPerSeries;
  const template = new WriteRequestTemplate(kubecostSeries(job.seriesPerRequest, job.tag), S);
  let slot = 0;
  const next = () => {
    const k = slot++;
    return snappy.compressSync(template.fill(job.baseTimestamp + k * S * job.stepMs, job.stepMs, k * S, true));
  };
  const generating = performance.now();
  const bodies = Array.from({ length: job.concurrency }, next);
  const generateMs = performance.now() - generating;
  const bodyBytes = bodies.reduce((sum, body) => sum + body.length, 0) / bodies.length;

  const result: FloodResult = {
    attempts: 0,
    outcomes: {},
    okSamples: 0,
    bodyBytes,
    elapsedMs: 0,
    generateMs,
    acceptedP50Ms: 0,
    acceptedMaxMs: 0,
    refusedP50Ms: 0,
    cpuSeconds: {},
  };
  const accepted: number[] = [];
  const refused: number[] = [];
  const cpu = cpuSnapshot(job.watch);
  const start = performance.now();
  const deadline = start + job.durationMs;
  await Promise.all(
    bodies.map(async (first) => {
      let body = first;
      while (performance.now() < deadline) {
        const sent = performance.now();
        const outcome = await postWrite(agent, target, headers, body);
        const took = performance.now() - sent;
        result.attempts++;
        const key = 'status' in outcome ? String(outcome.status) : outcome.error;
        count(result.outcomes, key);
        if ('status' in outcome && outcome.status === 204) {
          accepted.push(took);
          result.okSamples += template.sampleCount;
          body = next();
        } else if ('status' in outcome && outcome.status === 503) {
          refused.push(took);
        } else {
          result.firstFailure ??= 'status' in outcome ? `HTTP ${outcome.status}: ${outcome.message}` : outcome.error;
        }
      }
    }),
  );
  result.elapsedMs = performance.now() - start;
  result.cpuSeconds = cpu();
  agent.destroy();
  accepted.sort((a, b) => a - b);
  refused.sort((a, b) => a - b);
  result.acceptedP50Ms = percentile(accepted, 50);
  result.acceptedMaxMs = accepted.at(-1) ?? 0;
  result.refusedP50Ms = percentile(refused, 50);
  return result;
}

if (require.main === module) {
  const reply = (message: FromSender) => process.send?.(message);
  process.on('message', (message: ToSender) => {
    if ('exit' in message) {
      process.disconnect?.();
      return;
    }
    const { id, job } = message;
    const running = job.kind === 'load' ? runLoad(job) : runFlood(job);
    running.then(
      (result) => reply({ id, result }),
      (error: unknown) => reply({ id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  });
}
