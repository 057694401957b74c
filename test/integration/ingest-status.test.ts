import { loadIngestConfig } from '../../ingest/config';
import type { Sink, SinkResult } from '../../ingest/sink/sink';
import { startIngest, type RunningIngest } from '../../ingest/start';
import { loadIngestStatuses } from '../../lib/accounts/ingest-status';
import { createKubernetesCluster, type ClusterConnection } from '../../lib/accounts/kubernetes-clusters';
import { createOrganization } from '../../lib/accounts/repository';
import type { Database } from '../../lib/db/database';
import { silentLogger } from '../../lib/log';
import { countingDatabase, type CountingDatabase } from '../helpers/counting-database';
import { databaseBackends, type TestDatabase } from '../helpers/databases';
import { basicAuth, post, REMOTE_WRITE_HEADERS, writeBody } from '../helpers/remote-write';

class AcceptingSink implements Sink {
  async write(): Promise<SinkResult> {
    return { kind: 'accepted' };
  }
  async ready() {
    return true;
  }
  close() {}
}

/** A database whose statements fail while `failing` is set, as an unreachable server would. */
function switchableDatabase(db: Database): Database & { failing: boolean } {
  const wrapper = {
    failing: false,
    engine: db.engine,
    query: <R>(sql: string, params?: readonly unknown[]) => (wrapper.failing ? Promise.reject(new Error('connection refused')) : db.query<R>(sql, params)),
    exec: (sql: string) => db.exec(sql),
    transaction: db.transaction.bind(db),
    close: () => db.close(),
  };
  return wrapper;
}

const isStatusWrite = (sql: string) => sql.includes('INSERT INTO ingest_status');

function body(samples: number, newest: number): Buffer {
  const points: Array<[number, number]> = [];
  for (let i = samples - 1; i >= 0; i--) points.push([newest - i * 1000, i]);
  return writeBody([{ labels: { __name__: 'node_cpu_hourly_cost', node: 'n1' }, samples: points }]);
}

