import http from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../log';

export interface InternalEndpoints {
  /** What /metrics exposes. */
  registry: Registry;
  /** /readyz: whether this process can do its work now. @default always ready once listening */
  ready?: () => Promise<boolean>;
  logger: Logger;
}

/**
 * A service's internal listener: /metrics, /readyz and /healthz, for the kubelet and the
 * cluster's Prometheus. It never shares the public port: metrics carry tenant ids and volumes.
 */
export function createInternalServer({ registry, ready = async () => true, logger }: InternalEndpoints): http.Server {
  const server = http.createServer((req, res) => {
    const send = (status: number, body: string, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers }).end(body);
    const respond = async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/healthz' && path !== '/readyz' && path !== '/metrics') return send(404, 'not found\n');
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'use GET\n', { Allow: 'GET, HEAD' });
      switch (path) {
        case '/healthz':
          return send(200, 'ok\n');
        case '/readyz':
          return (await ready()) ? send(200, 'ready\n') : send(503, 'not ready\n');
        case '/metrics':
          return send(200, await registry.metrics(), { 'Content-Type': registry.contentType });
      }
    };
    respond().catch((error: unknown) => {
      logger.error({ err: error }, 'internal endpoint failed');
      if (!res.headersSent) send(500, 'internal error\n');
    });
    // Bodies are never read here; drain one so the connection stays usable.
    req.resume();
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  return server;
}
