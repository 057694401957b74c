import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalPrometheus, type LocalPrometheus } from '../../cli/local/local-prometheus';
import { HOUR_MS, MINUTE_MS, writeSeries } from '../helpers/synthetic-cluster';

async function gauge(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)![1]);
}

describe('local Prometheus', () => {
  let dir: string;
  let first: LocalPrometheus | undefined;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-local-prometheus-'));
  });

  afterAll(async () => {
    await first?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses to pass another Prometheus on its port off as its own", async () => {
    first = await startLocalPrometheus({ dataDir: path.join(dir, 'first'), port: 0 });
    // The other server answers /-/ready at once; without the identity check this start would
    // return a handle to it.
    await expect(startLocalPrometheus({ dataDir: path.join(dir, 'second'), port: first.port })).rejects.toThrow(
      new RegExp(`127.0.0.1:${first.port} is (another Prometheus|taken by another process)`),
    );
    expect((await fetch(`${first.url}/-/ready`)).ok).toBe(true);
  }, 60_000);

  it('settles only once hours of backfilled history are cut into blocks', async () => {
    const store = await startLocalPrometheus({ dataDir: path.join(dir, 'settle'), port: 0 });
    try {
      const end = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - HOUR_MS;
      const samples = Array.from({ length: 12 * 60 }, (_, i) => ({ timestamp: end - 12 * HOUR_MS + i * MINUTE_MS, value: 1 }));
      await writeSeries(store.url, [{ labels: { __name__: 'settle_probe' }, samples }]);
      await store.settled();
      const span = (await gauge(store.url, 'prometheus_tsdb_head_max_time')) - (await gauge(store.url, 'prometheus_tsdb_head_min_time'));
      expect(span).toBeLessThanOrEqual(3 * HOUR_MS);
      expect(await gauge(store.url, 'prometheus_tsdb_blocks_loaded')).toBeGreaterThanOrEqual(3);
      expect(await gauge(store.url, 'prometheus_tsdb_compaction_populating_block')).toBe(0);
    } finally {
      await store.stop();
    }
  }, 120_000);
});
