import { createPgliteDatabase, type TestDatabase } from '../helpers/databases';
import { startTestStack, type TestStack } from '../helpers/stack';

/*
 * Each service listens twice: a public port with only what customers and clients need, and an
 * internal one with /metrics and /readyz. Ingest's metrics name every customer's cloud account,
 * so a public /metrics would hand the customer list to anyone who can reach the write endpoint.
 */

/** The service's own metric families, which only its internal /metrics may show. */
const OWN_METRICS: Record<string, RegExp> = {
  ingest: /^# TYPE costgraph_ingest_requests_total counter$/m,
  gateway: /^# TYPE costgraph_gateway_operations_total counter$/m,
  expenses: /^# TYPE process_cpu_seconds_total counter$/m,
  kubecost: /^# TYPE costgraph_kubecost_promql_requests_total counter$/m,
};

describe('public and internal listeners', () => {
  let t: TestDatabase;
  let stack: TestStack;
  let services: Array<{ name: string; public: string; internal: string }>;

  beforeAll(async () => {
    t = await createPgliteDatabase();
    stack = await startTestStack(t.db);
    services = (['ingest', 'gateway', 'expenses', 'kubecost'] as const).map((name) => ({
      name,
      public: new URL(stack[name].url).origin,
      internal: stack[name].internalUrl,
    }));
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await t?.drop();
  });

  it('the public port answers /healthz and nothing internal', async () => {
    for (const service of services) {
      const answers = await Promise.all(['/healthz', '/metrics', '/readyz'].map(async (path) => [path, (await fetch(`${service.public}${path}`)).status]));
      expect([service.name, answers]).toEqual([service.name, [['/healthz', 200], ['/metrics', 404], ['/readyz', 404]]]);
    }
    // Whatever the method.
    expect((await fetch(`${services[0].public}/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('the internal port serves the service\'s metrics in the Prometheus text format, readiness and liveness', async () => {
    for (const service of services) {
      const metrics = await fetch(`${service.internal}/metrics`);
      expect([service.name, metrics.status, metrics.headers.get('content-type')]).toEqual([service.name, 200, expect.stringMatching(/^text\/plain; version=0\.0\.4/)]);
      const text = await metrics.text();
      expect([service.name, OWN_METRICS[service.name].test(text)]).toEqual([service.name, true]);
      expect(text).toMatch(/^# HELP /m);
      for (const path of ['/readyz', '/healthz']) {
        expect([service.name, path, (await fetch(`${service.internal}${path}`)).status]).toEqual([service.name, path, 200]);
      }
    }
  });

  it('the internal port serves nothing else, and only reads', async () => {
    for (const service of services) {
      const path = service.name === 'ingest' ? '/api/v1/write' : '/graphql';
      expect([service.name, (await fetch(`${service.internal}${path}`, { method: 'POST', body: '{}' })).status]).toEqual([service.name, 404]);
      const post = await fetch(`${service.internal}/metrics`, { method: 'POST', body: '' });
      expect([service.name, post.status, post.headers.get('allow')]).toEqual([service.name, 405, 'GET, HEAD']);
      expect((await fetch(`${service.internal}/metrics`, { method: 'HEAD' })).status).toBe(200);
    }
  });

  it('both listeners bind 127.0.0.1 by default, each on its own port', () => {
    for (const service of services) {
      const [publicUrl, internalUrl] = [new URL(service.public), new URL(service.internal)];
      expect([service.name, publicUrl.hostname, internalUrl.hostname]).toEqual([service.name, '127.0.0.1', '127.0.0.1']);
      expect(internalUrl.port).not.toBe(publicUrl.port);
    }
  });
});
