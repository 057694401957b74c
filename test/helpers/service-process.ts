import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../lib/db/open';

const ROOT = path.join(__dirname, '..', '..');

/** Each service's entry point and the variables that set where it listens (`<prefix>_PORT`, `<prefix>_INTERNAL_PORT`, ...). */
const SERVICES = {
  ingest: { main: 'ingest/main.ts', prefix: 'INGEST' },
  kubecost: { main: 'subgraphs/kubecost/main.ts', prefix: 'KUBECOST' },
  expenses: { main: 'subgraphs/expenses/main.ts', prefix: 'EXPENSES' },
} as const;

/** A costgraph service as its own process (`node --import tsx <service>/main.ts`), as production runs it. */
export interface ServiceProcess {
  url: string;
  port: number;
  /** The internal listener: /metrics, /readyz, /healthz. */
  internalUrl: string;
  /** Of the current process; changes on restart. */
  readonly pid: number;
  /** Resident set size of the current process, from /proc (bytes). */
  rss(): number;
  /** Kills the process with `signal` and waits for it to be gone. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Starts it again, same environment, same port. */
  restart(): Promise<void>;
  /** SIGTERM, then SIGKILL if it hangs; safe to call when already dead. */
  stop(): Promise<void>;
}

export type IngestProcess = ServiceProcess;

export function startIngestProcess(env: Record<string, string>, logFile: string, readyTimeoutMs = 30_000): Promise<IngestProcess> {
  return startServiceProcess('ingest', env, logFile, readyTimeoutMs);
}

export async function startServiceProcess(service: keyof typeof SERVICES, env: Record<string, string>, logFile: string, readyTimeoutMs = 30_000): Promise<ServiceProcess> {
  const { main, prefix } = SERVICES[service];
  // Fixed before the first start, so a restart listens where the tests already point.
  const chosen = async (name: string) => (env[name] && env[name] !== '0' ? Number(env[name]) : freePort());
  const port = await chosen(`${prefix}_PORT`);
  const internalPort = await chosen(`${prefix}_INTERNAL_PORT`);
  const url = `http://127.0.0.1:${port}`;
  // Jest's NODE_OPTIONS (VM modules) are not the service's business.
  const childEnv = {
    ...process.env,
    NODE_OPTIONS: '',
    LOG_LEVEL: 'warn',
    ...env,
    [`${prefix}_PORT`]: String(port),
    [`${prefix}_HOST`]: '127.0.0.1',
    [`${prefix}_INTERNAL_PORT`]: String(internalPort),
    [`${prefix}_INTERNAL_HOST`]: '127.0.0.1',
  };
  let child: ChildProcess;
  let exited: Promise<void>;

  const launch = async () => {
    const log = fs.openSync(logFile, 'a');
    child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, main)], { env: childEnv, stdio: ['ignore', log, log], cwd: ROOT });
    fs.closeSync(log);
    exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${service} exited with ${child.exitCode}: ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
      try {
        if ((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill('SIGKILL');
    throw new Error(`${service} not healthy within ${readyTimeoutMs} ms`);
  };

  const alive = () => child.exitCode === null && child.signalCode === null;
  const kill = async (signal: NodeJS.Signals) => {
    if (!alive()) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  return {
    url,
    port,
    internalUrl: `http://127.0.0.1:${internalPort}`,
    get pid() {
      return child.pid ?? -1;
    },
    rss: () => {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
    },
    kill,
    restart: launch,
    stop: () => kill('SIGTERM'),
  };
}
