import http from 'node:http';
import type net from 'node:net';

export interface RecordedQuery {
  path: string;
  /** The PromQL text, from the form body (POST) or the query string (GET). */
  query: string;
}

export interface PromqlRecorder {
  url: string;
  /** Where requests go; settable after start, since the store may start after the recorder. */
  upstream: string;
  /** Every `/api/v1/query*` request received, in order. */
  recorded: RecordedQuery[];
  close(): Promise<void>;
}

/**
 * A recording HTTP proxy in front of a Prometheus: passes every request through unchanged and
 * keeps the PromQL text each one carried, so tests can assert on what was actually sent.
 */
export async function startPromqlRecorder(upstream = ''): Promise<PromqlRecorder> {
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://recorder');
      if (url.pathname.startsWith('/api/v1/query')) {
        const form = req.method === 'POST' ? new URLSearchParams(body.toString('utf8')) : url.searchParams;
        recorder.recorded.push({ path: url.pathname, query: form.get('query') ?? '' });
      }
      fetch(`${recorder.upstream}${req.url}`, {
        method: req.method,
        headers: req.headers['content-type'] ? { 'Content-Type': req.headers['content-type'] } : {},
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : new Uint8Array(body),
      })
        .then(async (response) => {
          const text = Buffer.from(await response.arrayBuffer());
          res.writeHead(response.status, { 'Content-Type': response.headers.get('content-type') ?? 'application/json' });
          res.end(text);
        })
        .catch((error: unknown) => {
          if (!res.headersSent) res.writeHead(502);
          res.end(String(error));
        });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const recorder: PromqlRecorder = {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    upstream,
    recorded: [],
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
  return recorder;
}

/** Every tenant_id matcher in a PromQL text: operator and (unescaped) value. */
export function tenantMatchers(promql: string): Array<{ op: string; value: string }> {
  const out: Array<{ op: string; value: string }> = [];
  for (const m of promql.matchAll(/tenant_id\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)) {
    out.push({ op: m[1], value: m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)) });
  }
  return out;
}
