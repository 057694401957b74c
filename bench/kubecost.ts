/*
 * Kubecost subgraph benchmark: prints figures, asserts nothing. `npm run bench:kubecost`.
 *
 *   0. A fleet of 100 synthetic clusters × 30 days at 5-minute resolution is backfilled through
 *      remote write into a real Prometheus 2.42 (in time order, then compacted: REFERENCE.md §2).
 *   1. The organization's `kubernetesCosts(range: 30 days) { totalCost clusters { totalCost
 *      breakdown } }` at the subgraph over HTTP, against the very PromQL the subgraph issues for
 *      it sent straight to Prometheus in the same run (alternating, same ranges).
 *   2. The same GraphQL request repeated on a closed window (served from the result cache).
 *   3. One cluster's `kubernetesCost(range: 7 days)` (the seed system's figure: < 100 ms).
 *
 * Uncached runs shift the range by a minute each time so that no result cache can answer.
 * BENCH_KUBECOST_CLUSTERS, BENCH_KUBECOST_DAYS and BENCH_ITERATIONS shrink or grow the run.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCloudAccount, createOrganization } from '../lib/accounts/repository';
import { loadCommonConfig } from '../lib/config/common';
import { migrate } from '../lib/db/migrate';
import { PgliteDatabase } from '../lib/db/pglite';
import { CONTEXT_HEADER, signContext } from '../lib/internal-auth/signed-context';
import { silentLogger } from '../lib/log';
import { startLocalPrometheus } from '../cli/local/local-prometheus';
import { hourEvaluatedAt, hourQuery } from '../subgraphs/kubecost/costs/pieces';
import { loadKubecostConfig } from '../subgraphs/kubecost/config';
import { tenantSelector } from '../subgraphs/kubecost/promql/matchers';
import { startKubecostSubgraph } from '../subgraphs/kubecost/start';
import { cpuSnapshot } from './lib/cpu';
import { backfill, fleetCluster } from './lib/kubecost-fleet';
import { quantile } from './lib/stats';

const CLUSTERS = Number(process.env.BENCH_KUBECOST_CLUSTERS ?? 100) || 100;
const DAYS = Number(process.env.BENCH_KUBECOST_DAYS ?? 30) || 30;
/** Uncached fleet queries take seconds each on 2 cores: fewer of them; the one-cluster runs are cheap. */
const FLEET_ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 8) || 8;
const SINGLE_ITERATIONS = FLEET_ITERATIONS * 4;
const CACHED_ITERATIONS = 300;
const INTERVAL_SECONDS = 300;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** History beyond the measured windows, so windows shifted back by up to a few hundred minutes still see full data. */
const MARGIN_MS = 3 * HOUR;

const BREAKDOWN = 'breakdown { cpu ram gpu persistentVolumes network loadBalancers clusterManagement }';
const ORG_QUERY = `query($reps: [_Any!]!, $range: DateRangeInput!) { _entities(representations: $reps) {
  ... on Organization { kubernetesCosts(range: $range) { totalCost clusters { totalCost ${BREAKDOWN} } } } } }`;
const CLUSTER_QUERY = `query($reps: [_Any!]!, $range: DateRangeInput!) { _entities(representations: $reps) {
  ... on CloudAccount { kubernetesCost(range: $range) { totalCost ${BREAKDOWN} } } } }`;

const log = (message: string) => process.stderr.write(`${message}\n`);

