/**
 * `npm run bench:gateway`: the headline query for an organization with 20 clusters, 20
 * concurrent clients, side by side in one run:
 *   direct    the same subgraph requests the gateway's plan makes, issued by the client itself
 *   costgraph costgraph's gateway (child process)
 *   stock     @apollo/gateway with its default data source and fetcher, no caching (child process)
 * plus first-versus-repeated latency for past windows through costgraph's gateway, and the two
 * gateways again with the subgraphs' answers replayed and each gateway alone on one CPU, so
 * that the gateway's own work limits its req/s (the whole stack shares two CPUs). Each gateway
 * runs twice, in the order costgraph, stock, stock, costgraph, so that a machine getting faster
 * or slower during the run favours neither; the ratios use the mean of both passes. Prints
 * figures, asserts nothing. Needs PostgreSQL on 127.0.0.1:5432 and Debian's Prometheus.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { processCpuSeconds } from './lib/cpu';
import { rssMiB, startChild, stopChild } from './lib/processes';
import { createOrganization } from '../lib/accounts/repository';
import { daysBetween, shiftFocusDates } from '../cli/demo/focus-dates';
import { importFocusFile } from '../subgraphs/expenses/import/import-focus';
import { CONTEXT_HEADER, signContext } from '../lib/internal-auth/signed-context';
import { createKubernetesCluster } from '../lib/accounts/kubernetes-clusters';
import { startLocalPrometheus } from '../cli/local/local-prometheus';
import { createApiToken } from '../lib/accounts/api-tokens';
import { HEADLINE_QUERY_FILE } from '../gateway/server';
import { createScratchPostgres } from '../dev/scratch-databases';
import { FIXTURES } from '../cli/demo/fixtures';
import { clusterSeries, GIB, HOUR_MS, writeSeries } from '../cli/demo/synthetic-cluster';

const DAY_MS = 86_400_000;
const CLUSTERS = 20;
const CONCURRENCY = Number(process.env.BENCH_CLIENTS ?? 20);
const WARMUP_MS = 3_000;
const MEASURE_MS = Number(process.env.BENCH_SECONDS ?? 10) * 1000;
// A window that ended a day ago: immutable, so the kubecost subgraph may cache its PromQL.
const END = Math.floor(Date.now() / DAY_MS) * DAY_MS - DAY_MS;
const RANGE = { from: new Date(END - 30 * DAY_MS).toISOString(), to: new Date(END).toISOString() };
const HEADLINE = fs.readFileSync(HEADLINE_QUERY_FILE, 'utf8');
/**
 * The headline as it was before the total was reconciled with the bill: the same query without
 * `overlap` and `totalCost`, whose answer needs the clusters' assets matched with the bill.
 */
const RECONCILED_FIELDS = 'costSummary(range: $range) { cloudCost kubernetesCost overlap totalCost }';
if (!HEADLINE.includes(RECONCILED_FIELDS)) throw new Error(`the headline query no longer asks "${RECONCILED_FIELDS}": update bench/gateway.ts`);
const HEADLINE_UNRECONCILED = HEADLINE.replace(RECONCILED_FIELDS, 'costSummary(range: $range) { cloudCost kubernetesCost }');
/** The clusters' AWS account in the bill written for them. */
const BILL_ACCOUNT = '210987654321';
const instanceId = (cluster: number, node: number) => `i-0be${(cluster * 16 + node).toString(16).padStart(14, '0')}`;
type Mode = 'costgraph' | 'stock';
/** A B B A: linear drift of the machine's speed weighs on both gateways alike. */
const PASSES: ReadonlyArray<readonly [Mode, number]> = [
  ['costgraph', 1],
  ['stock', 1],
  ['stock', 2],
  ['costgraph', 2],
];

interface Figures {
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
  rssMiB?: { avg: number; max: number };
  /** CPU milliseconds per successful request, by process. */
  cpuMsPerRequest: Record<string, number>;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

/** `concurrency` clients in closed loops: warm-up, then a measured window. */
async function load(work: () => Promise<boolean>, pids: Record<string, number | undefined>, pid?: number): Promise<Figures> {
  let measuring = false;
  let stop = false;
  const latencies: number[] = [];
  let errors = 0;
  const rss: number[] = [];
  const sampler = pid ? setInterval(() => measuring && rss.push(rssMiB(pid) ?? NaN), 100) : undefined;
  const client = async () => {
    while (!stop) {
      const start = performance.now();
      const ok = await work().catch(() => false);
      if (!measuring) continue;
      if (ok) latencies.push(performance.now() - start);
      else errors++;
    }
  };
  const clients = Array.from({ length: CONCURRENCY }, client);
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  measuring = true;
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([name, p]) => [name, p ? processCpuSeconds(p) : undefined]));
  const selfBefore = process.cpuUsage();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, MEASURE_MS));
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  const cpu: Record<string, number> = {};
  for (const [name, p] of Object.entries(pids)) {
    const after = p ? processCpuSeconds(p) : undefined;
    if (after !== undefined && cpuBefore[name] !== undefined) cpu[name] = (after - cpuBefore[name]!) * 1000;
  }
  const self = process.cpuUsage(selfBefore);
  cpu.client = (self.user + self.system) / 1000;
  stop = true;
  await Promise.all(clients);
  if (sampler) clearInterval(sampler);
  latencies.sort((a, b) => a - b);
  const valid = rss.filter((v) => !Number.isNaN(v));
  return {
    requests: latencies.length,
    errors,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    rssMiB: valid.length ? { avg: valid.reduce((a, b) => a + b, 0) / valid.length, max: Math.max(...valid) } : undefined,
    cpuMsPerRequest: Object.fromEntries(Object.entries(cpu).map(([name, ms]) => [name, ms / Math.max(1, latencies.length)])),
  };
}

