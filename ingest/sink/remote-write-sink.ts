import { Pool, type Dispatcher } from 'undici';
import type { Sink, SinkResult } from './sink';
import { REMOTE_WRITE_HEADERS } from '../../lib/remote-write/headers';

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
   * undici rather than node:http: at the rate senders write, building node:http client
   * requests is a visible part of the worker's CPU (docs/benchmarks/ingest.md, "The sink
   * forwards over undici").
   */
  private readonly pool: Pool;
  /** Basic credentials written into the URL (`https://user:pass@receive/...`), as node:http sent them. */
  private readonly authorization: Record<string, string>;

  constructor(options: RemoteWriteSinkOptions) {
    this.target = new URL(options.url);
    // Prometheus and Thanos Receive both answer readiness at /-/ready of the same origin.
    this.readyTarget = new URL('/-/ready', this.target);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const { username, password } = this.target;
    this.authorization =
      username || password
        ? { Authorization: `Basic ${Buffer.from(`${decodeURIComponent(username)}:${decodeURIComponent(password)}`).toString('base64')}` }
        : {};
    this.pool = new Pool(this.target.origin, {
      connections: options.maxSockets ?? 16,
      keepAliveTimeout: 30_000,
      // A store that drops packets must not hold a write longer than the forward timeout.
      connect: { timeout: this.timeoutMs },
    });
  }

  async write(tenant: string, body: Buffer): Promise<SinkResult> {
    try {
      const response = await this.pool.request({
        path: `${this.target.pathname}${this.target.search}`,
        method: 'POST',
        headers: { ...REMOTE_WRITE_HEADERS, ...this.authorization, 'User-Agent': 'costgraph-ingest', 'THANOS-TENANT': tenant },
        body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      const status = response.statusCode;
      if (status >= 200 && status < 300) {
        await response.body.dump();
        return { kind: 'accepted' };
      }
      const message = await errorMessage(response.body);
      if (status >= 400 && status < 500 && status !== 429) return { kind: 'rejected', status, message: message || `store answered ${status}` };
      return { kind: 'unavailable', message: `store answered ${status}${message ? `: ${message}` : ''}` };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { kind: 'unavailable', message: timedOut(error) ? `no answer within ${this.timeoutMs} ms` : `store unreachable: ${reason}` };
    }
  }

  async ready(): Promise<boolean> {
    try {
      const response = await this.pool.request({
        path: this.readyTarget.pathname,
        method: 'GET',
        headers: this.authorization,
        signal: AbortSignal.timeout(2000),
      });
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

/** The start of an error body: it is a message, not data, so at most 4 KiB of it is read. */
async function errorMessage(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= 4096) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, 4096).trim();
}

function timedOut(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
}
