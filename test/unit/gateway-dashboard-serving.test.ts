import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { chooseEncoding } from '../../gateway/dashboard/content-encoding';
import { createDashboard } from '../../gateway/dashboard/serve';

/** A build as Vite and the precompress plugin write it. */
function fakeBuild(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-dashboard-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  const files: Record<string, string> = { 'index.html': '<!doctype html><title>costgraph</title>', 'assets/index-AbC123.js': 'console.log("app")'.repeat(50) };
  for (const [name, body] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), body);
    fs.writeFileSync(path.join(dir, `${name}.gz`), zlib.gzipSync(body));
    fs.writeFileSync(path.join(dir, `${name}.br`), zlib.brotliCompressSync(body));
  }
  return dir;
}

async function serveOn(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const serve = createDashboard({ dir });
  const server = http.createServer((req, res) => {
    if (!serve(req, res)) res.writeHead(418).end('not the dashboard');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as import('node:net').AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

describe('gateway: dashboard serving', () => {
  it('chooses brotli, then gzip, honouring q=0 and *', () => {
    const all = new Set(['br', 'gzip', 'identity'] as const);
    expect(chooseEncoding('gzip, deflate, br, zstd', all)).toBe('br');
    expect(chooseEncoding('gzip', all)).toBe('gzip');
    expect(chooseEncoding('br;q=0, gzip;q=0.5', all)).toBe('gzip');
    expect(chooseEncoding('*', all)).toBe('br');
    expect(chooseEncoding('*;q=0', all)).toBe('identity');
    expect(chooseEncoding(undefined, all)).toBe('identity');
    expect(chooseEncoding('br', new Set(['identity'] as const))).toBe('identity');
  });

  it('answers index.html for app routes, immutable precompressed assets, 404 for unknown assets', async () => {
    const dir = fakeBuild();
    const server = await serveOn(dir);
    try {
      for (const route of ['/', '/clusters', '/clusters/0190c1e2-0000-7000-8000-000000000001', '/expenses', '/connect', '/?from=2026-01-01&to=2026-02-01']) {
        const page = await get(`${server.url}${route}`);
        expect(page.status).toBe(200);
        expect(page.body.toString()).toContain('<title>costgraph</title>');
        expect(page.headers['cache-control']).toBe('no-cache');
        expect(page.headers['content-security-policy']).toContain("default-src 'self'");
        expect(page.headers['content-security-policy']).not.toContain('unsafe-inline');
      }
      const br = await get(`${server.url}/assets/index-AbC123.js`, { 'Accept-Encoding': 'gzip, br' });
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(br.headers.vary).toBe('Accept-Encoding');
      expect(zlib.brotliDecompressSync(br.body).toString()).toContain('console.log');
      const gz = await get(`${server.url}/assets/index-AbC123.js`, { 'Accept-Encoding': 'gzip' });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(zlib.gunzipSync(gz.body).toString()).toContain('console.log');
      const plain = await get(`${server.url}/assets/index-AbC123.js`);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
      const again = await get(`${server.url}/assets/index-AbC123.js`, { 'Accept-Encoding': 'br', 'If-None-Match': br.headers.etag! });
      expect(again.status).toBe(304);
      expect((await get(`${server.url}/assets/index-Missing.js`)).status).toBe(404);
      // Not the dashboard's: GraphQL over GET, GraphiQL, anything else.
      for (const other of ['/graphql', '/graphiql', '/?query=%7B__typename%7D', '/clusters/a/b', '/healthz']) expect((await get(`${server.url}${other}`)).status).toBe(418);
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers 503 with how to build it when there is no build', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-no-dashboard-'));
    const server = await serveOn(dir);
    try {
      const page = await get(`${server.url}/clusters`);
      expect(page.status).toBe(503);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.body.toString()).toContain('npm run build:dashboard');
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
