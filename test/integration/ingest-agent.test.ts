import http from 'node:http';
import { loadIngestConfig } from '../../ingest/config';
import { startIngest, type RunningIngest } from '../../ingest/start';
import { createOrganization } from '../../lib/accounts/repository';
import { silentLogger } from '../../lib/log';
import snappy from 'snappy';
import { encodeWriteRequest } from '../../lib/remote-write/codec';
import { createKubernetesCluster, deleteCloudAccount, rotateClusterCredential, type ClusterConnection } from '../../lib/accounts/kubernetes-clusters';
import { COST_METRIC_FAMILIES } from '../../lib/remote-write/cost-metrics';
import type { LocalPrometheus } from '../../cli/local/local-prometheus';
import { databaseBackends, type TestDatabase } from '../helpers/databases';
import { ingestCounter, startIngestStore, type IngestStore } from '../helpers/ingest-store';
import { storedSamples } from '../helpers/sequence-exporter';
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
function rawPost(base: string, target: string, body: Buffer, headers: http.OutgoingHttpHeaders): Promise<number> {
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

/** A body with labels exactly as given: unsorted, repeated or empty, as no well-behaved sender would write them. */
function rawLabelsBody(series: Array<Array<[string, string]>>, timestamp: number): Buffer {
  const timeseries = series.map((labels, i) => ({ labels: labels.map(([name, value]) => ({ name, value })), samples: [{ timestamp, value: i }] }));
  return snappy.compressSync(Buffer.from(encodeWriteRequest(timeseries)));
}

describe.each(databaseBackends())('a real Prometheus agent remote-writing through ingest ($name)', (backend) => {
  let t: TestDatabase;
  let stack: IngestStore;
  let store: LocalPrometheus;
  let ingest: RunningIngest;
  let exporter: Exporter;
  let a: ClusterConnection;
  let b: ClusterConnection;

  beforeAll(async () => {
    t = await backend.create();
    const org = await createOrganization(t.db, 'Agent Test');
    a = await createKubernetesCluster(t.db, org.id, 'cluster-a', 'http://unused');
    b = await createKubernetesCluster(t.db, org.id, 'cluster-b', 'http://unused');
    stack = await startIngestStore(t.db, { prefix: 'ingest', env: { INGEST_FORWARD_TIMEOUT: '2s' } });
    ({ store, ingest } = stack);
    exporter = await startExporter(SCRAPE);
    // The spoofed tenant label rides in as an external label on every series, as in the captures.
    await stack.startAgent({
      exporter,
      credential: a,
      // Try to write as cluster B through every channel a sender controls.
      headers: { 'THANOS-TENANT': b.cloudAccount.id, 'Cloud-Account-Id': a.cloudAccount.id, 'X-Scope-OrgID': b.cloudAccount.id },
      maxBackoff: '500ms',
      firstSamples: `{tenant_id="${a.cloudAccount.id}"}`,
    });
  }, 90_000);

  afterAll(async () => {
    await stack?.close();
    await t?.drop();
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

  it('cluster A\'s credential cannot reach B through label tricks (unsorted, repeated, empty tenant_id) or header tricks', async () => {
    const A = a.cloudAccount.id;
    const B = b.cloudAccount.id;
    const now = Date.now();
    const name = ['__name__', 'node_cpu_hourly_cost'] as [string, string];
    const node = ['node', 'label-isolation'] as [string, string];
    const probe = (p: string) => ['probe', p] as [string, string];
    // Each body alone, so one malformed series cannot hide what another one did.
    const bodies: Array<[string, Array<Array<[string, string]>>]> = [
      ['tenant-last-unsorted', [[name, probe('tenant-last-unsorted'), node, ['tenant_id', B]]]],
      ['tenant-first-unsorted', [[['tenant_id', B], node, name, probe('tenant-first-unsorted')]]],
      ['tenant-twice', [[name, node, probe('tenant-twice'), ['tenant_id', B], ['tenant_id', B]]]],
      ['tenant-a-and-b', [[name, node, probe('tenant-a-and-b'), ['tenant_id', A], ['tenant_id', B]]]],
      ['tenant-empty', [[name, node, probe('tenant-empty'), ['tenant_id', '']]]],
      ['tenant-only', [[['tenant_id', B]]]],
      ['tenant-like-names', [([name, node, probe('tenant-like-names'), ['TENANT_ID', B], ['__tenant_id__', B], ['thanos_tenant', B]] as Array<[string, string]>).sort((x, y) => (x[0] < y[0] ? -1 : 1))]],
      ['mixed', [[name, node, probe('mixed-ok')], [name, node, probe('mixed-spoof'), ['tenant_id', B]], [['tenant_id', B], ['tenant_id', B]]]],
    ];
    const auth = { ...REMOTE_WRITE_HEADERS, Authorization: basicAuth(a.username, a.password) };
    const statuses: Record<string, number> = {};
    for (const [label, series] of bodies) statuses[label] = await rawPost(ingest.url, '/api/v1/write', rawLabelsBody(series, now), auth);
    process.stderr.write(`reliability: label tricks ${JSON.stringify(statuses)}\n`);
    for (const [label, status] of Object.entries(statuses)) expect({ label, status: [204, 400].includes(status) }).toEqual({ label, status: true });
    // Series with a metric name are stored, as A's; a series that is nothing but a tenant is refused.
    expect(statuses['tenant-only']).toBe(400);
    expect(statuses['tenant-first-unsorted']).toBe(204);
    expect(statuses['tenant-last-unsorted']).toBe(204);

    const body = writeBody([{ labels: { __name__: 'node_cpu_hourly_cost', node: 'label-isolation', probe: 'headers' }, samples: [[now, 1]] }]);
    // B's account name with A's password, on both paths and both schemes.
    expect(await rawPost(ingest.url, '/api/v1/write', body, { ...REMOTE_WRITE_HEADERS, Authorization: basicAuth(B, a.password) })).toBe(401);
    expect(await rawPost(ingest.url, '/storage/api/v2/write', body, { ...REMOTE_WRITE_HEADERS, Authorization: basicAuth(B, a.password), 'Cloud-Account-Id': B })).toBe(401);
    expect(await rawPost(ingest.url, '/storage/api/v2/write', body, { ...REMOTE_WRITE_HEADERS, Authorization: `Bearer ${a.password}`, 'Cloud-Account-Id': B })).toBe(401);
    // Two Cloud-Account-Id headers (A's and B's) are refused rather than one of them picked.
    expect(await rawPost(ingest.url, '/api/v1/write', body, { ...REMOTE_WRITE_HEADERS, Authorization: basicAuth(A, a.password), 'Cloud-Account-Id': [A, B] })).toBe(401);
    // Two Authorization headers: whichever the server reads, it is never B.
    const twoAuth = await rawPost(ingest.url, '/api/v1/write', body, { ...REMOTE_WRITE_HEADERS, Authorization: [basicAuth(A, a.password), basicAuth(B, a.password)] });
    expect([204, 401]).toContain(twoAuth);
    // A's credential in a proxy header and B's user name with an empty password.
    expect(await rawPost(ingest.url, '/api/v1/write', body, { ...REMOTE_WRITE_HEADERS, 'Proxy-Authorization': basicAuth(A, a.password), Authorization: basicAuth(B, '') })).toBe(401);

    const stored = await waitFor('the accepted label probes', async () => {
      const series = await instantQuery(store.url, 'node_cpu_hourly_cost{node="label-isolation"}');
      return series.some((s) => s.metric.probe === 'mixed-ok') ? series : undefined;
    });
    for (const series of stored) expect({ probe: series.metric.probe, tenant: series.metric.tenant_id }).toEqual({ probe: series.metric.probe, tenant: A });
    expect(await instantQuery(store.url, `count({tenant_id="${B}"})`)).toEqual([]);
    expect(await instantQuery(store.url, `count({__name__=~".+", tenant_id!="${A}"})`)).toEqual([]);
  });

  it('a rotated credential works at once and its old password, like a deleted account\'s, stops within the credential TTL', async () => {
    const ttlMs = 2000;
    // A worker of its own with a short TTL (the default, 30 s, is also under the 60 s asked for).
    const shortTtl = await startIngest({
      config: loadIngestConfig({ INGEST_PORT: '0', INGEST_INTERNAL_PORT: '0', THANOS_RECEIVE_URL: `${store.url}/api/v1/write`, INGEST_CREDENTIAL_TTL: `${ttlMs}ms` }),
      db: t.db,
      logger: silentLogger,
    });
    try {
      const org = await createOrganization(t.db, 'Credential Lifecycle');
      const rotated = await createKubernetesCluster(t.db, org.id, 'to-rotate', 'http://unused');
      const unused = await createKubernetesCluster(t.db, org.id, 'to-rotate-unused', 'http://unused');
      const deleted = await createKubernetesCluster(t.db, org.id, 'to-delete', 'http://unused');
      let n = 0;
      const write = (user: string, password: string) =>
        rawPost(shortTtl.url, '/api/v1/write', writeBody([{ labels: { __name__: 'node_cpu_hourly_cost', node: 'lifecycle', probe: `p${n++}` }, samples: [[Date.now(), 1]] }]), {
          ...REMOTE_WRITE_HEADERS,
          Authorization: basicAuth(user, password),
        });
      // Credentials cached (and verdicts too) before anything changes.
      for (const c of [rotated, unused, deleted]) expect(await write(c.username, c.password)).toBe(204);

      const next = await rotateClusterCredential(t.db, rotated.cloudAccount.id, 'http://unused');
      // The new password on its very first request.
      expect(await write(rotated.username, next.password)).toBe(204);
      // Rotated while nobody presents the new password, and deleted, while their verdicts are cached.
      const nextUnused = await rotateClusterCredential(t.db, unused.cloudAccount.id, 'http://unused');
      await deleteCloudAccount(t.db, deleted.cloudAccount.id);

      // Once a TTL has passed since the changes, no cached verdict is left to let an old password in.
      await new Promise((resolve) => setTimeout(resolve, ttlMs));
      expect({
        rotatedOld: await write(rotated.username, rotated.password),
        unusedOld: await write(unused.username, unused.password),
        deleted: await write(deleted.username, deleted.password),
        rotatedNew: await write(rotated.username, next.password),
        unusedNew: await write(unused.username, nextUnused.password),
      }).toEqual({ rotatedOld: 401, unusedOld: 401, deleted: 401, rotatedNew: 204, unusedNew: 204 });
    } finally {
      await shortTtl.close();
    }
  });

  it('loses no scraped sample while the store is down: ingest answers 503 and the agent catches up', async () => {
    const selector = `kubecost_cluster_management_cost{tenant_id="${a.cloudAccount.id}"}`;
    const requests = (status: string) => ingestCounter(ingest.internalUrl, 'costgraph_ingest_requests_total', `status="${status}`);
    const unavailableBefore = await requests('503');
    const refusedBefore = await requests('4');
    await store.stop();
    const downAt = Date.now();
    // Down until the agent has been answered 503 and the exporter has served a few scrapes.
    await waitFor('a 503 from ingest', async () => ((await requests('503')) > unavailableBefore ? true : undefined));
    await waitFor('scrapes while the store is down', async () => ((await exporter.snapshot()).servedAt.filter((at) => at > downAt).length >= 3 ? true : undefined));
    const unavailable = (await requests('503')) - unavailableBefore;
    store = await stack.restartStore();
    const upAt = Date.now();

    // Every scrape served while the store was down is a sample in the store. A sample carries the
    // agent's scrape time, taken just before the exporter serves it (within the 1 s interval).
    const outageScrapes = (await exporter.snapshot()).servedAt.filter((at) => at > downAt && at < upAt);
    const missing = async () => {
      const times = (await storedSamples(store.url, selector, downAt - 2000, Date.now())).map(([time]) => time);
      return outageScrapes.filter((at) => !times.some((time) => time <= at + 50 && time > at - 1000));
    };
    await waitFor('the agent to deliver the scrapes of the outage', async () => ((await missing()).length === 0 ? true : undefined), 45_000).catch(() => undefined);
    expect({ scrapes: outageScrapes.length, missing: await missing() }).toEqual({ scrapes: outageScrapes.length, missing: [] });
    expect(outageScrapes.length).toBeGreaterThanOrEqual(3);
    // The agent was told to retry (503), never to drop (4xx).
    expect(unavailable).toBeGreaterThan(0);
    expect((await requests('4')) - refusedBefore).toBe(0);
  }, 90_000);
});
