import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { startLocalPrometheus } from '../cli/local/local-prometheus';
import { writeClusters } from '../cli/demo/synthetic-cluster';
import { fleetCluster } from '../bench/lib/kubecost-fleet';
import { hourEvaluatedAt, hourQuery, pieceQuery } from '../subgraphs/kubecost/costs/pieces';
import { intervalQuery, offsetFromEvaluation } from '../subgraphs/kubecost/costs/scrape-interval';
import { tenantSelector } from '../subgraphs/kubecost/promql/matchers';

const HOUR = 3_600_000;
async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prof-'));
  const store = await startLocalPrometheus({ dataDir: dir, port: 0 });
  const end = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
  const start = end - 30 * 24 * HOUR;
  const ids = [randomUUID(), randomUUID()];
  await writeClusters(store.url, ids.map((id, i) => ({ cluster: fleetCluster(id, i, start - 6 * HOUR, end, 300) })));
  await store.settled();
  const T = tenantSelector(ids);
  const q = async (name: string, query: string) => {
    const times: number[] = [];
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      const r = await fetch(`${store.url}/api/v1/query_range`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ query, start: String(hourEvaluatedAt(start) / 1000), end: String(hourEvaluatedAt(end - HOUR) / 1000), step: '3600' }) });
      const body = (await r.json()) as { status: string; error?: string };
      if (body.status !== 'success') throw new Error(body.error);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    process.stdout.write(`${name}: ${times[1].toFixed(0)} ms\n`);
  };
  await q('full hourQuery', hourQuery(T));
  await q('piece, no intervals', pieceQuery(T, HOUR, ' offset 600001ms', 'vector(0)'));
  await q('intervals only', intervalQuery(T, offsetFromEvaluation));
  await q('piece without last_sample', pieceQuery(T, HOUR, ' offset 600001ms', 'vector(0)', false));
  await store.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
main().catch((e) => { console.error(e); process.exit(1); });
