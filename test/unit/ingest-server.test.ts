import http from 'node:http';
import type { AddressInfo } from 'node:net';
import snappy from 'snappy';
import { ClusterAuthenticator } from '../../ingest/auth/cluster-auth';
import { loadIngestConfig, type IngestConfig } from '../../ingest/config';
import { decodeWriteRequest } from '../../lib/remote-write/codec';
import { createIngestServer } from '../../ingest/server';
import type { Sink, SinkResult } from '../../ingest/sink/sink';
import { hashSecret } from '../../lib/accounts/secret-hash';
import { silentLogger } from '../../lib/log';
import { AGENT_CAPTURES, fixture } from '../helpers/fixtures';
import { basicAuth, post, REMOTE_WRITE_HEADERS, writeBody } from '../helpers/remote-write';

/** A sink that records what reached it and answers what the test tells it to. */
class RecordingSink implements Sink {
  writes: Array<{ tenant: string; body: Buffer }> = [];
  next: SinkResult = { kind: 'accepted' };
  async write(tenant: string, body: Buffer): Promise<SinkResult> {
    this.writes.push({ tenant, body });
    return this.next;
  }
  async ready() {
    return this.next.kind === 'accepted';
  }
  close() {}
}

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const PASSWORD = { [A]: 'password-of-a', [B]: 'password-of-b' };
// The captures were taken at this time; pin the clock near it so their samples are fresh.
const CAPTURE_TIME = AGENT_CAPTURES[0].decoded.timeseries[0].samples[0].timestamp;

