/*
 * Expenses benchmark: prints figures, asserts nothing. `npm run bench:expenses`.
 *
 *   1. Generates FOCUS CSV exports with the fixture's shape: BENCH_EXPENSES_ROWS rows
 *      (default 1,000,000) over 50 accounts and 90 days, in BENCH_EXPENSES_FILES files.
 *   2. For PostgreSQL (a temporary database on 127.0.0.1:5432, dropped at the end) and for
 *      file-backed PGlite: imports every file through importFocusFile (rows/s per file), then
 *      re-imports the first one (all duplicates).
 *   3. Starts the real expenses subgraph on that database and measures, over HTTP with the
 *      signed internal context, the dashboard's overview query on the last 30 days: totals,
 *      breakdown by service and the first 50 rows (p50/p99 after warm-up). Then times each of
 *      its SQL statements on its own, to show where the time goes.
 *
 * BENCH_ENGINES=postgres (or pglite) runs one engine only.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createOrganization } from '../lib/accounts/repository';
import { importFocusFile, type ImportResult } from '../subgraphs/expenses/import/import-focus';
import { breakdown, listItems, summarize, type ExpenseScope } from '../subgraphs/expenses/data/queries';
import { silentLogger } from '../lib/log';
import { loadExpensesConfig } from '../subgraphs/expenses/config';
import { startExpensesSubgraph } from '../subgraphs/expenses/start';
import { cpuSnapshot } from './lib/cpu';
import { createPglite, createPostgres, type BenchDatabase } from './lib/expenses-databases';
import { FocusGenerator } from './lib/expenses-generate';
import { measureOverview, summarizeLatencies, type Latencies } from './lib/expenses-query';

const ROWS = Number(process.env.BENCH_EXPENSES_ROWS ?? 1_000_000) || 1_000_000;
const FILES = Number(process.env.BENCH_EXPENSES_FILES ?? 4) || 4;
const ACCOUNTS = 50;
const DAYS = 90;
const START = new Date('2024-07-01T00:00:00Z');
const DAY_MS = 86_400_000;
/** The last 30 of the 90 days. */
const RANGE = { from: new Date(START.getTime() + 60 * DAY_MS).toISOString(), to: new Date(START.getTime() + 90 * DAY_MS).toISOString() };
const WARMUP = 5;
const RUNS = Number(process.env.BENCH_EXPENSES_RUNS ?? 50) || 50;
const PART_RUNS = 20;
const ENGINES = (process.env.BENCH_ENGINES ?? 'postgres,pglite').split(',').map((name) => name.trim());

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (value: number) => `${fmt(value, 1)} ms`;
const latencies = (l: Latencies) => `p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  (min ${ms(l.min)}, max ${ms(l.max)}, ${l.runs} runs)`;

interface ImportFigure {
  file: string;
  result: ImportResult;
  seconds: number;
  cpu: Record<string, number>;
}

async function timedImport(bench: BenchDatabase, organizationId: string, file: string): Promise<ImportFigure> {
  const server = await bench.serverCpu?.();
  const cpu = cpuSnapshot({}, 'bench');
  const started = process.hrtime.bigint();
  const result = await importFocusFile(bench.db, organizationId, file);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = cpu();
  if (server) {
    used.postgres = await server();
    // `other` counted the PostgreSQL backend too: keep it for everything else on the machine.
    if (used.other !== undefined) used.other = Math.max(0, used.other - used.postgres);
  }
  return { file: path.basename(file), result, seconds, cpu: used };
}

function printImport(label: string, figure: ImportFigure): void {
  const { result, seconds, cpu } = figure;
  const rate = result.rows / seconds;
  const cores = (name: string) => (cpu[name] === undefined ? '?' : fmt(cpu[name] / seconds, 2));
  // CPU per row does not depend on what else the machine runs (as wall time does).
  const perRow = (name: string) => (cpu[name] === undefined ? '' : `, ${name} ${fmt((cpu[name] / result.rows) * 1e6, 1)} µs/row`);
  console.log(
    `  ${label.padEnd(24)} ${fmt(result.rows).padStart(9)} rows in ${fmt(seconds, 2).padStart(6)} s = ${fmt(rate).padStart(7)} rows/s` +
      `  (inserted ${fmt(result.inserted)}, duplicates ${fmt(result.duplicates)}; cores busy: bench ${cores('bench')}` +
      `${cpu.postgres === undefined ? '' : `, postgres ${cores('postgres')}`}, everything else ${cores('other')}; CPU: bench ${fmt((cpu.bench / result.rows) * 1e6, 1)} µs/row${perRow('postgres')})`,
  );
}

