import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { loadIngestConfig } from '../../ingest/config';
import { startIngest, type RunningIngest } from '../../ingest/start';
import { createOrganization } from '../../lib/accounts/repository';
import { silentLogger } from '../../lib/log';
import { createKubernetesCluster, type ClusterConnection } from '../../lib/onboarding/clusters';
import { COST_METRIC_FAMILIES } from '../../lib/onboarding/remote-write-config';
import { startLocalPrometheus, type LocalPrometheus } from '../../lib/prometheus/local-prometheus';
import { databaseBackends, type TestDatabase } from '../helpers/databases';
import { startExporter, type Exporter } from '../helpers/exporter';
import { fixture } from '../helpers/fixtures';
import { instantQuery, waitFor } from '../helpers/promql';
import { basicAuth, REMOTE_WRITE_HEADERS, writeBody } from '../helpers/remote-write';

const SCRAPE = fixture('opencost', 'kubecost-scrape.prom').toString('utf8');

/** Metric families in the real Kubecost scrape, split by whether the ingest allow-list keeps them. */
function familiesInScrape(): { kept: string[]; dropped: string[] } {
  const names = new Set(SCRAPE.split('\n').filter((line) => line && !line.startsWith('#')).map((line) => line.split(/[{ ]/)[0]));
  const allowed = new Set(COST_METRIC_FAMILIES);
  return { kept: [...names].filter((n) => allowed.has(n)).sort(), dropped: [...names].filter((n) => !allowed.has(n)).sort() };
}

/**
 * POSTs with the request target exactly as given (no URL normalisation by a client library),
 * so path tricks reach the server byte for byte.
 */
function rawPost(base: string, target: string, body: Buffer, headers: Record<string, string>): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const request = http.request({ hostname, port, path: target, method: 'POST', headers: { ...headers, 'Content-Length': body.length } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe.each(databaseBackends())('a real Prometheus agent remote-writing through ingest ($name)', (backend) => {
  let dir: string;
  let t: TestDatabase;
  let store: LocalPrometheus;
  let agent: LocalPrometheus;
  let ingest: RunningIngest;
  let exporter: Exporter;
  let a: ClusterConnection;
  let b: ClusterConnection;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-ingest-'));
    t = await backend.create();
    const org = await createOrganization(t.db, 'Agent Test');
    a = await createKubernetesCluster(t.db, org.id, 'cluster-a', 'http://unused');
    b = await createKubernetesCluster(t.db, org.id, 'cluster-b', 'http://unused');
    store = await startLocalPrometheus({ dataDir: path.join(dir, 'store'), port: 0 });
    ingest = await startIngest({
      config: loadIngestConfig({ INGEST_PORT: '0', THANOS_RECEIVE_URL: `${store.url}/api/v1/write`, INGEST_FORWARD_TIMEOUT: '2s' }),
      db: t.db,
      logger: silentLogger,
    });
    exporter = await startExporter(SCRAPE);
    agent = await startLocalPrometheus({
      dataDir: path.join(dir, 'agent'),
      port: 0,
      agent: {
        scrapeInterval: '1s',
        scrapeConfigs: [{ job_name: 'kubecost', honor_labels: true, static_configs: [{ targets: [exporter.url] }] }],
        remoteWrite: [
          {
            url: `${ingest.url}/api/v1/write`,
            basic_auth: { username: a.username, password: a.password },
            // Try to write as cluster B through every channel a sender controls.
            headers: { 'THANOS-TENANT': b.cloudAccount.id, 'Cloud-Account-Id': a.cloudAccount.id, 'X-Scope-OrgID': b.cloudAccount.id },
            queue_config: { batch_send_deadline: '500ms', min_backoff: '50ms', max_backoff: '500ms' },
          },
        ],
      },
    });
    // The spoofed tenant label rides in as an external label on every series, as in the captures.
    await waitFor('first samples in the store', async () => {
      const result = await instantQuery(store.url, `count({tenant_id="${a.cloudAccount.id}"})`);
      return result.length > 0 ? result : undefined;
    });
  }, 90_000);

  afterAll(async () => {
    await agent?.stop();
    await exporter?.close();
    await ingest?.close();
    await store?.stop();
    await t?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('stores every cost family of the real scrape under the cluster\'s tenant, and nothing else', async () => {
    const { kept, dropped } = familiesInScrape();
    await waitFor('all kept families', async () => {
      const names = (await instantQuery(store.url, 'count by (__name__) ({__name__=~".+"})')).map((s) => s.metric.__name__).sort();
      return JSON.stringify(names) === JSON.stringify(kept) ? names : undefined;
    });
    const tenants = await instantQuery(store.url, 'count by (tenant_id) ({__name__=~".+"})');
    expect(tenants.map((s) => s.metric.tenant_id)).toEqual([a.cloudAccount.id]);
    expect(dropped).toEqual(expect.arrayContaining(['deployment_match_labels', 'opencost_build_info']));
    const up = await instantQuery(store.url, 'count(up)');
    expect(up).toEqual([]);
  });

  it('keeps the exporter\'s values and labels', async () => {
    const cpu = await instantQuery(store.url, 'node_cpu_hourly_cost');
    const expected = SCRAPE.split('\n').filter((line) => line.startsWith('node_cpu_hourly_cost{'));
    expect(cpu).toHaveLength(expected.length);
    for (const line of expected) {
      const node = /node="([^"]+)"/.exec(line)![1];
      const value = Number(line.split(' ').pop());
      const stored = cpu.find((s) => s.metric.node === node);
      expect(Number(stored?.value[1])).toBeCloseTo(value, 9);
      expect(stored?.metric.tenant_id).toBe(a.cloudAccount.id);
    }
  });

  it('cluster A\'s credential cannot write into cluster B\'s tenant by any path, header or label', async () => {
    const A = a.cloudAccount.id;
    const B = b.cloudAccount.id;
    const bEncoded = encodeURIComponent(B);
    // Every way a sender controls where a request goes: the request target...
    const targets = [
      '/api/v1/write',
      `/api/v1/write?tenant=${B}`,
      `/api/v1/write?tenant_id=${B}&THANOS-TENANT=${B}&X-Scope-OrgID=${B}`,
      `/storage/api/v2/write?tenant=${B}`,
      `/api/v1/write/${B}`,
      `/api/v1/write/${bEncoded}/`,
      `/${B}/api/v1/write`,
      `/api/v1/${B}/write`,
      `/api/v1/write/../../${B}/api/v1/write`,
      `/${B}/../api/v1/write`,
      `/api/v1/write/%2e%2e/${B}`,
      `/api/v1/write%2F${B}`,
      `/api/v1/write%3Ftenant=${B}`,
      `/api/v1/write;tenant=${B}`,
      '//api/v1/write',
      '/api/v1//write',
      '/api//v1/write',
      '/api/v1/write/',
      '/API/V1/WRITE',
      `http://${B}/api/v1/write`,
      `http://127.0.0.1/${B}/api/v1/write`,
    ];
    // ...and every header that names a tenant in Thanos, Cortex/Mimir or costgraph.
    const spoofHeaders = { 'THANOS-TENANT': B, 'X-Scope-OrgID': B, 'X-Tenant-Id': B, 'Tenant-Id': B };
    const results: Array<{ target: string; probe: string; status: number }> = [];
    const now = Date.now();
    for (const [i, target] of targets.entries()) {
      const probe = `path-${i}`;
      // ...and the data itself: a spoofed tenant_id label.
      const body = writeBody([{ labels: { __name__: 'node_cpu_hourly_cost', node: 'isolation', probe, tenant_id: B }, samples: [[now, i]] }]);
      const status = await rawPost(ingest.url, target, body, { ...REMOTE_WRITE_HEADERS, ...spoofHeaders, Authorization: basicAuth(a.username, a.password) });
      results.push({ target, probe, status });
    }
    // Bearer with A's password while naming B as the account must not authenticate as either.
    const bearerBody = writeBody([{ labels: { __name__: 'node_cpu_hourly_cost', node: 'isolation', probe: 'bearer' }, samples: [[now, 1]] }]);
    const bearer = await rawPost(ingest.url, '/api/v1/write', bearerBody, { ...REMOTE_WRITE_HEADERS, Authorization: `Bearer ${a.password}`, 'Cloud-Account-Id': B });
    expect(bearer).toBe(401);
    const mismatched = await rawPost(ingest.url, '/api/v1/write', bearerBody, { ...REMOTE_WRITE_HEADERS, Authorization: basicAuth(a.username, a.password), 'Cloud-Account-Id': B });
    expect(mismatched).toBe(401);

    // The write paths accept (the query string is ignored, the tenant comes from the credential);
    // any other target is not found, before authentication or the body is even looked at.
    const WRITE_ENDPOINTS = new Set(['/api/v1/write', '/storage/api/v2/write']);
    for (const { target, status } of results) {
      expect({ target, status }).toEqual({ target, status: WRITE_ENDPOINTS.has(target.split('?')[0]) ? 204 : 404 });
    }
    const accepted = results.filter((r) => r.status === 204).map((r) => r.probe);
    expect(accepted).toEqual(['path-0', 'path-1', 'path-2', 'path-3']);
    const stored = await waitFor('the accepted probes', async () => {
      const series = await instantQuery(store.url, 'node_cpu_hourly_cost{node="isolation"}');
      return series.length >= accepted.length ? series : undefined;
    });
    expect(stored.map((s) => s.metric.probe).sort()).toEqual([...accepted].sort());
    for (const series of stored) expect(series.metric.tenant_id).toBe(A);
    // Nothing anywhere in the store belongs to B, whatever the metric.
    expect(await instantQuery(store.url, `count({tenant_id="${B}"})`)).toEqual([]);
    expect(await instantQuery(store.url, `count({__name__=~".+", tenant_id!="${A}"})`)).toEqual([]);
  });

  it('loses no scraped sample while the store is down: ingest answers 503 and the agent catches up', async () => {
    const series = `kubecost_cluster_management_cost{tenant_id="${a.cloudAccount.id}"}`;
    const port = store.port;
    const startedAt = Date.now();
    await store.stop();
    await waitFor('a 503 from ingest', async () => {
      const metrics = await (await fetch(`${ingest.url}/metrics`)).text();
      return /costgraph_ingest_requests_total\{status="503"\} [1-9]/.test(metrics) ? true : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 4000));
    store = await startLocalPrometheus({ dataDir: path.join(dir, 'store'), port });
    const outage = Date.now() - startedAt;
    expect(outage).toBeGreaterThan(4000);
    // Every scrape the exporter served must be a sample in the store (the agent retries 503s).
    const scrapesBefore = exporter.scrapes;
    const stored = await waitFor(
      'the agent to catch up',
      async () => {
        const [sample] = await instantQuery(store.url, `count_over_time(${series}[10m])`);
        return sample && Number(sample.value[1]) >= scrapesBefore ? Number(sample.value[1]) : undefined;
      },
      45_000,
    );
    expect(stored).toBeGreaterThanOrEqual(scrapesBefore);
    expect(stored).toBeLessThanOrEqual(exporter.scrapes);
  }, 90_000);
});