describe('ingest HTTP pipeline', () => {
  let url: string;
  let internalUrl: string;
  let sink: RecordingSink;
  let close: () => Promise<void>;
  let lookups = 0;
  let config: IngestConfig;

  beforeAll(async () => {
    const hashes: Record<string, string> = { [A]: await hashSecret(PASSWORD[A]), [B]: await hashSecret(PASSWORD[B]) };
    sink = new RecordingSink();
    config = { ...loadIngestConfig({}), maxBodyBytes: 64 * 1024, maxDecodedBytes: 256 * 1024, samplesPerSecondPerTenant: 1000 };
    const auth = new ClusterAuthenticator(async (id) => {
      lookups++;
      return id in hashes ? { cloudAccountId: id, secretHash: hashes[id] } : undefined;
    });
    const { server, internal } = createIngestServer({ config, auth, sink, logger: silentLogger, now: () => CAPTURE_TIME + 1000 });
    const listen = async (s: http.Server) => {
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    };
    url = await listen(server);
    internalUrl = await listen(internal);
    close = async () => {
      for (const s of [server, internal]) await new Promise((resolve) => s.close(resolve));
    };
  });
  afterAll(() => close());
  beforeEach(() => {
    sink.writes = [];
    sink.next = { kind: 'accepted' };
  });

  const authA = { ...REMOTE_WRITE_HEADERS, Authorization: basicAuth(A, PASSWORD[A]) };

  it('forwards a real agent capture stamped with the authenticated tenant, replacing the spoofed one', async () => {
    const capture = AGENT_CAPTURES[0];
    const res = await post(`${url}/api/v1/write`, capture.body, { ...capture.headers, Authorization: basicAuth(A, PASSWORD[A]) });
    expect(res.status).toBe(204);
    expect(sink.writes).toHaveLength(1);
    expect(sink.writes[0].tenant).toBe(A);
    const forwarded = decodeWriteRequest(snappy.uncompressSync(sink.writes[0].body) as Buffer);
    // Only the cost-model families pass the default allow-list (the capture also holds `up` & co).
    const allowed = new Set(config.allowList === '*' ? [] : config.allowList);
    const costSeries = capture.decoded.timeseries.filter((s) => allowed.has(s.labels.find((l) => l.name === '__name__')!.value));
    expect(costSeries.length).toBeGreaterThan(0);
    expect(forwarded.timeseries).toHaveLength(costSeries.length);
    for (const series of forwarded.timeseries) {
      expect(series.labels.filter((l) => l.name === 'tenant_id')).toEqual([{ name: 'tenant_id', value: A }]);
    }
  });

  it('accepts Bearer with Cloud-Account-Id on the OptScale path', async () => {
    const res = await post(`${url}/storage/api/v2/write`, AGENT_CAPTURES[1].body, {
      ...REMOTE_WRITE_HEADERS,
      Authorization: `Bearer ${PASSWORD[B]}`,
      'Cloud-Account-Id': B,
    });
    expect(res.status).toBe(204);
    expect(sink.writes[0].tenant).toBe(B);
  });

  it('accepts metadata-only requests', async () => {
    const res = await post(`${url}/api/v1/write`, fixture('prometheus-agent', 'agent-remote-write-metadata.bin'), authA);
    expect(res.status).toBe(204);
  });

  it.each([
    ['no credentials', {}],
    ['a wrong password', { Authorization: basicAuth(A, 'nope') }],
    ['an unknown account', { Authorization: basicAuth('33333333-3333-4333-8333-333333333333', 'x') }],
    ["A's password with B's account header", { Authorization: basicAuth(A, PASSWORD[A]), 'Cloud-Account-Id': B }],
    ["A's password as Bearer for B", { Authorization: `Bearer ${PASSWORD[A]}`, 'Cloud-Account-Id': B }],
    ['Bearer without an account', { Authorization: `Bearer ${PASSWORD[A]}` }],
    ['a hostile user name', { Authorization: basicAuth('x"}|.*', 'y') }],
  ])('answers 401 with WWW-Authenticate for %s', async (_case, headers) => {
    const res = await post(`${url}/api/v1/write`, AGENT_CAPTURES[0].body, { ...REMOTE_WRITE_HEADERS, ...headers });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Basic/);
    expect(sink.writes).toHaveLength(0);
  });

  it('ignores tenant headers the client sends', async () => {
    const res = await post(`${url}/api/v1/write`, AGENT_CAPTURES[0].body, { ...authA, 'THANOS-TENANT': B, 'X-Scope-OrgID': B });
    expect(res.status).toBe(204);
    expect(sink.writes[0].tenant).toBe(A);
  });

  it('answers 405 to other methods', async () => {
    const res = await post(`${url}/api/v1/write`, '', authA, 'PUT');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
  });

  it.each([`/api/v1/write/${B}`, `/${B}/api/v1/write`, '/api/v1/write/', '//api/v1/write', `/api/v1/write/../../${B}`, '/metricsx'])(
    'answers 404 to a POST to %s and forwards nothing',
    async (target) => {
      const res = await post(`${url}${target}`, AGENT_CAPTURES[0].body, { ...authA, 'THANOS-TENANT': B });
      expect(res.status).toBe(404);
      expect(sink.writes).toHaveLength(0);
    },
  );

  it('answers 405 to a POST to a read endpoint', async () => {
    const res = await post(`${url}/healthz`, '', authA);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET');
  });

  it.each([
    ['gzip encoding', { 'Content-Encoding': 'gzip' }],
    ['no encoding', { 'Content-Encoding': '' }],
    ['a JSON body', { 'Content-Type': 'application/json' }],
    ['remote write 2.0', { 'Content-Type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request' }],
  ])('answers 415 to %s', async (_case, headers) => {
    const res = await post(`${url}/api/v1/write`, AGENT_CAPTURES[0].body, { ...authA, ...headers });
    expect(res.status).toBe(415);
    expect(res.body.length).toBeGreaterThan(0);
  });

  it('answers 413 to a body over the limit and to a snappy bomb', async () => {
    const big = await post(`${url}/api/v1/write`, Buffer.alloc(config.maxBodyBytes + 1), authA);
    expect(big.status).toBe(413);
    const bomb = await post(`${url}/api/v1/write`, Buffer.from([0xff, 0xff, 0xff, 0x7f, 0x00]), authA);
    expect(bomb.status).toBe(413);
    expect(bomb.body).toMatch(/decoded size/);
  });

  it('answers 413 to a chunked body (no Content-Length) once it crosses the limit', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(`${url}/api/v1/write`, { method: 'POST', headers: authA }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      for (let i = 0; i < 4; i++) request.write(Buffer.alloc(config.maxBodyBytes / 2));
      request.end();
    });
    expect(status).toBe(413);
    expect(sink.writes).toHaveLength(0);
  });

  it('answers 400 to corrupt snappy and to corrupt protobuf, saying which', async () => {
    const corrupt = await post(`${url}/api/v1/write`, Buffer.from([0x20, 0x01, 0xff, 0xff]), authA);
    expect(corrupt.status).toBe(400);
    expect(corrupt.body).toMatch(/snappy/);
    const badProto = await post(`${url}/api/v1/write`, snappy.compressSync(Buffer.from([0x0a, 0x40, 0x01])), authA);
    expect(badProto.status).toBe(400);
    expect(badProto.body).toMatch(/protobuf/);
  });

  it('answers 400 when every series is malformed, and forwards the good ones of a mixed request', async () => {
    const t = CAPTURE_TIME;
    const bad = writeBody([{ labels: { node: 'a' }, samples: [[t, 1]] }]);
    const res = await post(`${url}/api/v1/write`, bad, authA);
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/missing_metric_name/);
    const mixed = writeBody([
      { labels: { node: 'a' }, samples: [[t, 1]] },
      { labels: { __name__: 'node_cpu_hourly_cost', node: 'a' }, samples: [[t, 0.03]] },
    ]);
    expect((await post(`${url}/api/v1/write`, mixed, authA)).status).toBe(204);
    expect(decodeWriteRequest(snappy.uncompressSync(sink.writes[0].body) as Buffer).timeseries).toHaveLength(1);
  });

  it('maps store answers to remote-write retry semantics', async () => {
    sink.next = { kind: 'rejected', status: 400, message: 'out of bounds' };
    const rejected = await post(`${url}/api/v1/write`, AGENT_CAPTURES[2].body, authA);
    expect(rejected.status).toBe(400);
    expect(rejected.body).toMatch(/out of bounds/);
    sink.next = { kind: 'unavailable', message: 'connection refused' };
    const down = await post(`${url}/api/v1/write`, AGENT_CAPTURES[2].body, authA);
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBeDefined();
  });

  it('rate-limits a tenant with 429 and Retry-After, without affecting another', async () => {
    const t = CAPTURE_TIME;
    const many = writeBody(
      Array.from({ length: 2500 }, (_, i) => ({ labels: { __name__: 'node_cpu_hourly_cost', node: `n${i}` }, samples: [[t, 1]] as Array<[number, number]> })),
    );
    const first = await post(`${url}/api/v1/write`, many, authA);
    expect(first.status).toBe(204);
    const second = await post(`${url}/api/v1/write`, many, authA);
    expect(second.status).toBe(429);
    expect(Number(second.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const other = await post(`${url}/api/v1/write`, AGENT_CAPTURES[0].body, { ...REMOTE_WRITE_HEADERS, Authorization: basicAuth(B, PASSWORD[B]) });
    expect(other.status).toBe(204);
  });

  it('caches credential lookups instead of asking the database per request', async () => {
    const before = lookups;
    for (let i = 0; i < 5; i++) await post(`${url}/api/v1/write`, fixture('prometheus-agent', 'agent-remote-write-metadata.bin'), authA);
    expect(lookups).toBe(before);
  });

  it('serves metrics and readiness on the internal listener only, health on both', async () => {
    const metrics = await (await fetch(`${internalUrl}/metrics`)).text();
    expect(metrics).toMatch(/costgraph_ingest_requests_total\{status="204"\} \d+/);
    expect(metrics).toMatch(new RegExp(`costgraph_ingest_samples_accepted_total\\{tenant="${A}"\\} \\d+`));
    expect(metrics).toMatch(/costgraph_ingest_series_dropped_total\{[^}]*reason="missing_metric_name"[^}]*\} 2/);
    expect(metrics).toMatch(/costgraph_ingest_series_dropped_total\{[^}]*reason="not_allowed"[^}]*\} \d+/);
    expect(metrics).not.toContain(PASSWORD[A]);
    for (const origin of [url, internalUrl]) expect((await fetch(`${origin}/healthz`)).status).toBe(200);
    expect((await fetch(`${internalUrl}/readyz`)).status).toBe(200);
    for (const path of ['/metrics', '/readyz']) expect((await fetch(`${url}${path}`)).status).toBe(404);
    sink.next = { kind: 'unavailable', message: 'down' };
    expect((await fetch(`${internalUrl}/readyz`)).status).toBe(503);
  });
});
