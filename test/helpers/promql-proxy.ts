import http from 'node:http';
import type net from 'node:net';

/**
 * What the proxy does with a query: pass it to the real store, answer it late (after the
 * client should have given up), or answer with an error status.
 */
/**
 * `read-race` answers the first request of each distinct query with the error Prometheus 2.42
 * gives when a query loses the race with compaction of its out-of-order head, and forwards
 * the same query when it comes again.
 */
export type ProxyMode =
  | { kind: 'forward' }
  | { kind: 'delay'; ms: number }
  | { kind: 'status'; status: number }
  | { kind: 'read-race'; seen: Set<string> }
  /** Answers `status` to the queries whose text matches, forwards the rest. */
  | { kind: 'status-when'; status: number; query: RegExp };

export interface PromqlProxy {
  url: string;
  mode: ProxyMode;
  /** Query requests (`/api/v1/query`, `/api/v1/query_range`) received, whatever the mode. */
  queries: number;
  /** Query requests answered so far (a delayed one counts once its answer is sent). */
  answered: number;
  /** The most query requests open at once (set it to 0 to measure afresh). */
  maxInFlight: number;
  /** Query requests whose client hung up before the answer was sent. */
  abandoned: number;
  /** The `timeout` parameter of each query request, as sent. */
  timeouts: string[];
  /** The `partial_response` parameter of each query request (URL or body), as sent. */
  partialResponses: string[];
  /** Stops listening and drops open connections: the port is closed until reopen(). */
  close(): Promise<void>;
  reopen(): Promise<void>;
}

/**
 * A tiny HTTP server in front of a Prometheus: counts the PromQL requests a client makes and
 * injects slowness or failures, so tests can assert on requests rather than on timing.
 */
export async function startPromqlProxy(upstream: string): Promise<PromqlProxy> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const proxy: PromqlProxy = {
    url: '',
    mode: { kind: 'forward' },
    queries: 0,
    answered: 0,
    maxInFlight: 0,
    abandoned: 0,
    timeouts: [],
    partialResponses: [],
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    reopen: () => listen(port),
  };

  const forward = async (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => {
    const response = await fetch(`${upstream}${req.url}`, {
      method: req.method,
      headers: req.headers['content-type'] ? { 'Content-Type': req.headers['content-type'] } : {},
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : new Uint8Array(body),
    });
    const text = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, { 'Content-Type': response.headers.get('content-type') ?? 'application/json' });
    res.end(text);
  };

  /** Query requests open now: neither answered nor hung up on. */
  let inFlight = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (/^\/api\/v1\/query(_range)?(\?|$)/.test(req.url ?? '')) {
        proxy.queries++;
        inFlight++;
        proxy.maxInFlight = Math.max(proxy.maxInFlight, inFlight);
        const form = new URLSearchParams(body.toString('utf8'));
        proxy.timeouts.push(form.get('timeout') ?? '');
        proxy.partialResponses.push(new URL(req.url ?? '/', 'http://proxy').searchParams.get('partial_response') ?? form.get('partial_response') ?? '');
        let over = false;
        res.on('finish', () => {
          if (over) return;
          over = true;
          inFlight--;
          proxy.answered++;
        });
        res.on('close', () => {
          if (over) return;
          over = true;
          inFlight--;
          proxy.abandoned++;
        });
      }
      const mode = proxy.mode;
      const fail = (error: unknown) => {
        if (!res.headersSent) res.writeHead(502);
        res.end(String(error));
      };
      switch (mode.kind) {
        case 'forward':
          forward(req, body, res).catch(fail);
          break;
        case 'delay': {
          const timer = setTimeout(() => {
            timers.delete(timer);
            forward(req, body, res).catch(fail);
          }, mode.ms);
          timers.add(timer);
          break;
        }
        case 'status':
          res.writeHead(mode.status, { 'Content-Type': 'text/plain' });
          res.end('injected failure');
          break;
        case 'status-when': {
          const query = new URLSearchParams(body.toString('utf8')).get('query') ?? new URL(req.url ?? '/', 'http://proxy').searchParams.get('query') ?? '';
          if (mode.query.test(query)) {
            res.writeHead(mode.status, { 'Content-Type': 'text/plain' });
            res.end('injected failure');
          } else {
            forward(req, body, res).catch(fail);
          }
          break;
        }
        case 'read-race': {
          const key = `${req.url}\n${body.toString('utf8')}`;
          if (/^\/api\/v1\/query(_range)?(\?|$)/.test(req.url ?? '') && !mode.seen.has(key)) {
            mode.seen.add(key);
            res.writeHead(422, { 'Content-Type': 'application/json' });
            res.end(JSON.stringify({ status: 'error', errorType: 'execution', error: 'cannot populate chunk 989855745 from block 00000000000000000000000000: not found' }));
          } else {
            forward(req, body, res).catch(fail);
          }
          break;
        }
        default: {
          const never: never = mode;
          throw new Error(`unknown mode ${JSON.stringify(never)}`);
        }
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const listen = (p: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  proxy.url = `http://127.0.0.1:${port}`;
  return proxy;
}
