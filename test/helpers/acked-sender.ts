import http from 'node:http';
import { REMOTE_WRITE_HEADERS, writeBody } from './remote-write';

export interface AckedSenderOptions {
  url: string;
  /** One Authorization header per sender (senders are spread over them round-robin). */
  authorizations: string[];
  senders: number;
  durationMs: number;
  /** Series per request; each request carries one sample per series. @default 100 */
  seriesPerRequest?: number;
  /** Pause between a sender's requests (a real agent sends when a batch fills). @default 0 */
  pauseMs?: number;
  /** Label value that marks this run's series (`namespace`). */
  tag: string;
  /** Metric family (must be on the ingest allow-list). @default container_memory_working_set_bytes */
  metric?: string;
  /** Per attempt. @default 10000 */
  timeoutMs?: number;
}

/** One request a sender made: its sample is `value = seq` at `timestamp` on every series of the sender. */
export interface SentRequest {
  sender: number;
  seq: number;
  timestamp: number;
  /** Answered 2xx at some attempt. */
  acked: boolean;
  attempts: number;
  /** Status of every attempt (0 = connection error, -1 = timeout). */
  statuses: number[];
}

export interface AckedSenderResult {
  requests: SentRequest[];
  /** Attempts by answer ("204", "503", "error", ...). */
  statuses: Record<string, number>;
  /** Latency of every attempt that got an HTTP answer, ms. */
  latencies: number[];
  elapsedMs: number;
}

export const senderSeries = (tag: string, sender: number, series: number) => ({ container: `s${sender}-c${series}`, namespace: tag });

/**
 * Remote-write senders that behave like Prometheus's queue manager: a request answered 5xx or
 * not answered at all is retried with the same body (backoff 50 ms doubling to 1 s) until it
 * gets an answer the sender must accept; 4xx drops it. Every request is recorded, so a test
 * can check that each one answered 2xx is in the store.
 */
export async function runAckedSenders(options: AckedSenderOptions): Promise<AckedSenderResult> {
  const target = new URL(options.url);
  const metric = options.metric ?? 'container_memory_working_set_bytes';
  const seriesPerRequest = options.seriesPerRequest ?? 100;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.senders });
  const result: AckedSenderResult = { requests: [], statuses: {}, latencies: [], elapsedMs: 0 };
  const started = performance.now();
  const deadline = Date.now() + options.durationMs;
  // Retries of the last request may run past the deadline, but not forever.
  const retryDeadline = deadline + 30_000;

  const attempt = (body: Buffer, authorization: string) =>
    new Promise<number>((resolve) => {
      const request = http.request(
        target,
        { method: 'POST', agent, timeout: timeoutMs, headers: { ...REMOTE_WRITE_HEADERS, Authorization: authorization, 'Content-Length': body.length } },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.on('error', () => resolve(0));
        },
      );
      request.on('timeout', () => {
        request.destroy();
        resolve(-1);
      });
      request.on('error', () => resolve(0));
      request.end(body);
    });

  const sender = async (index: number) => {
    const authorization = options.authorizations[index % options.authorizations.length];
    const series = Array.from({ length: seriesPerRequest }, (_, j) => ({ __name__: metric, ...senderSeries(options.tag, index, j) }));
    let last = 0;
    for (let seq = 1; Date.now() < deadline; seq++) {
      const timestamp = Math.max(Date.now(), last + 1);
      last = timestamp;
      const body = writeBody(series.map((labels) => ({ labels, samples: [[timestamp, seq]] })));
      const sent: SentRequest = { sender: index, seq, timestamp, acked: false, attempts: 0, statuses: [] };
      result.requests.push(sent);
      for (let backoff = 50; Date.now() < retryDeadline; backoff = Math.min(backoff * 2, 1000)) {
        const t0 = performance.now();
        const status = await attempt(body, authorization);
        sent.attempts++;
        sent.statuses.push(status);
        const key = status > 0 ? String(status) : status === 0 ? 'error' : 'timeout';
        result.statuses[key] = (result.statuses[key] ?? 0) + 1;
        if (status > 0) result.latencies.push(performance.now() - t0);
        if (status >= 200 && status < 300) {
          sent.acked = true;
          break;
        }
        if (status >= 400 && status < 500 && status !== 429) break;
        await new Promise((resolve) => setTimeout(resolve, backoff));
      }
      if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  };

  await Promise.all(Array.from({ length: options.senders }, (_, i) => sender(i)));
  agent.destroy();
  result.elapsedMs = performance.now() - started;
  return result;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