describe.each(databaseBackends())('per-cluster ingest status ($name)', (backend) => {
  let t: TestDatabase;
  let cluster: ClusterConnection;
  const started: RunningIngest[] = [];

  async function ingest(statusDb: Database, env: Record<string, string> = {}): Promise<RunningIngest> {
    const running = await startIngest({
      config: loadIngestConfig({ INGEST_PORT: '0', INGEST_INTERNAL_PORT: '0', INGEST_ALLOWED_METRICS: '*', INGEST_STATUS_FLUSH_INTERVAL: '1h', ...env }),
      db: t.db,
      statusDb,
      logger: silentLogger,
      sink: new AcceptingSink(),
    });
    started.push(running);
    return running;
  }

  const write = (target: RunningIngest, payload: Buffer | string, credential = cluster) =>
    post(`${target.url}/api/v1/write`, payload, { ...REMOTE_WRITE_HEADERS, Authorization: basicAuth(credential.username, credential.password) });

  beforeAll(async () => {
    t = await backend.create();
    const org = await createOrganization(t.db, 'Status Test');
    cluster = await createKubernetesCluster(t.db, org.id, 'status-a', 'http://unused');
  });

  afterEach(async () => {
    for (const running of started.splice(0)) await running.close();
    await t.db.query('DELETE FROM ingest_sample_counts');
    await t.db.query('DELETE FROM ingest_status');
  });

  afterAll(async () => {
    await t?.drop();
  });

  const statusOf = async (id = cluster.cloudAccount.id) => (await loadIngestStatuses(t.db, [id])).get(id)!;

  it('two ingest replicas writing the same cluster end with one status whose counts add up', async () => {
    const a = await ingest(t.db);
    const b = await ingest(t.db);
    const now = Date.now();
    expect((await write(a, body(3, now - 5000))).status).toBe(204);
    expect((await write(b, body(4, now - 1000))).status).toBe(204);
    expect((await write(a, body(2, now - 9000))).status).toBe(204);
    // Flushed in the order that would lose the newer timestamp if writes overwrote.
    await b.flushStatus();
    await a.flushStatus();
    const status = await statusOf();
    expect(status.acceptedSamplesLastHour).toBe(9);
    expect(status.lastSampleAt?.getTime()).toBe(now - 1000);
    expect(status.lastReceivedAt).not.toBeNull();
    expect(status.droppedSamplesLastHour).toEqual([]);
    expect(status.lastError).toBeNull();
  });

  it('a body that cannot be decoded is refused with 400 and its reason becomes the last error; dropped samples count by reason', async () => {
    const a = await ingest(t.db);
    const bad = await write(a, 'this is not snappy');
    expect(bad.status).toBe(400);
    const tooOld = writeBody([{ labels: { __name__: 'node_cpu_hourly_cost' }, samples: [[Date.now() - 40 * 86_400_000, 1]] }]);
    expect((await write(a, tooOld)).status).toBe(204);
    await a.flushStatus();
    const status = await statusOf();
    expect(status.lastError?.message).toBe(bad.body.trim());
    expect(status.lastReceivedAt).toBeNull();
    expect(status.droppedSamplesLastHour).toEqual([{ reason: 'too_old', count: 1 }]);
  });

  it('writes the status at most once per flush interval, however many requests arrive', async () => {
    const counting: CountingDatabase = countingDatabase(t.db);
    const a = await ingest(counting, { INGEST_STATUS_FLUSH_INTERVAL: '400ms' });
    const startedAt = Date.now();
    let requests = 0;
    while (Date.now() - startedAt < 1500) {
      expect((await write(a, body(1, Date.now()))).status).toBe(204);
      requests++;
    }
    await a.close();
    const elapsed = Date.now() - startedAt;
    const writes = counting.statements.filter(isStatusWrite).length;
    expect(requests).toBeGreaterThan(10);
    // One per interval elapsed, plus the final flush on close.
    expect(writes).toBeGreaterThanOrEqual(2);
    expect(writes).toBeLessThanOrEqual(Math.floor(elapsed / 400) + 1);
    expect((await statusOf()).acceptedSamplesLastHour).toBe(requests);
  });

  it('a failing status write does not fail the remote write, and the batch is written on a later flush', async () => {
    const flaky = switchableDatabase(t.db);
    const a = await ingest(flaky);
    flaky.failing = true;
    expect((await write(a, body(5, Date.now()))).status).toBe(204);
    await a.flushStatus();
    expect((await (await fetch(`${a.internalUrl}/metrics`)).text())).toMatch(/^costgraph_ingest_status_write_failures_total 1$/m);
    expect((await write(a, body(2, Date.now()))).status).toBe(204);
    flaky.failing = false;
    await a.flushStatus();
    expect((await statusOf()).acceptedSamplesLastHour).toBe(7);
  });

  it('exports the newest sample and creation time of live clusters only', async () => {
    const org = await createOrganization(t.db, 'Metrics Test');
    const doomed = await createKubernetesCluster(t.db, org.id, 'doomed', 'http://unused');
    const a = await ingest(t.db);
    const newest = Date.now() - 2000;
    expect((await write(a, body(1, newest), doomed)).status).toBe(204);
    const metrics = async () => (await fetch(`${a.internalUrl}/metrics`)).text();
    const text = await metrics();
    expect(text).toContain(`costgraph_ingest_cluster_last_sample_timestamp_seconds{tenant="${doomed.cloudAccount.id}"} ${newest / 1000}`);
    expect(text).toMatch(new RegExp(`^costgraph_cluster_created_timestamp_seconds\\{tenant="${doomed.cloudAccount.id}"\\} \\d+`, 'm'));
    expect(text).toMatch(new RegExp(`^costgraph_cluster_created_timestamp_seconds\\{tenant="${cluster.cloudAccount.id}"\\} \\d+`, 'm'));
    await t.db.query('UPDATE cloud_accounts SET deleted_at = now() WHERE id = $1', [doomed.cloudAccount.id]);
    await a.clusterMetrics.refresh(t.db);
    const perCluster = (await metrics()).split('\n').filter((line) => /^costgraph_(ingest_cluster_last_sample|cluster_created)_timestamp_seconds\{/.test(line));
    expect(perCluster.filter((line) => line.includes(doomed.cloudAccount.id))).toEqual([]);
    expect(perCluster.filter((line) => line.includes(cluster.cloudAccount.id))).toHaveLength(1);
  });
});