const ms = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(0));

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-bench-kubecost-'));
  const secret = crypto.randomBytes(32).toString('hex');
  const store = await startLocalPrometheus({ dataDir: dir, port: 0 });
  const db = await PgliteDatabase.open();
  let subgraph: Awaited<ReturnType<typeof startKubecostSubgraph>> | undefined;
  try {
    await migrate(db);
    const org = await createOrganization(db, 'bench');
    const ids: string[] = [];
    for (let i = 0; i < CLUSTERS; i++) ids.push((await createCloudAccount(db, { organizationId: org.id, name: `cluster-${i}`, type: 'kubernetes' })).id);

    // History ends on the 5-minute grid just before now; measured windows end an hour earlier.
    const endMs = Math.floor(Date.now() / (INTERVAL_SECONDS * 1000)) * INTERVAL_SECONDS * 1000;
    const startMs = endMs - DAYS * DAY - MARGIN_MS;
    const clusters = ids.map((id, i) => fleetCluster(id, i, startMs, endMs, INTERVAL_SECONDS));
    log(`backfilling ${CLUSTERS} clusters × ${DAYS} days at ${INTERVAL_SECONDS / 60}-minute resolution into ${store.url} ...`);
    const started = Date.now();
    let lastReport = started;
    const written = await backfill(store.url, clusters, startMs, endMs + INTERVAL_SECONDS * 1000, {
      onProgress: (doneMs, samples) => {
        if (Date.now() - lastReport > 10_000) {
          lastReport = Date.now();
          log(`  ${((100 * (doneMs - startMs)) / (endMs - startMs)).toFixed(0)}%, ${(samples / 1e6).toFixed(1)}M samples, ${((Date.now() - started) / 1000).toFixed(0)} s`);
        }
      },
    });
    const writeSeconds = (Date.now() - started) / 1000;
    log(`wrote ${(written.samples / 1e6).toFixed(1)}M samples in ${written.requests} requests in ${writeSeconds.toFixed(0)} s (${((written.samples / writeSeconds) / 1000).toFixed(0)}k samples/s); waiting for compaction ...`);
    const compactionStarted = Date.now();
    await store.settled(15 * 60_000);
    const compactionMs = Date.now() - compactionStarted;
    log(`compacted after a further ${(compactionMs / 1000).toFixed(0)} s`);

    const config = {
      // The fleet query takes several seconds on a shared 2-core machine: more than the default 15 s must not fail it.
      ...loadKubecostConfig({ DATA_DIR: dir, INTERNAL_AUTH_SECRET: secret, THANOS_QUERY_URL: store.url, KUBECOST_PORT: '0', KUBECOST_INTERNAL_PORT: '0', KUBECOST_QUERY_TIMEOUT: '120s' }),
      common: loadCommonConfig({ DATA_DIR: dir }),
    };
    subgraph = await startKubecostSubgraph({ config, db, logger: silentLogger });
    const graphqlUrl = subgraph.url;

    const gql = async (query: string, variables: Record<string, unknown>) => {
      const response = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', [CONTEXT_HEADER]: signContext({ subject: 'bench', organizationIds: [org.id], role: 'read-only' }, secret) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: unknown; errors?: unknown[] };
      if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 500)}`);
      return body.data;
    };
    /** A PromQL range query straight to Prometheus. */
    const promql = async (query: string, startMs: number, endMs: number, stepSeconds: number) => {
      const response = await fetch(`${store.url}/api/v1/query_range`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query, start: String(startMs / 1000), end: String(endMs / 1000), step: String(stepSeconds) }),
      });
      const body = (await response.json()) as { status: string; error?: string };
      if (body.status !== 'success') throw new Error(`PromQL failed: ${body.error}`);
      return body;
    };
    const timed = async (fn: () => Promise<unknown>) => {
      const t0 = performance.now();
      await fn();
      return performance.now() - t0;
    };
    const windowEnding = (lengthMs: number, shiftMinutes: number) => {
      const to = endMs - HOUR - shiftMinutes * MINUTE;
      return { from: new Date(to - lengthMs), to: new Date(to) };
    };
    const orgVars = (range: { from: Date; to: Date }) => ({
      reps: [{ __typename: 'Organization', id: org.id, kubernetesClusterIds: ids }],
      range: { from: range.from.toISOString(), to: range.to.toISOString() },
    });

    /** Subgraph vs direct on the same windows, alternating which goes first. */
    const compare = async (iterations: number, lengthMs: number, subgraphCall: (range: { from: Date; to: Date }) => Promise<unknown>, clusterIds: string[], shiftBase: number) => {
      const viaSubgraph: number[] = [];
      const direct: number[] = [];
      const cpu = cpuSnapshot({ prometheus: store.pid }, 'bench+subgraph');
      for (let i = -2; i < iterations; i++) {
        const range = windowEnding(lengthMs, shiftBase + i + 2);
        // Direct: the range's whole hours computed from the store, as the subgraph does for hours it has not rolled up.
        const firstHourEnd = Math.ceil(range.from.getTime() / HOUR) * HOUR + HOUR;
        const lastHourEnd = Math.floor(range.to.getTime() / HOUR) * HOUR;
        const query = hourQuery(tenantSelector(clusterIds));
        const a = () => timed(() => subgraphCall(range));
        const b = () => timed(() => promql(query, hourEvaluatedAt(firstHourEnd - HOUR), hourEvaluatedAt(lastHourEnd - HOUR), HOUR / 1000));
        let s: number;
        let d: number;
        if (i % 2 === 0) {
          s = await a();
          d = await b();
        } else {
          d = await b();
          s = await a();
        }
        if (i >= 0) {
          viaSubgraph.push(s);
          direct.push(d);
        }
      }
      return { viaSubgraph, direct, cpu: cpu() };
    };

    log(`measuring (${FLEET_ITERATIONS} and ${SINGLE_ITERATIONS} runs after 2 warm-ups) ...`);
    const fleet = await compare(FLEET_ITERATIONS, DAYS * DAY, (range) => gql(ORG_QUERY, orgVars(range)), ids, 0);

    const closed = windowEnding(DAYS * DAY, 0);
    await gql(ORG_QUERY, orgVars(closed));
    const cached: number[] = [];
    for (let i = 0; i < CACHED_ITERATIONS; i++) cached.push(await timed(() => gql(ORG_QUERY, orgVars(closed))));

    const single = await compare(
      SINGLE_ITERATIONS,
      7 * DAY,
      (range) => gql(CLUSTER_QUERY, { reps: [{ __typename: 'CloudAccount', id: ids[0] }], range: { from: range.from.toISOString(), to: range.to.toISOString() } }),
      [ids[0]],
      100,
    );

    const row = (name: string, values: number[], target: string) => `| ${name} | ${ms(quantile(values, 0.5))} | ${ms(quantile(values, 0.99))} | ${values.length} | ${target} |`;
    const ratio = quantile(fleet.viaSubgraph, 0.5) / quantile(fleet.direct, 0.5);
    const cpuLine = (c: Record<string, number>) =>
      Object.entries(c)
        .map(([name, seconds]) => `${name} ${seconds.toFixed(1)} s`)
        .join(', ');
    const lines = [
      `clusters ${CLUSTERS}, days ${DAYS}, interval ${INTERVAL_SECONDS} s, ${(written.samples / 1e6).toFixed(1)}M samples; write ${writeSeconds.toFixed(0)} s, compaction wait ${(compactionMs / 1000).toFixed(0)} s`,
      '',
      '| measurement | p50 ms | p99 ms | runs | target |',
      '|---|---|---|---|---|',
      row(`org kubernetesCosts ${DAYS} d × ${CLUSTERS} clusters, subgraph over HTTP`, fleet.viaSubgraph, `≤ 1.5× direct: ratio ${ratio.toFixed(2)} ${ratio <= 1.5 ? 'met' : 'NOT met'}`),
      row(`same PromQL straight to Prometheus`, fleet.direct, ''),
      row('org kubernetesCosts, cached repeat', cached, `< 5 ms p50: ${quantile(cached, 0.5) < 5 ? 'met' : 'NOT met'}`),
      row('one cluster, 7 d, subgraph over HTTP', single.viaSubgraph, `< 100 ms p50: ${quantile(single.viaSubgraph, 0.5) < 100 ? 'met' : 'NOT met'}`),
      row('same PromQL straight to Prometheus', single.direct, ''),
      '',
      `CPU during the fleet comparison: ${cpuLine(fleet.cpu)}`,
      `CPU during the one-cluster comparison: ${cpuLine(single.cpu)}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await subgraph?.close();
    await store.stop();
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:kubecost failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
