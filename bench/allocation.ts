/*
 * Allocation benchmark: prints figures, asserts nothing. `npm run bench:allocation`.
 *
 * N clusters (BENCH_ALLOCATION_CLUSTERS, default 100) of the fleet benchmark's shape, each with
 * kube-state-metrics' owners and labels (Deployments, a StatefulSet, a CronJob's Job, a `team`
 * label on most pods and none on the batch pods), DAYS days of history (BENCH_ALLOCATION_DAYS,
 * default 7: 5-minute scrapes, the last day at 1-minute) written through the ingest worker; then
 * the organization's allocation by namespace × team through the gateway with an API token:
 *   (a) a range never asked (fresh subgraph and gateway processes, no allocation part kept
 *       in the database; each run ends an hour and a minute before the previous one), against
 *       the same PromQL sent straight to Prometheus (the two instant queries over the whole
 *       range that compute the same rows, side by side);
 *   (b) the rolling last DAYS days, each run a minute later;
 *   (c) the last (b) range again;
 * and, for (b) and (c), the dashboard's headline (the totals) over the same kind of ranges.
 */
import { type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApiToken } from '../lib/accounts/api-tokens';
import { createOrganization } from '../lib/accounts/repository';
import { startLocalPrometheus, type LocalPrometheus } from '../cli/local/local-prometheus';
import { createScratchPostgres, type ScratchPostgres } from '../dev/scratch-databases';
import { writeClusters, type SyntheticContainer, type SyntheticWorkloads } from '../cli/demo/synthetic-cluster';
import { podAllocationQuery, workloadsQuery } from '../subgraphs/kubecost/costs/queries';
import { costWindow } from '../subgraphs/kubecost/costs/window';
import { tenantSelector } from '../subgraphs/kubecost/promql/matchers';
import { HEADLINE_QUERY_FILE } from '../gateway/server';
import { createFleet, fleetEnv } from './lib/fleet-stack';
import { startChild, stopChild } from './lib/processes';
import { quantile } from './lib/stats';

const N = Number(process.env.BENCH_ALLOCATION_CLUSTERS ?? 100) || 100;
const DAYS = Number(process.env.BENCH_ALLOCATION_DAYS ?? 7) || 7;
const COLD_RUNS = 3;
const ROLLING_RUNS = 10;
const REPEAT_RUNS = 30;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const HEADLINE = fs.readFileSync(HEADLINE_QUERY_FILE, 'utf8');
const QUERY = `query($org: ID!, $range: DateRangeInput!) { organization(id: $org) { kubernetesCosts(range: $range) {
  allocation(by: [{ dimension: NAMESPACE }, { dimension: LABEL, labelKey: "team" }], top: 100) { rows { cluster { id } name totalCost } totalCost } } } }`;

const out = (text = '') => process.stdout.write(`${text}\n`);
const log = (text: string) => process.stderr.write(`${text}\n`);
const minuteOf = (ms: number) => Math.floor(ms / MINUTE) * MINUTE;
const p = (values: number[]) => `${quantile(values, 0.5).toFixed(0)} / ${quantile(values, 0.99).toFixed(0)}`;