function poster(url: string) {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: CONCURRENCY });
  return {
    async post(body: string, headers: Record<string, string>): Promise<{ status: number; json: { data?: unknown; errors?: unknown[] } }> {
      const response = await pool.request({ path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      return { status: response.statusCode, json: (await response.body.json()) as { data?: unknown; errors?: unknown[] } };
    },
    close: () => pool.close(),
  };
}

/** Moves every thread of this process to `cpus` (taskset syntax). */
function pinSelf(cpus: string): void {
  const result = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`taskset -a -p -c ${cpus} failed`);
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-bench-gateway-'));
  const secret = crypto.randomBytes(32).toString('hex');
  const t = await createScratchPostgres();
  const prometheus = await startLocalPrometheus({ dataDir: path.join(dir, 'prometheus'), port: 0 });
  const children: ChildProcess[] = [];
  try {
    process.stdout.write(`setup: ${CLUSTERS} clusters × 7 days at 5-minute scrapes, FOCUS fixture moved into the range, the clusters' nodes and EKS fees billed\n`);
    const org = (await createOrganization(t.db, 'Bench org')).id;
    const token = (await createApiToken(t.db, org, 'bench')).token;
    const clusterIds: string[] = [];
    for (let i = 0; i < CLUSTERS; i++) {
      const created = await createKubernetesCluster(t.db, org, `cluster-${i}`, 'http://127.0.0.1/api/v1/write');
      clusterIds.push(created.cloudAccount.id);
      const series = clusterSeries({
        tenantId: created.cloudAccount.id,
        startMs: END - 7 * DAY_MS,
        endMs: END + HOUR_MS,
        intervalSeconds: 300,
        nodes: Array.from({ length: 1 + (i % 4) }, (_, n) => ({ name: `node-${n}`, providerId: `aws:///us-east-1a/${instanceId(i, n)}`, cpuPrice: 0.031, ramPrice: 0.0042, cores: 8, memoryBytes: 32 * GIB })),
        info: { provider: 'AWS', id: `cluster-${i}` },
        volumes: [{ name: 'pvc-data', price: 0.00023, capacityBytes: 100 * GIB }],
        loadBalancers: [{ namespace: 'ingress', service: 'nginx', ip: '10.0.0.1', price: 0.025 }],
        managementFee: 0.1,
        containers: [{ namespace: 'web', pod: 'web-1', container: 'app', node: 'node-0', cores: 2, memoryBytes: 4 * GIB }],
      });
      await writeSeries(prometheus.url, series, { concurrency: 2 });
    }
    await prometheus.settled();
    const focus = path.join(dir, 'focus.csv');
    const csv = fs.readFileSync(path.join(FIXTURES, 'focus', 'focus-1.0-sample.csv'), 'utf8');
    fs.writeFileSync(focus, shiftFocusDates(csv, daysBetween(new Date('2024-10-01T00:00:00Z'), new Date(END))));
    await importFocusFile(t.db, org, focus);
    // The clusters' own bill: each node's machine and each cluster's EKS fee, day by day, for
    // the 7 days they ran; what the reconciled total matches.
    const bill = path.join(dir, 'clusters-bill.csv');
    const rows = ['BilledCost,EffectiveCost,ListCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceCategory,ProviderName,SubAccountId,ServiceName,ResourceId'];
    for (let day = END - 7 * DAY_MS; day < END; day += DAY_MS) {
      const period = `USD,${new Date(day).toISOString()},${new Date(day + DAY_MS).toISOString()},Usage,Compute,AWS,${BILL_ACCOUNT}`;
      for (let i = 0; i < CLUSTERS; i++) {
        for (let n = 0; n < 1 + (i % 4); n++) rows.push(`4.5,4.5,6.1,${period},Amazon Elastic Compute Cloud,${instanceId(i, n)}`);
        rows.push(`2.4,2.4,2.4,${period},Amazon Elastic Kubernetes Service,arn:aws:eks:us-east-1:${BILL_ACCOUNT}:cluster/cluster-${i}`);
      }
    }
    fs.writeFileSync(bill, rows.join('\n'));
    await importFocusFile(t.db, org, bill);

    const env = { ...process.env, DATABASE_URL: t.url, DATA_DIR: dir, INTERNAL_AUTH_SECRET: secret, THANOS_QUERY_URL: prometheus.url, LOG_LEVEL: 'warn' };
    const services = await startChild([path.join(__dirname, 'lib', 'gateway-services.ts')], env);
    children.push(services.child);
    const subgraphs = { expenses: poster(services.info.expenses), kubecost: poster(services.info.kubecost) };
    const gatewayEnv = { ...env, EXPENSES_URL: services.info.expenses, KUBECOST_URL: services.info.kubecost };
    const signed = () => ({ [CONTEXT_HEADER]: signContext({ subject: 'bench', organizationIds: [org], role: 'read-only' }, secret) });

    // The three fetches of the headline's query plan, issued by the client itself.
    const direct = async (): Promise<boolean> => {
      const first = await subgraphs.expenses.post(
        JSON.stringify({
          query: `query($org: ID!, $range: DateRangeInput!) { organization(id: $org) { id name currency kubernetesClusterIds
            costSummary(range: $range) { organizationId from to cloudCost kubernetesClusterIds }
            expenses(range: $range) { totalCost count breakdown(by: SERVICE) { key cost } } } }`,
          variables: { org, range: RANGE },
        }),
        signed(),
      );
      const o = (first.json.data as { organization: { id: string; kubernetesClusterIds: string[]; costSummary: Record<string, unknown> } }).organization;
      const second = await subgraphs.kubecost.post(
        JSON.stringify({
          query: `query($r: [_Any!]!, $range: DateRangeInput!) { _entities(representations: $r) {
            ... on Organization { kubernetesCosts(range: $range) { totalCost clusters { cloudAccount { id } totalCost hasData lastSampleAt
              breakdown { cpu ram gpu persistentVolumes network loadBalancers clusterManagement } } } }
            ... on CostSummary { kubernetesCost overlap totalCost } } }`,
          variables: {
            r: [
              { __typename: 'Organization', id: o.id, kubernetesClusterIds: o.kubernetesClusterIds },
              { __typename: 'CostSummary', ...o.costSummary },
            ],
            range: RANGE,
          },
        }),
        signed(),
      );
      const ids = (second.json.data as { _entities: Array<{ kubernetesCosts?: { clusters: Array<{ cloudAccount: { id: string } }> } }> })._entities[0].kubernetesCosts!.clusters.map((c) => c.cloudAccount.id);
      const third = await subgraphs.expenses.post(
        JSON.stringify({
          query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on CloudAccount { name type } } }',
          variables: { r: ids.map((id) => ({ __typename: 'CloudAccount', id })) },
        }),
        signed(),
      );
      return [first, second, third].every((r) => r.status === 200 && !r.json.errors);
    };

    const headline = (client: ReturnType<typeof poster>, range = RANGE, query = HEADLINE) => async (): Promise<boolean> => {
      const response = await client.post(JSON.stringify({ query, variables: { org, range } }), { authorization: `Bearer ${token}` });
      const organization = (response.json.data as { organization?: { costSummary: { overlap?: number }; kubernetesCosts?: { clusters: unknown[] } } } | undefined)?.organization;
      // The reconciled headline subtracts what the clusters' bill covers: never nothing here.
      const reconciled = query !== HEADLINE || (organization?.costSummary.overlap ?? 0) > 0;
      return response.status === 200 && !response.json.errors && organization?.kubernetesCosts?.clusters.length === CLUSTERS && reconciled;
    };

    const results: Record<string, Figures> = {};
    process.stdout.write(`load: ${CONCURRENCY} concurrent clients, ${WARMUP_MS / 1000} s warm-up, ${MEASURE_MS / 1000} s measured per variant\n`);
    const shared = { subgraphs: services.child.pid, prometheus: prometheus.pid };
    results.direct = await load(direct, shared);
    for (const [mode, pass] of PASSES) {
      const gateway = await startChild([path.join(__dirname, 'lib', 'gateway-process.ts'), mode], gatewayEnv);
      const client = poster(gateway.info.url);
      if (!(await headline(client)())) throw new Error(`${mode} gateway did not answer the headline query correctly`);
      const measure = async (name: string, query: string) => {
        results[name] = await load(headline(client, RANGE, query), { ...shared, gateway: gateway.child.pid }, gateway.child.pid);
      };
      // The headline without the reconciled total beside it, in the order A B, then B A.
      if (mode === 'costgraph' && pass === 2) await measure(`costgraph #2, unreconciled`, HEADLINE_UNRECONCILED);
      await measure(`${mode} #${pass}`, HEADLINE);
      if (mode === 'costgraph' && pass === 1) await measure(`costgraph #1, unreconciled`, HEADLINE_UNRECONCILED);
      if (mode === 'costgraph' && pass === 1) {
        // First versus repeated queries for past windows: each window is new to every cache once.
        const cold: number[] = [];
        const warm: number[] = [];
        for (let k = 1; k <= 10; k++) {
          const range = { from: new Date(END - 30 * DAY_MS - k * HOUR_MS).toISOString(), to: new Date(END - k * HOUR_MS).toISOString() };
          const run = headline(client, range);
          let start = performance.now();
          if (!(await run())) throw new Error('cold headline failed');
          cold.push(performance.now() - start);
          for (let r = 0; r < 5; r++) {
            start = performance.now();
            await run();
            warm.push(performance.now() - start);
          }
        }
        cold.sort((a, b) => a - b);
        warm.sort((a, b) => a - b);
        process.stdout.write(
          `\npast windows through the costgraph gateway, one client: first query p50 ${fmt(percentile(cold, 50))} ms, repeated p50 ${fmt(percentile(warm, 50))} ms, ` +
            `speed-up ${fmt(percentile(cold, 50) / percentile(warm, 50))}× (target ≥ 5×)\n`,
        );
      }
      await client.close();
      await stopChild(gateway.child);
    }
    await subgraphs.expenses.close();
    await subgraphs.kubecost.close();

    // Gateway-bound: the subgraphs' answers replayed (identical for both gateways), each
    // gateway alone on CPU 0, the replaying endpoints and this load generator on CPU 1. The
    // gateway's own work is then the limit, which is what "req/s of a gateway" compares.
    process.stdout.write('\ngateway-bound: subgraph answers replayed, gateway pinned to CPU 0, load generator and replay on CPU 1\n');
    const replay = await startChild([path.join(__dirname, 'lib', 'replay-subgraphs.ts'), JSON.stringify({ expenses: services.info.expenses, kubecost: services.info.kubecost })], env, 1);
    children.push(replay.child);
    pinSelf('1');
    try {
      for (const [mode, pass] of PASSES) {
        const gateway = await startChild([path.join(__dirname, 'lib', 'gateway-process.ts'), mode], { ...env, EXPENSES_URL: replay.info.expenses, KUBECOST_URL: replay.info.kubecost }, 0);
        const client = poster(gateway.info.url);
        if (!(await headline(client)())) throw new Error(`${mode} gateway did not answer the headline query correctly through the replay`);
        results[`${mode} #${pass}, gateway-bound`] = await load(headline(client), { gateway: gateway.child.pid, replay: replay.child.pid }, gateway.child.pid);
        await client.close();
        await stopChild(gateway.child);
      }
    } finally {
      pinSelf('0-1');
    }

    process.stdout.write('\n| variant | req/s | p50 ms | p99 ms | errors | gateway RSS MiB (avg / max) | CPU ms per request |\n|---|---|---|---|---|---|---|\n');
    for (const [name, f] of Object.entries(results)) {
      const cpu = Object.entries(f.cpuMsPerRequest).map(([p, ms]) => `${p} ${fmt(ms)}`).join(', ');
      process.stdout.write(`| ${name} | ${fmt(f.rps)} | ${fmt(f.p50)} | ${fmt(f.p99)} | ${f.errors} | ${f.rssMiB ? `${fmt(f.rssMiB.avg, 0)} / ${fmt(f.rssMiB.max, 0)}` : '-'} | ${cpu} |\n`);
    }
    /** The mean of a figure over both passes of a gateway. */
    const mean = (mode: Mode, figure: 'rps' | 'p50', suffix = '') => (results[`${mode} #1${suffix}`][figure] + results[`${mode} #2${suffix}`][figure]) / 2;
    process.stdout.write(
      `\ncostgraph p50 / direct p50 = ${fmt(mean('costgraph', 'p50') / results.direct.p50, 2)} (target ≤ 1.5; costgraph's mean of both passes)\n` +
        `headline p50 / headline without the reconciled total p50 = ${fmt(mean('costgraph', 'p50') / mean('costgraph', 'p50', ', unreconciled'), 2)} (target ≤ 1.2; means of both passes)\n` +
        `costgraph req/s / stock req/s = ${fmt(mean('costgraph', 'rps') / mean('stock', 'rps'), 2)} on the whole stack, ` +
        `${fmt(mean('costgraph', 'rps', ', gateway-bound') / mean('stock', 'rps', ', gateway-bound'), 2)} gateway-bound (target ≥ 2; means of both passes)\n`,
    );
  } finally {
    for (const child of children) await stopChild(child);
    await prometheus.stop();
    await t.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:gateway failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
