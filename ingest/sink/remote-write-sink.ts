import http from 'node:http';
import https from 'node:https';
import type { Sink, SinkResult } from './sink';
import { REMOTE_WRITE_HEADERS } from '../../lib/prometheus/remote-write-headers';

export interface RemoteWriteSinkOptions {
  /** Thanos Receive (or Prometheus) remote-write endpoint. */
  url: string;
  /** Readiness endpoint of the store. @default origin of `url` + /-/ready */
  readyUrl?: string;
  /** @default 10000 */
  timeoutMs?: number;
  /** Keep-alive connections to the store; bounded so a burst cannot open thousands. @default 16 */
  maxSockets?: number;
}

/** Forwards to a remote-write receiver with the tenant in `THANOS-TENANT`, as Thanos Receive expects. */
export class RemoteWriteSink implements Sink {
  private readonly target: URL;
  private readonly readyTarget: URL;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;

  constructor(options: RemoteWriteSinkOptions) {
    this.target = new URL(options.url);
    this.readyTarget = new URL(options.readyUrl ?? new URL('/-/ready', this.target).toString());
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const AgentClass = this.target.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new AgentClass({ keepAlive: true, maxSockets: options.maxSockets ?? 16 });
  }

  write(tenant: string, body: Buffer): Promise<SinkResult> {
    return new Promise((resolve) => {
      const request = this.transport(this.target).request(
        this.target,
        {
          method: 'POST',
          agent: this.agent,
          timeout: this.timeoutMs,
          headers: {
            ...REMOTE_WRITE_HEADERS,
            'User-Agent': 'costgraph-ingest',
            'THANOS-TENANT': tenant,
            'Content-Length': body.length,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            // Keep only the start of an error body: it is a message, not data.
            if (size < 4096) chunks.push(chunk);
            size += chunk.length;
          });
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            const message = Buffer.concat(chunks).toString('utf8').slice(0, 4096).trim();
            if (status >= 200 && status < 300) resolve({ kind: 'accepted' });
            else if (status >= 400 && status < 500 && status !== 429) resolve({ kind: 'rejected', status, message: message || `store answered ${status}` });
            else resolve({ kind: 'unavailable', message: `store answered ${status}${message ? `: ${message}` : ''}` });
          });
          response.on('error', (error) => resolve({ kind: 'unavailable', message: `store response failed: ${error.message}` }));
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      request.on('error', (error) => resolve({ kind: 'unavailable', message: `store unreachable: ${error.message}` }));
      request.end(body);
    });
  }

  ready(): Promise<boolean> {
    return new Promise((resolve) => {
      const request = this.transport(this.readyTarget).get(this.readyTarget, { agent: this.agent, timeout: 2000 }, (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      });
      request.on('timeout', () => request.destroy());
      request.on('error', () => resolve(false));
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private transport(url: URL): typeof http | typeof https {
    return url.protocol === 'https:' ? https : http;
  }
}