/** The fleet cluster's pods as Deployments (web, api), a StatefulSet (db) and a CronJob's Job (batch); teams on all but batch. */
function workloadsOf(containers: readonly SyntheticContainer[]): SyntheticWorkloads {
  const teams: Record<string, string> = { web: 'storefront', api: 'storefront', db: 'data' };
  const w: Required<SyntheticWorkloads> = { podOwners: [], replicaSetOwners: [], jobOwners: [], labels: [] };
  for (const c of containers) {
    if (c.namespace === 'db') w.podOwners.push({ namespace: c.namespace, object: c.pod, kind: 'StatefulSet', name: 'db' });
    else if (c.namespace === 'batch') {
      w.podOwners.push({ namespace: c.namespace, object: c.pod, kind: 'Job', name: `report-${c.pod}` });
      w.jobOwners.push({ namespace: c.namespace, object: `report-${c.pod}`, kind: 'CronJob', name: 'report' });
    } else {
      w.podOwners.push({ namespace: c.namespace, object: c.pod, kind: 'ReplicaSet', name: `${c.namespace}-5d8f` });
      w.replicaSetOwners.push({ namespace: c.namespace, object: `${c.namespace}-5d8f`, kind: 'Deployment', name: c.namespace });
    }
    if (teams[c.namespace]) w.labels.push({ namespace: c.namespace, pod: c.pod, labels: { team: teams[c.namespace] } });
  }
  return w;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-bench-allocation-'));
  const children: ChildProcess[] = [];
  let t: ScratchPostgres | undefined;
  let prometheus: LocalPrometheus | undefined;
  try {
    t = await createScratchPostgres();
    prometheus = await startLocalPrometheus({ dataDir: path.join(dir, 'prometheus'), port: 0, queryTimeout: '15m' });
    const env = fleetEnv(t.url, dir, prometheus.url);
    const ingest = await startChild([path.join(__dirname, 'lib', 'ingest-process.ts')], env);
    children.push(ingest.child);
    const org = (await createOrganization(t.db, 'allocation')).id;
    const token = (await createApiToken(t.db, org, 'bench')).token;
    const nowMs = minuteOf(Date.now());
    const clusters = await createFleet(t.db, org, N, ingest.info.url, { days: DAYS, nowMs, marginMs: 6 * HOUR, shape: (c) => ({ ...c, workloads: workloadsOf(c.containers ?? []) }) });
    const ids = clusters.map((c) => c.id);
    log(`writing ${DAYS} days of ${N} clusters through ingest ...`);
    for (const phase of ['coarse', 'fine'] as const) await writeClusters(ingest.info.url, clusters.map((c) => ({ cluster: c[phase], headers: c.headers })), { live: true });
    await prometheus.settled(60 * MINUTE);
    let gateway!: Awaited<ReturnType<typeof startChild>>;
    /** Subgraphs and gateway in fresh processes: nothing asked is in any process's memory or result cache. */
    const startServices = async () => {
      const services = await startChild([path.join(__dirname, 'lib', 'gateway-services.ts')], env);
      children.push(services.child);
      gateway = await startChild([path.join(__dirname, 'lib', 'gateway-process.ts'), 'costgraph'], { ...env, EXPENSES_URL: services.info.expenses, KUBECOST_URL: services.info.kubecost });
      children.push(gateway.child);
    };
    const restartServices = async () => {
      for (const child of children.splice(1).reverse()) await stopChild(child);
      // Nor in the database: no allocation part of any range is kept.
      await t!.db.query('DELETE FROM kubecost_allocation_parts');
      await startServices();
    };
    await startServices();

    const range = (toMs: number) => ({ from: new Date(toMs - DAYS * DAY).toISOString(), to: new Date(toMs).toISOString() });
    /** One query through the gateway for the DAYS days before `toMs`: its milliseconds, once `ok` accepts its answer. */
    const timed = async (query: string, toMs: number, ok: (body: { data?: unknown; errors?: unknown[] }) => boolean): Promise<number> => {
      const t0 = performance.now();
      const response = await fetch(gateway.info.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables: { org, range: range(toMs) } }),
      });
      const body = (await response.json()) as { data?: unknown; errors?: unknown[] };
      const ms = performance.now() - t0;
      if (body.errors || !ok(body)) throw new Error(`query failed: ${JSON.stringify(body).slice(0, 500)}`);
      return ms;
    };
    type AllocationAnswer = { organization?: { kubernetesCosts?: { allocation?: { rows: unknown[] } } } };
    const allocation = (toMs: number) => timed(QUERY, toMs, (body) => Boolean((body.data as AllocationAnswer | undefined)?.organization?.kubernetesCosts?.allocation?.rows.length));
    /** The dashboard's headline (the totals) for the same range, as bench:fleet measures it. */
    const headline = (toMs: number) => timed(HEADLINE, toMs, () => true);
    /** The subgraph's two instant queries for the range, side by side, straight to Prometheus. */
    const raw = async (toMs: number): Promise<number> => {
      const window = costWindow(new Date(toMs - DAYS * DAY), new Date(toMs));
      const T = tenantSelector(ids);
      const t0 = performance.now();
      await Promise.all(
        [podAllocationQuery(T, window), workloadsQuery(T, window)].map(async (query) => {
          const response = await fetch(`${prometheus!.url}/api/v1/query`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ query, time: String(window.evalMs / 1000) }),
          });
          const body = (await response.json()) as { status: string; error?: string };
          if (body.status !== 'success') throw new Error(`PromQL failed: ${body.error}`);
        }),
      );
      return performance.now() - t0;
    };

    log('cold ranges ...');
    const cold: number[] = [];
    const rawMs: number[] = [];
    const coldEnd = minuteOf(Date.now()) - 2 * HOUR;
    for (let i = 0; i < COLD_RUNS; i++) {
      const end = coldEnd - i * (HOUR + MINUTE);
      await restartServices();
      // Which goes first alternates.
      if (i % 2 === 1) rawMs.push(await raw(end));
      cold.push(await allocation(end));
      if (i % 2 === 0) rawMs.push(await raw(end));
    }
    log('rolling ranges ...');
    const rollingEnd = minuteOf(Date.now()) - ROLLING_RUNS * MINUTE;
    // The totals first, over ranges half a minute apart from the allocation's (nothing of one is
    // in the other's caches), each after a warm-up a minute before, as bench:fleet does.
    await headline(rollingEnd - MINUTE - 30_000);
    const totals: number[] = [];
    for (let i = 0; i < ROLLING_RUNS; i++) totals.push(await headline(rollingEnd + i * MINUTE - 30_000));
    const totalsRepeat: number[] = [];
    for (let i = 0; i < REPEAT_RUNS; i++) totalsRepeat.push(await headline(rollingEnd + (ROLLING_RUNS - 1) * MINUTE - 30_000));
    await allocation(rollingEnd - MINUTE);
    // With BENCH_PROFILE_DIR, the services and the gateway record CPU profiles of one phase of
    // the allocation: BENCH_PROFILE_PHASE, `repeat` (c) by default, or `rolling` (b).
    const profile = async (phase: 'rolling' | 'repeat', stop = false) => {
      if (!process.env.BENCH_PROFILE_DIR || (process.env.BENCH_PROFILE_PHASE ?? 'repeat') !== phase) return;
      children.slice(1).forEach((child) => child.kill('SIGUSR2'));
      // Time for the children to write their profiles.
      if (stop) await new Promise((resolve) => setTimeout(resolve, 3000));
    };
    const rolling: number[] = [];
    await profile('rolling');
    for (let i = 0; i < ROLLING_RUNS; i++) rolling.push(await allocation(rollingEnd + i * MINUTE));
    await profile('rolling', true);
    const repeat: number[] = [];
    await profile('repeat');
    for (let i = 0; i < REPEAT_RUNS; i++) repeat.push(await allocation(rollingEnd + (ROLLING_RUNS - 1) * MINUTE));
    await profile('repeat', true);

    out(`# bench:allocation — ${os.cpus().length} × ${os.cpus()[0]?.model.split(' ').slice(0, 2).join(' ')}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
    out(`${N} clusters × ${DAYS} days, allocation by namespace × label team for the whole organization (p50 / p99 ms)`);
    out('| measurement | p50 / p99 ms | runs |');
    out('|---|---|---|');
    out(`| (a) a range never asked | ${p(cold)} | ${cold.length} |`);
    out(`| the same PromQL straight to Prometheus | ${p(rawMs)} | ${rawMs.length} |`);
    out(`| (b) rolling last ${DAYS} days, +60 s each | ${p(rolling)} | ${rolling.length} |`);
    out(`| (c) identical repeat | ${p(repeat)} | ${repeat.length} |`);
    out(`| the totals (the dashboard's headline), rolling as (b) | ${p(totals)} | ${totals.length} |`);
    out(`| the totals, identical repeat | ${p(totalsRepeat)} | ${totalsRepeat.length} |`);
    out(`(a) / raw PromQL (p50): ${(quantile(cold, 0.5) / quantile(rawMs, 0.5)).toFixed(2)} (goal ≤ 1.5)`);
  } finally {
    for (const child of children.reverse()) await stopChild(child).catch(() => undefined);
    await prometheus?.stop().catch(() => undefined);
    await t?.drop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:allocation: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
