import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { stringVar } from '../../lib/config/env';
import { freePort } from '../../lib/db/open';

/**
 * Debian's Prometheus 2.42 standing in for Thanos locally: the same remote-write receiver and
 * query API. Also runs Prometheus in agent mode, which is what a customer cluster looks like
 * to the ingest worker.
 */
export interface LocalPrometheusOptions {
  dataDir: string;
  /** 0 picks a free port; the stack passes the port of THANOS_QUERY_URL. */
  port: number;
  /** @default /usr/bin/prometheus (or PROMETHEUS_BIN) */
  binary?: string;
  /** How far back backfilled samples are accepted; the ingest worker's max sample age must fit inside. @default 40d */
  outOfOrderWindow?: string;
  /** @default 60d */
  retention?: string;
  /** Longest a PromQL query may run before Prometheus abandons it. @default 2m (Prometheus's own) */
  queryTimeout?: string;
  /** Agent mode: scrape targets and remote-write, no local queries. */
  agent?: {
    scrapeConfigs: Array<Record<string, unknown>>;
    remoteWrite: Array<Record<string, unknown>>;
    scrapeInterval?: string;
  };
  /** Where Prometheus's own log goes. @default <dataDir>/prometheus.log */
  logFile?: string;
  /** @default 30000 */
  readyTimeoutMs?: number;
}

export interface LocalPrometheus {
  url: string;
  port: number;
  pid: number;
  /**
   * Resolves once the TSDB has nothing left to compact. Backfilled data spanning more than 3 h
   * is cut into 2 h blocks in the background, and 2.42 can answer a query that overlaps a block
   * being cut without that block's samples (measured here: two hours missing from some series,
   * no error). Tests and benchmarks that write hours of history wait for this before reading.
   */
  settled(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalPrometheusConfig {
  /** The Prometheus binary. @default /usr/bin/prometheus (Debian's package) */
  binary: string;
}

export function loadLocalPrometheusConfig(env: Record<string, string | undefined> = process.env): LocalPrometheusConfig {
  return { binary: stringVar(env, 'PROMETHEUS_BIN', '/usr/bin/prometheus') };
}

/** The port was taken between being picked and being bound (another process listens there). */
class PortTaken extends Error {}

export async function startLocalPrometheus(options: LocalPrometheusOptions): Promise<LocalPrometheus> {
  // A port picked as free can be taken by someone else before Prometheus binds it: then the
  // start is tried again on another one.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (!(error instanceof PortTaken) || options.port !== 0 || attempt === 3) throw error;
    }
  }
}

async function startOnce(options: LocalPrometheusOptions): Promise<LocalPrometheus> {
  const binary = options.binary ?? loadLocalPrometheusConfig().binary;
  if (!fs.existsSync(binary)) {
    throw new Error(`Prometheus binary not found at ${binary}: run "apt-get install -y prometheus" or set PROMETHEUS_BIN`);
  }
  fs.mkdirSync(options.dataDir, { recursive: true });
  const port = options.port === 0 ? await freePort() : options.port;
  const configFile = path.join(options.dataDir, 'prometheus.yml');
  const args = [`--config.file=${configFile}`, `--web.listen-address=127.0.0.1:${port}`];
  let config: Record<string, unknown>;
  if (options.agent) {
    config = {
      global: { scrape_interval: options.agent.scrapeInterval ?? '1m' },
      scrape_configs: options.agent.scrapeConfigs,
      remote_write: options.agent.remoteWrite,
    };
    args.push('--enable-feature=agent', `--storage.agent.path=${path.join(options.dataDir, 'wal')}`);
  } else {
    config = { storage: { tsdb: { out_of_order_time_window: options.outOfOrderWindow ?? '40d' } } };
    args.push(
      '--web.enable-remote-write-receiver',
      '--web.enable-lifecycle',
      `--storage.tsdb.path=${path.join(options.dataDir, 'tsdb')}`,
      `--storage.tsdb.retention.time=${options.retention ?? '60d'}`,
      ...(options.queryTimeout ? [`--query.timeout=${options.queryTimeout}`] : []),
    );
  }
  fs.writeFileSync(configFile, YAML.stringify(config));
  const logFile = options.logFile ?? path.join(options.dataDir, 'prometheus.log');
  const log = fs.openSync(logFile, 'a');
  const child = spawn(binary, args, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(url, child, configFile, logFile, options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  return {
    url,
    port,
    pid: child.pid ?? -1,
    settled: (timeoutMs = 180_000) => waitUntilSettled(url, timeoutMs),
    stop: () => stopChild(child, exited),
  };
}

async function waitUntilReady(url: string, child: ChildProcess, configFile: string, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      if (/address already in use/.test(fs.readFileSync(logFile, 'utf8'))) throw new PortTaken(`${url} is taken by another process`);
      throw new Error(`Prometheus exited with code ${child.exitCode} before becoming ready`);
    }
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) {
        // Ready, but maybe another Prometheus that holds the port: each runs its own config file.
        const flags = (await (await fetch(`${url}/api/v1/status/flags`, { signal: AbortSignal.timeout(1000) })).json()) as { data?: Record<string, string> };
        if (flags.data?.['config.file'] !== configFile) throw new PortTaken(`${url} is another Prometheus (config ${flags.data?.['config.file']})`);
        return;
      }
    } catch (error) {
      if (error instanceof PortTaken) throw error;
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Prometheus at ${url} not ready within ${timeoutMs} ms`);
}

/** The head is compacted while it spans more than 1.5 block ranges (2.42's default range is 2 h). */
const COMPACTABLE_HEAD_MS = 3 * 60 * 60 * 1000;

const TSDB_GAUGES = ['head_min_time', 'head_max_time', 'blocks_loaded', 'compactions_total', 'compaction_populating_block', 'head_truncations_total'] as const;

async function tsdbGauges(url: string): Promise<Record<(typeof TSDB_GAUGES)[number], number>> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const read = (name: string) => {
    const match = new RegExp(`^prometheus_tsdb_${name} (\\S+)$`, 'm').exec(text);
    if (!match) throw new Error(`Prometheus at ${url} does not export prometheus_tsdb_${name}`);
    return Number(match[1]);
  };
  return Object.fromEntries(TSDB_GAUGES.map((name) => [name, read(name)])) as Record<(typeof TSDB_GAUGES)[number], number>;
}

/** Settled: the head is not compactable, no block is being written, and nothing moved between two looks. */
async function waitUntilSettled(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let previous = '';
  while (Date.now() < deadline) {
    const g = await tsdbGauges(url);
    const empty = g.head_max_time < g.head_min_time;
    const quiet = g.compaction_populating_block === 0 && (empty || g.head_max_time - g.head_min_time <= COMPACTABLE_HEAD_MS);
    const key = JSON.stringify(g);
    if (quiet && key === previous) return;
    previous = quiet ? key : '';
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`Prometheus at ${url} still compacting after ${timeoutMs} ms`);
}

/** SIGTERM lets Prometheus flush its head and WAL; SIGKILL only if it hangs. */
async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
