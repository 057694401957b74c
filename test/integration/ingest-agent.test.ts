import fs from 'node:fs';
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

const SCRAPE = fixture('opencost', 'kubecost-scrape.prom').toString('utf8');

/** Metric families in the real Kubecost scrape, split by whether the ingest allow-list keeps them. */
function familiesInScrape(): { kept: string[]; dropped: string[] } {
  const names = new Set(SCRAPE.split('\n').filter((line) => line && !line.startsWith('#')).map((line) => line.split(/[{ ]/)[0]));
  const allowed = new Set(COST_METRIC_FAMILIES);
  return { kept: [...names].filter((n) => allowed.has(n)).sort(), dropped: [...names].filter((n) => !allowed.has(n)).sort() };
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
