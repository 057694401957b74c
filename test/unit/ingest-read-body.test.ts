import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError, readBody as readGraphQLBody } from '../../lib/graphql/http-server';
import { BodyReadError, readBody } from '../../lib/http/read-body';

/** A real server whose handler reads the body with `read` and reports the outcome as JSON. */
async function startServer(read: (req: http.IncomingMessage) => Promise<Buffer>): Promise<{ url: string; outcomes: unknown[]; close(): Promise<void> }> {
  const outcomes: unknown[] = [];
  const server = http.createServer((req, res) => {
    read(req).then(
      (body) => {
        outcomes.push({ ok: body.length });
        res.writeHead(200).end(body.subarray(0, 16).toString('hex'));
      },
      (error: unknown) => {
        const failure =
          error instanceof BodyReadError
            ? { reason: error.reason, message: error.message }
            : error instanceof HttpError
              ? { status: error.status, code: error.code, message: error.message }
              : { unexpected: String(error) };
        outcomes.push(failure);
        if (!res.headersSent && !res.destroyed) res.writeHead(413, { Connection: 'close' }).end(JSON.stringify(failure));
        // The read gave up; draining what is left must not buffer it.
        req.resume();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    outcomes,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Sends `chunks` one by one; without `length` the body goes chunked (no Content-Length). */
function send(url: string, chunks: Buffer[], length?: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, number> = length === undefined ? {} : { 'Content-Length': length };
    const request = http.request(url, { method: 'POST', headers }, (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
    });
    request.on('error', reject);
    for (const chunk of chunks) request.write(chunk);
    request.end();
  });
}

const waitUntil = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe('readBody (shared by ingest and the GraphQL servers)', () => {
  const LIMIT = 1000;

  it('returns the body whole, from one chunk or many, up to exactly the limit', async () => {
    const server = await startServer((req) => readBody(req, LIMIT));
    try {
      const whole = await send(server.url, [Buffer.alloc(LIMIT, 1)], LIMIT);
      expect(whole).toEqual({ status: 200, body: '01'.repeat(16) });
      const pieces = await send(server.url, [Buffer.from([0xab]), Buffer.alloc(499, 2), Buffer.alloc(500, 3)]);
      expect(pieces).toEqual({ status: 200, body: `ab${'02'.repeat(15)}` });
      const empty = await send(server.url, [], 0);
      expect(empty.status).toBe(200);
      expect(server.outcomes).toEqual([{ ok: LIMIT }, { ok: LIMIT }, { ok: 0 }]);
    } finally {
      await server.close();
    }
  });

  it('refuses a declared Content-Length over the limit before reading, and a chunked body once it crosses it', async () => {
    const server = await startServer((req) => readBody(req, LIMIT));
    try {
      const declared = await send(server.url, [Buffer.alloc(LIMIT + 1)], LIMIT + 1);
      expect(declared.status).toBe(413);
      // 64 KiB chunks, 4 MiB in all: refused at the first chunk, the rest drained, never kept.
      const chunked = await send(server.url, Array.from({ length: 64 }, () => Buffer.alloc(64 * 1024)));
      expect(chunked.status).toBe(413);
      const tooLarge = { reason: 'too_large', message: `body exceeds the limit of ${LIMIT} bytes` };
      expect(server.outcomes).toEqual([tooLarge, tooLarge]);
    } finally {
      await server.close();
    }
  });

  it('rejects (never hangs) when the client goes away mid-body', async () => {
    const server = await startServer((req) => readBody(req, 1 << 20));
    try {
      const request = http.request(server.url, { method: 'POST', headers: { 'Content-Length': 10_000 } });
      request.on('error', () => {});
      request.write(Buffer.alloc(100));
      await new Promise((resolve) => setTimeout(resolve, 50));
      request.destroy();
      await waitUntil(() => server.outcomes.length > 0);
      expect(server.outcomes).toEqual([{ reason: expect.stringMatching(/^(aborted|unreadable)$/), message: expect.any(String) }]);
    } finally {
      await server.close();
    }
  });

  it('gives up on a body still arriving at its deadline, however steadily the bytes trickle', async () => {
    const server = await startServer((req) => readBody(req, 1 << 20, { timeoutMs: 300 }));
    try {
      const request = http.request(server.url, { method: 'POST', headers: { 'Content-Length': 100 } });
      request.on('error', () => {});
      // A byte every 50 ms never lets the socket go idle, and would take 5 s in all.
      const trickle = setInterval(() => request.write(Buffer.alloc(1)), 50);
      await waitUntil(() => server.outcomes.length > 0);
      clearInterval(trickle);
      request.destroy();
      expect(server.outcomes).toEqual([{ reason: 'too_slow', message: 'body did not arrive within 300 ms' }]);
    } finally {
      await server.close();
    }
  });

  it('keeps the GraphQL server\'s error shape: 413 PAYLOAD_TOO_LARGE', async () => {
    const server = await startServer((req) => readGraphQLBody(req, LIMIT));
    try {
      expect((await send(server.url, [Buffer.alloc(LIMIT + 1)])).status).toBe(413);
      expect((await send(server.url, [Buffer.alloc(10)])).status).toBe(200);
      expect(server.outcomes).toEqual([{ status: 413, code: 'PAYLOAD_TOO_LARGE', message: `body exceeds the limit of ${LIMIT} bytes` }, { ok: 10 }]);
    } finally {
      await server.close();
    }
  });
});
