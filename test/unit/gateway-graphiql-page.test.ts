import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGraphiQL } from '../../gateway/graphiql/page';

describe('GraphiQL page', () => {
  let server: http.Server;
  let base: string;
  let day = '2026-01-01';

  beforeAll(async () => {
    const serve = createGraphiQL({ query: '{ organizations { id } }', variables: () => ({ range: { from: `${day}T00:00:00Z` } }) });
    server = http.createServer((req, res) => {
      if (!serve(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const load = async (headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}/graphiql`, { headers: { 'Accept-Encoding': 'identity', ...headers } });
    return { status: response.status, etag: response.headers.get('etag'), body: response.status === 200 ? await response.text() : '' };
  };

  it('fills in the variables as they are when the page is served, not when the gateway started', async () => {
    const first = await load();
    expect(first.status).toBe(200);
    expect(first.body).toContain('2026-01-01T00:00:00Z');
    // Unchanged variables: the browser's copy is still good.
    expect((await load({ 'If-None-Match': first.etag! })).status).toBe(304);

    day = '2026-01-02';
    const next = await load({ 'If-None-Match': first.etag! });
    expect(next.status).toBe(200);
    expect(next.etag).not.toBe(first.etag);
    expect(next.body).toContain('2026-01-02T00:00:00Z');
    expect(next.body).not.toContain('2026-01-01T00:00:00Z');
  });
});