async function timeParts(bench: BenchDatabase, scope: ExpenseScope): Promise<Record<string, Latencies>> {
  const parts: Record<string, () => Promise<unknown>> = {
    'summary (totalCost, count)': () => summarize(bench.db, scope),
    'breakdown(by: SERVICE)': () => breakdown(bench.db, scope, 'SERVICE'),
    'items(first: 50), COST_DESC': () => listItems(bench.db, scope, { first: 50, orderBy: 'COST_DESC' }),
  };
  const out: Record<string, Latencies> = {};
  for (const [name, run] of Object.entries(parts)) {
    await run();
    const times: number[] = [];
    for (let i = 0; i < PART_RUNS; i++) {
      const started = process.hrtime.bigint();
      await run();
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    out[name] = summarizeLatencies(times);
  }
  return out;
}

async function benchEngine(engine: string, dir: string, files: string[]): Promise<void> {
  console.log(`\n== ${engine} ==`);
  const bench = engine === 'postgres' ? await createPostgres() : await createPglite(dir);
  try {
    const org = await createOrganization(bench.db, 'Bench');
    const figures: ImportFigure[] = [];
    console.log('import (importFocusFile, one transaction per file):');
    for (const file of files) {
      const figure = await timedImport(bench, org.id, file);
      figures.push(figure);
      printImport(figure.file, figure);
    }
    const rows = figures.reduce((n, f) => n + f.result.rows, 0);
    const seconds = figures.reduce((n, f) => n + f.seconds, 0);
    console.log(`  ${'all files'.padEnd(24)} ${fmt(rows).padStart(9)} rows in ${fmt(seconds, 2).padStart(6)} s = ${fmt(rows / seconds).padStart(7)} rows/s`);
    printImport(`re-import ${figures[0].file}`, await timedImport(bench, org.id, files[0]));

    // What autovacuum does after a large import: statistics, and the visibility map that lets
    // the overview's index-only scans skip the heap.
    const vacuumStarted = Date.now();
    await bench.db.exec('VACUUM ANALYZE');
    console.log(`  VACUUM ANALYZE: ${fmt((Date.now() - vacuumStarted) / 1000, 1)} s`);
    const [size] = await bench.db.query<{ heap: string; indexes: string }>(
      `SELECT pg_size_pretty(pg_relation_size('expenses')) AS heap, pg_size_pretty(pg_indexes_size('expenses')) AS indexes`,
    );
    console.log(`  expenses: heap ${size.heap}, indexes ${size.indexes}`);

    const secret = crypto.randomBytes(32).toString('hex');
    const subgraph = await startExpensesSubgraph({
      config: loadExpensesConfig({ DATA_DIR: dir, INTERNAL_AUTH_SECRET: secret, EXPENSES_PORT: '0', EXPENSES_INTERNAL_PORT: '0' }),
      db: bench.db,
      logger: silentLogger,
    });
    try {
      const { latencies: overview, result } = await measureOverview(subgraph.url, secret, org.id, RANGE, WARMUP, RUNS);
      console.log(`overview query over HTTP, last 30 days (${fmt(result.count)} rows, ${result.services} services, total ${fmt(result.totalCost, 2)}):`);
      console.log(`  ${latencies(overview)}`);
      console.log('its statements, one at a time (library calls, no HTTP):');
      const scope: ExpenseScope = { organizationId: org.id, from: new Date(RANGE.from), to: new Date(RANGE.to), costType: 'BILLED' };
      for (const [name, l] of Object.entries(await timeParts(bench, scope))) console.log(`  ${name.padEnd(30)} ${latencies(l)}`);
    } finally {
      await subgraph.close();
    }
  } finally {
    await bench.drop();
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-bench-expenses-'));
  try {
    console.log(`expenses benchmark: ${fmt(ROWS)} rows, ${ACCOUNTS} accounts, ${DAYS} days from ${START.toISOString().slice(0, 10)}, ${FILES} files`);
    console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB, Node ${process.version}`);
    const generator = new FocusGenerator({ accounts: ACCOUNTS, days: DAYS, start: START, seed: 20_240_701 });
    const files: string[] = [];
    const started = Date.now();
    let bytes = 0;
    for (let i = 0; i < FILES; i++) {
      const file = path.join(dir, `focus-${i + 1}.csv`);
      const rows = Math.floor(ROWS / FILES) + (i < ROWS % FILES ? 1 : 0);
      bytes += (await generator.writeCsv(file, rows)).bytes;
      files.push(file);
    }
    console.log(`generated ${FILES} CSV files, ${fmt(bytes / 2 ** 20)} MiB, in ${fmt((Date.now() - started) / 1000, 1)} s`);
    for (const engine of ENGINES) {
      if (engine !== 'postgres' && engine !== 'pglite') throw new Error(`BENCH_ENGINES: unknown engine ${engine}`);
      await benchEngine(engine, dir, files);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
