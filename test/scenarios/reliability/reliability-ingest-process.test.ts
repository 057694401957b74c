import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createOrganization } from '../../../lib/accounts/repository';
import { createKubernetesCluster, type ClusterConnection } from '../../../lib/accounts/kubernetes-clusters';
import { startLocalPrometheus, type LocalPrometheus } from '../../../cli/local/local-prometheus';
import { startScrapingAgent } from '../../helpers/scraping-agent';
import { percentile, runAckedSenders, senderSeries, type AckedSenderResult } from '../../helpers/acked-sender';
import { createPostgresDatabase, type TestDatabase } from '../../helpers/databases';
import { fixture } from '../../helpers/fixtures';
import { startIngestProcess, type IngestProcess } from '../../helpers/service-process';
import { instantQuery, waitFor } from '../../helpers/promql';
import { basicAuth } from '../../helpers/remote-write';
import { missingValues, startSequenceExporter, storedSamples, type SequenceExporter } from '../../helpers/sequence-exporter';

/** 60 s of load by default; RELIABILITY_LOAD_MS shortens it while iterating. */
const LOAD_MS = Number(process.env.RELIABILITY_LOAD_MS ?? 60_000);
const LOAD_WARMUP_MS = Math.min(10_000, LOAD_MS / 6);
const METRIC = 'container_memory_working_set_bytes';
const MiB = 1024 * 1024;

/**
 * Checks a sender run against the store: each request's sample sits on every series of its
 * sender, so the first series of each sender identifies the requests stored, and the total
 * over all series counts every sample.
 */
async function checkStored(storeUrl: string, run: AckedSenderResult, tag: string, seriesPerRequest: number, since: number) {
  const senders = [...new Set(run.requests.map((r) => r.sender))];
  const missingAcked: Array<{ sender: number; seq: number }> = [];
  let storedRequests = 0;
  const end = Date.now();
  for (const sender of senders) {
    const { container, namespace } = senderSeries(tag, sender, 0);
    const stored = (await storedSamples(storeUrl, `${METRIC}{container="${container}",namespace="${namespace}"}`, since, end)).map(([, v]) => v);
    storedRequests += new Set(stored).size;
    const acked = run.requests.filter((r) => r.sender === sender && r.acked).map((r) => r.seq);
    for (const seq of missingValues(acked, stored)) missingAcked.push({ sender, seq });
  }
  const [total] = await instantQuery(storeUrl, `sum(count_over_time(${METRIC}{namespace="${tag}"}[${end - since}ms]))`, end);
  return { missingAcked, storedRequests, storedSamples: Number(total?.value[1] ?? 0), expectedSamples: storedRequests * seriesPerRequest };
}

