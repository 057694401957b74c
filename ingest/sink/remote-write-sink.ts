import { Pool } from 'undici';
import type { Sink, SinkResult } from './sink';
import { REMOTE_WRITE_HEADERS } from '../../lib/prometheus/remote-write-headers';

export interface RemoteWriteSinkOptions {
  /** Thanos Receive (or Prometheus) remote-write endpoint. */
  url: string;
  /** @default 10000 */
  timeoutMs?: number;
  /** Keep-alive connections to the store; bounded so a burst cannot open thousands. @default 16 */
  maxSockets?: number;
}

/** Forwards to a remote-write receiver with the tenant in `THANOS-TENANT`, as Thanos Receive expects. */
export class RemoteWriteSink implements Sink {
  private readonly target: URL;
  private readonly readyTarget: URL;
  private readonly timeoutMs: number;
  /**
   * undici rather than node:http: with a long-series batch (~12 KiB snappy) every ~4 ms per
   * sender, building node:http client requests was a visible part of the worker's CPU.
   */
  private readonly pool: Pool;

  constructor(options: RemoteWriteSinkOptions) {
    this.target = new URL(options.url);
    // Prometheus and Thanos Receive both answer readiness at /-/ready of the same origin.
    this.readyTarget = new URL('/-/ready', this.target);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.pool = new Pool(this.target.origin, { connections: options.maxSockets ?? 16, keepAliveTimeout: 30_000 });
  }

  async write(tenant: string, body: Buffer): Promise<SinkResult> {
    try {
      const response = await this.pool.request({
        path: `${this.target.pathname}${this.target.search}`,
        method: 'POST',
        headers: { ...REMOTE_WRITE_HEADERS, 'User-Agent': 'costgraph-ingest', 'THANOS-TENANT': tenant },
        body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      const status = response.statusCode;
      if (status >= 200 && status < 300) {
        await response.body.dump();
        return { kind: 'accepted' };
      }
      // Keep only the start of an error body: it is a message, not data.
      const message = (await response.body.text()).slice(0, 4096).trim();
      if (status >= 400 && status < 500 && status !== 429) return { kind: 'rejected', status, message: message || `store answered ${status}` };
      return { kind: 'unavailable', message: `store answered ${status}${message ? `: ${message}` : ''}` };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { kind: 'unavailable', message: timedOut(error) ? `no answer within ${this.timeoutMs} ms` : `store unreachable: ${reason}` };
    }
  }

  async ready(): Promise<boolean> {
    try {
      const response = await this.pool.request({ path: this.readyTarget.pathname, method: 'GET', headersTimeout: 2000, bodyTimeout: 2000 });
      await response.body.dump();
      return response.statusCode === 200;
    } catch {
      return false;
    }
  }

  close(): void {
    void this.pool.destroy();
  }
}

function timedOut(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}
