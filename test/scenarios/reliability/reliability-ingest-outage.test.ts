import type { RunningIngest } from '../../../ingest/start';
import { createOrganization } from '../../../lib/accounts/repository';
import { createKubernetesCluster, type ClusterConnection } from '../../../lib/accounts/kubernetes-clusters';
import { createPgliteDatabase, type TestDatabase } from '../../helpers/databases';
import { fixture } from '../../helpers/fixtures';
import { ingestCounter, startIngestStore, type IngestStore } from '../../helpers/ingest-store';
import { instantQuery, waitFor } from '../../helpers/promql';
import { missingValues, startSequenceExporter, storedSamples, type SequenceExporter } from '../../helpers/sequence-exporter';

/** How long the store stays down (60 s by default; RELIABILITY_OUTAGE_MS shortens it while iterating). */
const OUTAGE_MS = Number(process.env.RELIABILITY_OUTAGE_MS ?? 60_000);
const SCRAPE = fixture('opencost', 'kubecost-scrape.prom').toString('utf8');
const PROBE = 'container_memory_working_set_bytes';

describe('store outage of 60 s under a real Prometheus agent', () => {
  let t: TestDatabase;
  let stack: IngestStore;
  let ingest: RunningIngest;
  let exporter: SequenceExporter;
  let a: ClusterConnection;

  beforeAll(async () => {
    t = await createPgliteDatabase();
    const org = await createOrganization(t.db, 'Outage Test');
    a = await createKubernetesCluster(t.db, org.id, 'cluster-outage', 'http://unused');
    stack = await startIngestStore(t.db, { prefix: 'outage', env: { INGEST_FORWARD_TIMEOUT: '2s' } });
    ingest = stack.ingest;
    exporter = await startSequenceExporter(PROBE, { container: 'sequence-probe', namespace: 'reliability' }, SCRAPE);
    // Prometheus's own retry behaviour, with the backoff capped low so catching up is quick.
    await stack.startAgent({ exporter, credential: a, firstSamples: `${PROBE}{tenant_id="${a.cloudAccount.id}"}` });
  }, 90_000);

  afterAll(async () => {
    await stack?.close();
    await t?.drop();
  }, 60_000);

  it('stores every sample the agent scraped while the store was down, once the store is back', async () => {
    const selector = `${PROBE}{tenant_id="${a.cloudAccount.id}",container="sequence-probe"}`;
    const unavailableBefore = await ingestCounter(ingest.internalUrl, 'costgraph_ingest_requests_total', 'status="503"');
    const otherFailuresBefore = await ingestCounter(ingest.internalUrl, 'costgraph_ingest_requests_total', 'status="4');

    await stack.store.stop();
    const downAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    const unavailableDuring = (await ingestCounter(ingest.internalUrl, 'costgraph_ingest_requests_total', 'status="503"')) - unavailableBefore;
    const store = await stack.restartStore();
    const upAt = Date.now();

    // The scrapes served while the store was down, identified by their values.
    const { served, servedAt } = await exporter.snapshot();
    const duringOutage = served.filter((_, i) => servedAt[i] >= downAt && servedAt[i] <= upAt);
    const firstStored = Math.min(...(await storedSamples(store.url, selector, downAt - 600_000, downAt)).map(([, v]) => v));
    // Every scrape from the first stored one up to the restart: before, during and right after the outage.
    const expected = served.filter((v, i) => v >= firstStored && servedAt[i] <= upAt);
    const stored = await waitFor(
      'the agent to deliver every scrape of the outage',
      async () => {
        const samples = await storedSamples(store.url, selector, downAt - 600_000, Date.now());
        return missingValues(expected, samples.map(([, v]) => v)).length === 0 ? samples : undefined;
      },
      90_000,
      500,
    ).catch(async () => storedSamples(store.url, selector, downAt - 600_000, Date.now()));
    const values = stored.map(([, v]) => v);
    const missing = missingValues(duringOutage, values);

    // All series of every outage scrape share the scrape's timestamp: count every stored sample
    // of the cluster between the first and the last outage scrape, across all kept series.
    const outageSamples = stored.filter(([, v]) => duringOutage.includes(v)).sort((x, y) => x[0] - y[0]);
    const firstTs = outageSamples[0]?.[0] ?? downAt;
    const lastTs = outageSamples[outageSamples.length - 1]?.[0] ?? upAt;
    const [series] = await instantQuery(store.url, `count({tenant_id="${a.cloudAccount.id}"})`, lastTs);
    // Raw samples, counted here: count_over_time would drop metric names and collide.
    const inWindow = await storedSamples(store.url, `{tenant_id="${a.cloudAccount.id}"}`, firstTs - 1, lastTs);
    const report = {
      outageMs: upAt - downAt,
      scrapesDuringOutage: duringOutage.length,
      storedOfThose: duringOutage.length - missing.length,
      missing,
      duplicates: values.length - new Set(values).size,
      seriesPerScrape: Number(series?.value[1]),
      samplesInOutageWindow: inWindow.length,
      unavailableAnswers: unavailableDuring,
      otherFailures: (await ingestCounter(ingest.internalUrl, 'costgraph_ingest_requests_total', 'status="4')) - otherFailuresBefore,
    };
    process.stderr.write(`reliability: store outage ${JSON.stringify(report)}\n`);

    expect(report.scrapesDuringOutage).toBeGreaterThanOrEqual(Math.floor(OUTAGE_MS / 1000) - 5);
    expect(missing).toEqual([]);
    expect(missingValues(expected, values)).toEqual([]);
    expect(report.duplicates).toBe(0);
    // Every kept series of every outage scrape, not just the probe.
    expect(report.samplesInOutageWindow).toBe(report.seriesPerScrape * report.scrapesDuringOutage);
    // The agent was told to retry (503), never told to drop (4xx).
    expect(report.unavailableAnswers).toBeGreaterThan(0);
    expect(report.otherFailures).toBe(0);
  }, OUTAGE_MS + 150_000);
});
