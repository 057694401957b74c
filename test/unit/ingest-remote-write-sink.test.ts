import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RemoteWriteSink } from '../../ingest/sink/remote-write-sink';

/**
 * The sink against a fake store that answers as told: the store's faults are what these tests
 * inject. (Integration tests forward to a real Prometheus.)
 */
interface Seen {
  method?: string;
  url?: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

async function fakeStore(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    seen,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('RemoteWriteSink', () => {
  const body = Buffer.from('pretend snappy bytes \u0000\u00ff');

  it('forwards the body with the tenant header and the credentials of its URL, and reports 2xx as accepted', async () => {
    const store = await fakeStore((_req, res) => res.writeHead(204).end());
    const sink = new RemoteWriteSink({ url: `http://recv%40er:p%3Ass@127.0.0.1:${store.port}/api/v1/receive?x=1` });
    try {
      expect(await sink.write('tenant-a', body)).toEqual({ kind: 'accepted' });
      const [request] = store.seen;
      expect(request.method).toBe('POST');
      expect(request.url).toBe('/api/v1/receive?x=1');
      expect(request.body.equals(body)).toBe(true);
      expect(request.headers['thanos-tenant']).toBe('tenant-a');
      expect(request.headers['content-encoding']).toBe('snappy');
      expect(request.headers.authorization).toBe(`Basic ${Buffer.from('recv@er:p:ss').toString('base64')}`);
    } finally {
      sink.close();
      await store.close();
    }
  });

  it("passes a 4xx on as rejected with the store's message, and treats 429 and 5xx as unavailable", async () => {
    const answers: Array<[number, string]> = [
      [400, 'out of order sample'],
      [429, 'slow down'],
      [503, 'x'.repeat(1024 * 1024)],
    ];
    const store = await fakeStore((_req, res) => {
      const [status, text] = answers[store.seen.length - 1];
      res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
    });
    const sink = new RemoteWriteSink({ url: `http://127.0.0.1:${store.port}/api/v1/write` });
    try {
      expect(await sink.write('t', body)).toEqual({ kind: 'rejected', status: 400, message: 'out of order sample' });
      expect(await sink.write('t', body)).toEqual({ kind: 'unavailable', message: 'store answered 429: slow down' });
      const big = await sink.write('t', body);
      expect(big.kind).toBe('unavailable');
      // A huge error page is cut, not kept whole.
      expect((big as { message: string }).message.length).toBeLessThanOrEqual('store answered 503: '.length + 4096);
      // The sink still works after abandoning that body.
      answers.push([204, '']);
      expect(await sink.write('t', body)).toEqual({ kind: 'accepted' });
    } finally {
      sink.close();
      await store.close();
    }
  });

  it('gives up on a store that does not answer within the timeout, and on a refused connection', async () => {
    const store = await fakeStore(() => undefined);
    const sink = new RemoteWriteSink({ url: `http://127.0.0.1:${store.port}/api/v1/write`, timeoutMs: 300 });
    const closedPort = await fakeStore(() => undefined);
    await closedPort.close();
    const refused = new RemoteWriteSink({ url: `http://127.0.0.1:${closedPort.port}/api/v1/write`, timeoutMs: 300 });
    try {
      // The store never answers: only the sink's own timeout can end this write.
      expect(await sink.write('t', body)).toEqual({ kind: 'unavailable', message: 'no answer within 300 ms' });
      expect(await refused.write('t', body)).toMatchObject({ kind: 'unavailable', message: expect.stringMatching(/^store unreachable/) });
    } finally {
      sink.close();
      refused.close();
      await store.close();
    }
  });

  it('is ready only while the store answers /-/ready with 200', async () => {
    let status = 200;
    const store = await fakeStore((_req, res) => {
      if (status === 0) return; // hang
      res.writeHead(status).end();
    });
    const sink = new RemoteWriteSink({ url: `http://127.0.0.1:${store.port}/api/v1/write` });
    try {
      expect(await sink.ready()).toBe(true);
      expect(store.seen[0].url).toBe('/-/ready');
      status = 503;
      expect(await sink.ready()).toBe(false);
      // A store that never answers /-/ready: only the sink's own timeout can end this check.
      status = 0;
      expect(await sink.ready()).toBe(false);
    } finally {
      sink.close();
      await store.close();
    }
  });
});
