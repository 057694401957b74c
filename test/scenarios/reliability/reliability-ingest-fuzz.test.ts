import http from 'node:http';
import type { RunningIngest } from '../../../ingest/start';
import { createOrganization } from '../../../lib/accounts/repository';
import { createKubernetesCluster, type ClusterConnection } from '../../../lib/accounts/kubernetes-clusters';
import type { LocalPrometheus } from '../../../cli/local/local-prometheus';
import { createPgliteDatabase, type TestDatabase } from '../../helpers/databases';
import { startIngestStore, type IngestStore } from '../../helpers/ingest-store';
import { waitFor } from '../../helpers/promql';
import { basicAuth, REMOTE_WRITE_HEADERS, writeBody } from '../../helpers/remote-write';
import { mutatedCase, seededRandom, specialCases, validBodies, type FuzzCase } from '../../helpers/remote-write-fuzz';
import { missingValues, storedSamples } from '../../helpers/sequence-exporter';

const BODIES = Number(process.env.RELIABILITY_FUZZ_BODIES ?? 10_000);
const SEED = Number(process.env.RELIABILITY_FUZZ_SEED ?? Date.now() % 1_000_000);
const CONCURRENCY = 16;
/** Every Nth request is cluster B's valid write, interleaved with cluster A's hostile ones. */
const B_EVERY = 10;
const MiB = 1024 * 1024;

/** Status (0 = connection error, -1 = timeout) and the start of the answer. */
function send(agent: http.Agent, url: URL, body: Buffer, headers: Record<string, string>): Promise<{ status: number; message: string }> {
  return new Promise((resolve) => {
    const request = http.request(url, { method: 'POST', agent, timeout: 30_000, headers: { ...headers, 'Content-Length': body.length } }, (response) => {
      let message = '';
      response.on('data', (chunk: Buffer) => {
        if (message.length < 200) message += chunk.toString('utf8');
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, message: message.slice(0, 200).trim() }));
      response.on('error', () => resolve({ status: 0, message: 'response error' }));
    });
    request.on('timeout', () => {
      request.destroy();
      resolve({ status: -1, message: 'timeout' });
    });
    request.on('error', (error) => resolve({ status: 0, message: error.message }));
    request.end(body);
  });
}

