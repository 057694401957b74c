import { LRUCache } from 'lru-cache';
import { PrometheusDriver } from 'prometheus-query';
import type { KubecostMetrics } from '../metrics';

export interface VectorPoint {
  labels: Record<string, string>;
  value: number;
}

export interface MatrixSeries {
  labels: Record<string, string>;
  points: Array<{ time: number; value: number }>;
}

/** What the cost loaders ask of the store. */
export interface Promql {
  instant(query: string, evalMs: number): Promise<VectorPoint[]>;
  range(query: string, startMs: number, endMs: number, stepSeconds: number): Promise<MatrixSeries[]>;
}

/** Runs a store request when it may (a concurrency limit); cache hits never pass through it. */
export type Gate = <T>(run: () => Promise<T>) => Promise<T>;

export class ThanosError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ThanosError';
  }
}

export interface ThanosClientOptions {
  url: string;
  /** @default 15000 */
  timeoutMs: number;
  /** Windows that ended more than this long ago are immutable and cached without expiry. @default 10m */
  immutableAfterMs: number;
  /** TTL for results of windows that are still filling. @default 60s */
  recentTtlMs: number;
  /** Cache bound in bytes of JSON results. @default 64 MiB */
  cacheBytes: number;
  metrics: KubecostMetrics;
  now?: () => number;
}

type Result = VectorPoint[] | MatrixSeries[];

/**
 * PromQL against Thanos Query (or Prometheus). Results for windows that ended before
 * now − `immutableAfterMs` never change, so they are cached in a size-bounded LRU; newer
 * ones for at most `recentTtlMs`. Failures become ThanosError with a readable reason.
 */
export class ThanosClient implements Promql {
  private readonly driver: PrometheusDriver;
  /** Absent when `cacheBytes` is 0. */
  private readonly cache?: LRUCache<string, Result>;
  /** Sent to the store so it abandons a query we no longer wait for. */
  private readonly evalTimeout: string;
  private readonly inflight = new Map<string, Promise<Result>>();
  private readonly now: () => number;

  constructor(private readonly options: ThanosClientOptions) {
    this.driver = new PrometheusDriver({
      endpoint: options.url,
      baseURL: '/api/v1',
      preferPost: true,
      // axios's `timeout` is only a socket idle timeout: a store that trickles bytes would keep
      // a request (and the GraphQL response) open forever. The signal bounds the whole request.
      timeout: options.timeoutMs,
      // Thanos Query answers with what the reachable stores hold when one is down, unless told
      // not to: a partial answer would be a wrong amount of money, so it must be an error.
      // (Prometheus ignores the parameter.)
      requestInterceptor: {
        onFulfilled: (config) =>
          Object.assign(config, { signal: AbortSignal.timeout(options.timeoutMs), params: { ...(config.params as object | undefined), partial_response: 'false' } }),
      },
    });
    this.evalTimeout = `${Math.max(1, Math.floor(options.timeoutMs / 1000))}s`;
    if (options.cacheBytes > 0) {
      this.cache = new LRUCache<string, Result>({
        maxSize: options.cacheBytes,
        sizeCalculation: (value) => Math.max(1, JSON.stringify(value).length),
      });
    }
    this.now = options.now ?? Date.now;
  }

  /** This client with its store requests (not its cache hits) passed through `gate`. */
  gated(gate: Gate): Promql {
    return {
      instant: (query, evalMs) => this.instant(query, evalMs, gate),
      range: (query, startMs, endMs, stepSeconds) => this.range(query, startMs, endMs, stepSeconds, gate),
    };
  }

  instant(query: string, evalMs: number, gate?: Gate): Promise<VectorPoint[]> {
    return this.cached(`i\0${evalMs}\0${query}`, evalMs, gate, async () => {
      const result = await this.driver.instantQuery(query, evalMs, this.evalTimeout);
      return (result.result as Array<{ metric: { labels: Record<string, string> }; value: { value: number } }>).map((r) => ({
        labels: r.metric.labels,
        value: Number(r.value.value),
      }));
    }) as Promise<VectorPoint[]>;
  }