describe('the ingest worker as a separate process', () => {
  let dir: string;
  let t: TestDatabase;
  let store: LocalPrometheus;
  let ingest: IngestProcess;
  let clusters: ClusterConnection[];
  let agent: LocalPrometheus | undefined;
  let exporter: SequenceExporter | undefined;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-ingest-process-'));
    t = await createPostgresDatabase();
    const org = await createOrganization(t.db, 'Process Test');
    clusters = [];
    for (let i = 0; i < 5; i++) clusters.push(await createKubernetesCluster(t.db, org.id, `cluster-${i}`, 'http://unused'));
    store = await startLocalPrometheus({ dataDir: path.join(dir, 'store'), port: 0 });
    ingest = await startIngestProcess(
      { DATABASE_URL: t.url!, DATA_DIR: dir, THANOS_RECEIVE_URL: `${store.url}/api/v1/write`, INGEST_FORWARD_TIMEOUT: '5s' },
      path.join(dir, 'ingest.log'),
    );
  }, 90_000);

  afterAll(async () => {
    await agent?.stop();
    await exporter?.close();
    await ingest?.stop();
    await store?.stop();
    await t?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('carries 20 concurrent senders for 60 s with no 5xx, every acknowledged sample stored, and flat RSS', async () => {
    const since = Date.now() - 1;
    const seriesPerRequest = 200;
    const rss: Array<{ at: number; bytes: number }> = [];
    const sampler = setInterval(() => rss.push({ at: Date.now() - since, bytes: ingest.rss() }), 1000);
    let run: AckedSenderResult;
    try {
      run = await runAckedSenders({
        url: `${ingest.url}/api/v1/write`,
        // Four clusters, five senders each: a fleet, not one tenant's rate limit.
        authorizations: clusters.slice(0, 4).map((c) => basicAuth(c.username, c.password)),
        senders: 20,
        durationMs: LOAD_MS,
        seriesPerRequest,
        pauseMs: 200,
        tag: 'load',
      });
    } finally {
      clearInterval(sampler);
    }
    const stored = await waitFor('the last samples to be queryable', async () => {
      const check = await checkStored(store.url, run, 'load', seriesPerRequest, since);
      return check.missingAcked.length === 0 ? check : undefined;
    }).catch(() => checkStored(store.url, run, 'load', seriesPerRequest, since));

    const steady = rss.filter((s) => s.at > LOAD_WARMUP_MS).map((s) => s.bytes);
    const third = Math.max(1, Math.floor(steady.length / 3));
    const mean = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
    const firstThird = mean(steady.slice(0, third));
    const lastThird = mean(steady.slice(-third));
    const acked = run.requests.filter((r) => r.acked).length;
    const report = {
      seconds: run.elapsedMs / 1000,
      requests: run.requests.length,
      acked,
      samplesPerSecond: Math.round((acked * seriesPerRequest) / (run.elapsedMs / 1000)),
      statuses: run.statuses,
      p50Ms: Math.round(percentile(run.latencies, 50)),
      p99Ms: Math.round(percentile(run.latencies, 99)),
      maxMs: Math.round(Math.max(...run.latencies)),
      rssSamples: rss.length,
      peakRssMiB: Math.round(Math.max(...rss.map((s) => s.bytes)) / MiB),
      firstThirdMiB: Math.round(firstThird / MiB),
      lastThirdMiB: Math.round(lastThird / MiB),
      missingAcked: stored.missingAcked.length,
      storedSamples: stored.storedSamples,
    };
    process.stderr.write(`reliability: ingest load ${JSON.stringify(report)}\n`);

    const fiveHundreds = Object.entries(run.statuses).filter(([status]) => status.startsWith('5') || status === 'error' || status === 'timeout');
    expect(fiveHundreds).toEqual([]);
    expect(acked).toBe(run.requests.length);
    // Enough readings after warm-up for thirds to compare (a loaded machine may skip some ticks).
    expect(steady.length).toBeGreaterThanOrEqual(6);
    expect(stored.missingAcked).toEqual([]);
    expect(stored.storedSamples).toBe(stored.expectedSamples);
    expect(stored.storedRequests).toBe(acked);
    // No growth after warm-up: the last third of the run within 15% (+16 MiB) of the first.
    expect(lastThird).toBeLessThanOrEqual(firstThird * 1.15 + 16 * MiB);
    // Latency is reported, not asserted: a forward slower than its 5 s timeout is a 503, counted above.
  }, LOAD_MS + 90_000);

  it('loses no acknowledged sample when killed with SIGKILL under load, and the senders\' retries fill the rest', async () => {
    const c = clusters[4];
    const since = Date.now() - 1;
    const scrapes = await startSequenceExporter(METRIC, { container: 'crash-probe', namespace: 'crash-agent' }, fixture('opencost', 'kubecost-scrape.prom').toString('utf8'));
    exporter = scrapes;
    agent = await startScrapingAgent({ dir, target: scrapes.url, ingestUrl: ingest.url, credential: c });
    const probe = `${METRIC}{container="crash-probe",tenant_id="${c.cloudAccount.id}"}`;
    await waitFor('the agent\'s first samples', async () => ((await instantQuery(store.url, `count(${probe})`)).length > 0 ? true : undefined));

    const seriesPerRequest = 50;
    const firstPid = ingest.pid;
    const senders = runAckedSenders({
      url: `${ingest.url}/api/v1/write`,
      authorizations: [basicAuth(c.username, c.password)],
      senders: 4,
      durationMs: 16_000,
      seriesPerRequest,
      pauseMs: 10,
      tag: 'crash',
      timeoutMs: 3000,
    });
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const killedAt = Date.now();
    await ingest.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await ingest.restart();
    const restartedAt = Date.now();
    const run = await senders;
    expect(ingest.pid).not.toBe(firstPid);

    const stored = await waitFor('every acknowledged request in the store', async () => {
      const check = await checkStored(store.url, run, 'crash', seriesPerRequest, since);
      return check.missingAcked.length === 0 ? check : undefined;
    }).catch(() => checkStored(store.url, run, 'crash', seriesPerRequest, since));
    // The agent: every scrape from its first stored one until a moment ago, including those
    // scraped while the worker was dead.
    const cutoff = Date.now() - 2000;
    const firstStored = Math.min(...(await storedSamples(store.url, probe, since - 600_000, killedAt)).map(([, v]) => v));
    const { served, servedAt } = await scrapes.snapshot();
    const expectedScrapes = served.filter((v, i) => v >= firstStored && servedAt[i] <= cutoff);
    const scrapesWhileDead = served.filter((_, i) => servedAt[i] >= killedAt && servedAt[i] <= restartedAt);
    const agentStored = await waitFor(
      'the agent to catch up',
      async () => {
        const values = (await storedSamples(store.url, probe, since - 600_000, Date.now())).map(([, v]) => v);
        return missingValues(expectedScrapes, values).length === 0 ? values : undefined;
      },
      60_000,
      500,
    ).catch(async () => (await storedSamples(store.url, probe, since - 600_000, Date.now())).map(([, v]) => v));

    const retried = run.requests.filter((r) => r.attempts > 1);
    const report = {
      requests: run.requests.length,
      ackedFirstTime: run.requests.filter((r) => r.acked && r.attempts === 1).length,
      retried: retried.length,
      retriedThenAcked: retried.filter((r) => r.acked).length,
      neverAcked: run.requests.filter((r) => !r.acked).length,
      statuses: run.statuses,
      missingAcked: stored.missingAcked.length,
      storedRequests: stored.storedRequests,
      storedSamples: stored.storedSamples,
      deadMs: restartedAt - killedAt,
      agentScrapesWhileDead: scrapesWhileDead.length,
      agentScrapesExpected: expectedScrapes.length,
      agentMissing: missingValues(expectedScrapes, agentStored),
    };
    process.stderr.write(`reliability: ingest crash ${JSON.stringify(report)}\n`);

    expect(retried.length).toBeGreaterThan(0);
    expect(stored.missingAcked).toEqual([]);
    expect(report.neverAcked).toBe(0);
    expect(stored.storedRequests).toBe(run.requests.length);
    expect(stored.storedSamples).toBe(stored.expectedSamples);
    expect(scrapesWhileDead.length).toBeGreaterThanOrEqual(2);
    expect(report.agentMissing).toEqual([]);
    // Nothing was refused as bad data.
    expect(Object.keys(run.statuses).filter((s) => s.startsWith('4'))).toEqual([]);
  }, 150_000);
});