describe(`remote-write fuzz: ${BODIES} hostile bodies against a running worker (seed ${SEED})`, () => {
  let t: TestDatabase;
  let stack: IngestStore;
  let store: LocalPrometheus;
  let ingest: RunningIngest;
  let a: ClusterConnection;
  let b: ClusterConnection;

  beforeAll(async () => {
    t = await createPgliteDatabase();
    const org = await createOrganization(t.db, 'Fuzz Test');
    a = await createKubernetesCluster(t.db, org.id, 'cluster-hostile', 'http://unused');
    b = await createKubernetesCluster(t.db, org.id, 'cluster-honest', 'http://unused');
    stack = await startIngestStore(t.db, { prefix: 'fuzz', env: { INGEST_FORWARD_TIMEOUT: '5s' } });
    ({ store, ingest } = stack);
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
    await t?.drop();
  }, 60_000);

  it('answers every body 2xx or 4xx, never 5xx, in bounded memory, and stores every interleaved valid write of another cluster', async () => {
    const random = seededRandom(SEED);
    const now = Date.now();
    const valid = validBodies(now, random, 200);
    const specials = specialCases(now);
    const url = new URL(`${ingest.url}/api/v1/write`);
    const authA = basicAuth(a.username, a.password);
    const authB = { ...REMOTE_WRITE_HEADERS, Authorization: basicAuth(b.username, b.password) };
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);

    const byKind: Record<string, Record<string, number>> = {};
    const unexpected: Array<{ kind: string; status: number; expected?: number[]; message: string }> = [];
    const validRefusals: string[] = [];
    const bAnswers: Record<string, number> = {};
    const bSent: number[] = [];
    let bSeq = 0;
    let bTimestamp = now - 60_000;
    let next = 0;
    const started = performance.now();

    // Specials first (each once), then mutations until BODIES hostile bodies were sent.
    const nextCase = (): FuzzCase | undefined => {
      const i = next++;
      if (i >= BODIES) return undefined;
      return i < specials.length ? specials[i] : mutatedCase(valid, random);
    };
    const worker = async () => {
      for (let sent = 0; ; sent++) {
        if (sent % B_EVERY === B_EVERY - 1) {
          // Cluster B's honest write: its own value, at its own strictly increasing timestamp.
          const seq = ++bSeq;
          const timestamp = ++bTimestamp;
          const body = writeBody(['b0', 'b1', 'b2'].map((container) => ({ labels: { __name__: 'container_memory_working_set_bytes', container, namespace: 'fuzz-b' }, samples: [[timestamp, seq]] })));
          const { status } = await send(agent, url, body, authB);
          bAnswers[status] = (bAnswers[status] ?? 0) + 1;
          if (status === 204) bSent.push(seq);
          continue;
        }
        const fuzz = nextCase();
        if (!fuzz) return;
        const { status, message } = await send(agent, url, fuzz.body, { ...fuzz.headers, Authorization: authA });
        const counts = (byKind[fuzz.kind] ??= {});
        counts[status] = (counts[status] ?? 0) + 1;
        const ok = fuzz.expect ? fuzz.expect.includes(status) : (status >= 200 && status < 300) || (status >= 400 && status < 500);
        if (!ok) unexpected.push({ kind: fuzz.kind, status, expected: fuzz.expect, message });
        // Why a request a real sender made was refused (the store's own verdict, passed on).
        if (fuzz.kind === 'valid' && status >= 400 && validRefusals.length < 5) validRefusals.push(message);
      }
    };
    try {
      await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
    } finally {
      clearInterval(sampler);
      agent.destroy();
    }
    const elapsedMs = performance.now() - started;

    // The worker still serves, and counted no 5xx itself.
    const health = await fetch(`${ingest.url}/healthz`);
    const metrics = await (await fetch(`${ingest.internalUrl}/metrics`)).text();
    const serverFiveHundreds = metrics.split('\n').filter((line) => /^costgraph_ingest_requests_total\{status="5\d\d"\} [1-9]/.test(line));

    // Every write of B, exactly, on each of its three series.
    const selector = (container: string) => `container_memory_working_set_bytes{container="${container}",namespace="fuzz-b",tenant_id="${b.cloudAccount.id}"}`;
    const stored = await waitFor('B\'s writes to be queryable', async () => {
      const perSeries = await Promise.all(['b0', 'b1', 'b2'].map(async (c) => (await storedSamples(store.url, selector(c), now - 120_000, Date.now())).map(([, v]) => v)));
      return perSeries.every((values) => missingValues(bSent, values).length === 0) ? perSeries : undefined;
    }).catch(() => Promise.all(['b0', 'b1', 'b2'].map(async (c) => (await storedSamples(store.url, selector(c), now - 120_000, Date.now())).map(([, v]) => v))));
    const foreign = await storedSamples(store.url, `{namespace="fuzz-b",tenant_id!="${b.cloudAccount.id}"}`, now - 120_000, Date.now());

    const summary: Record<string, number> = {};
    for (const counts of Object.values(byKind)) for (const [status, n] of Object.entries(counts)) summary[status] = (summary[status] ?? 0) + n;
    const report = {
      seed: SEED,
      hostileBodies: next > BODIES ? BODIES : next,
      seconds: Math.round(elapsedMs / 100) / 10,
      answers: summary,
      byKind,
      unexpected: unexpected.slice(0, 20),
      validRefusals,
      bWrites: bSeq,
      bAnswers,
      bStoredPerSeries: stored.map((values) => values.length),
      baselineRssMiB: Math.round(baseline / MiB),
      peakRssMiB: Math.round(peak / MiB),
    };
    process.stderr.write(`reliability: remote-write fuzz ${JSON.stringify(report)}\n`);

    expect(Object.values(summary).reduce((x, y) => x + y, 0)).toBe(BODIES);
    expect(unexpected).toEqual([]);
    expect(serverFiveHundreds).toEqual([]);
    expect(health.status).toBe(200);
    expect(bAnswers).toEqual({ 204: bSeq });
    expect(bSeq).toBeGreaterThanOrEqual(Math.floor(BODIES / B_EVERY) - CONCURRENCY);
    for (const values of stored) {
      expect(missingValues(bSent, values)).toEqual([]);
      expect(values).toHaveLength(bSent.length);
    }
    expect(foreign).toEqual([]);
    // Memory bounded: this process (worker and the test's own bodies) grows by less than
    // 384 MiB while ~10,000 bodies, some declaring gigabytes, go through.
    expect(peak - baseline).toBeLessThan(384 * MiB);
  }, 120_000);
});