  range(query: string, startMs: number, endMs: number, stepSeconds: number, gate?: Gate): Promise<MatrixSeries[]> {
    return this.cached(`r\0${startMs}\0${endMs}\0${stepSeconds}\0${query}`, endMs, gate, async () => {
      const result = await this.driver.rangeQuery(query, startMs, endMs, stepSeconds, this.evalTimeout);
      return (result.result as Array<{ metric: { labels: Record<string, string> }; values: Array<{ time: Date; value: number }> }>).map((r) => ({
        labels: r.metric.labels,
        points: r.values.map((v) => ({ time: v.time.getTime(), value: Number(v.value) })),
      }));
    }) as Promise<MatrixSeries[]>;
  }

  async ready(): Promise<boolean> {
    try {
      const response = await fetch(`${this.options.url}/-/ready`, { signal: AbortSignal.timeout(2000) });
      return response.ok;
    } catch {
      return false;
    }
  }

  private async cached(key: string, windowEndMs: number, gate: Gate | undefined, run: () => Promise<Result>): Promise<Result> {
    const hit = this.cache?.get(key);
    if (hit) {
      this.options.metrics.cache.inc({ result: 'hit' });
      return hit;
    }
    const pending = this.inflight.get(key);
    if (pending) return pending;
    this.options.metrics.cache.inc({ result: 'miss' });
    const promise = this.execute(gate ? () => gate(run) : run)
      .then((result) => {
        const immutable = windowEndMs < this.now() - this.options.immutableAfterMs;
        // Without an explicit ttl an entry never expires: only immutable windows may do that.
        // (lru-cache reads ttl 0 as "forever", so a zero TTL means not caching at all).
        if (immutable) this.cache?.set(key, result);
        else if (this.options.recentTtlMs > 0) this.cache?.set(key, result, { ttl: this.options.recentTtlMs });
        return result;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    return promise;
  }

  private async execute(run: () => Promise<Result>): Promise<Result> {
    const stop = this.options.metrics.promqlDuration.startTimer();
    try {
      let result: Result;
      try {
        result = await run();
      } catch (error) {
        if (!isReadRace(error)) throw error;
        // Prometheus 2.42 can lose a race between a query and the compaction of its
        // out-of-order head ("cannot populate chunk … not found"); the same query a moment
        // later reads the compacted block. Asked once more, never in a loop.
        result = await run();
      }
      stop({ outcome: 'success' });
      this.options.metrics.promqlRequests.inc({ outcome: 'success' });
      return result;
    } catch (error) {
      stop({ outcome: 'error' });
      this.options.metrics.promqlRequests.inc({ outcome: 'error' });
      throw new ThanosError(describeFailure(error));
    }
  }
}

function isReadRace(error: unknown): boolean {
  const detail = error && typeof error === 'object' ? String((error as { error?: unknown }).error ?? '') : '';
  return /cannot populate chunk/.test(detail);
}

/**
 * prometheus-query rejects with a plain object `{status, errorType, error}` (also for transport
 * failures: errorType `network_error`, error `canceled` when our deadline aborted the request)
 * or an axios error.
 */
function describeFailure(error: unknown): string {
  if (error && typeof error === 'object') {
    const e = error as { errorType?: string; error?: string; message?: string; code?: string };
    if (e.errorType === 'network_error') {
      const detail = String(e.error ?? '');
      if (/cancel|abort|timeout/i.test(detail)) return 'metrics store did not answer in time';
      return `metrics store unreachable: ${detail.slice(0, 300)}`;
    }
    if (e.errorType || e.error) return `metrics store: ${e.errorType ?? 'error'}: ${String(e.error ?? '').slice(0, 300)}`;
    if (e.code === 'ECONNABORTED' || e.code === 'ERR_CANCELED' || /timeout|abort|cancel/i.test(e.message ?? '')) return 'metrics store did not answer in time';
    if (e.message) return `metrics store unreachable: ${e.message}`;
  }
  return 'metrics store failed';
}
