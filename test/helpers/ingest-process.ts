import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../lib/db/open';

const MAIN = path.join(__dirname, '..', '..', 'ingest', 'main.ts');

/** The ingest worker as its own process (`node --import tsx ingest/main.ts`), as production runs it. */
export interface IngestProcess {
  url: string;
  port: number;
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

export async function startIngestProcess(env: Record<string, string>, logFile: string, readyTimeoutMs = 30_000): Promise<IngestProcess> {
  const port = env.INGEST_PORT && env.INGEST_PORT !== '0' ? Number(env.INGEST_PORT) : await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Jest's NODE_OPTIONS (VM modules) are not the worker's business.
  const childEnv = { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'warn', ...env, INGEST_PORT: String(port), INGEST_HOST: '127.0.0.1' };
  let child: ChildProcess;
  let exited: Promise<void>;

  const launch = async () => {
    const log = fs.openSync(logFile, 'a');
    child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env: childEnv, stdio: ['ignore', log, log], cwd: path.join(__dirname, '..', '..') });
    fs.closeSync(log);
    exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`ingest exited with ${child.exitCode}: ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
      try {
        if ((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill('SIGKILL');
    throw new Error(`ingest not healthy within ${readyTimeoutMs} ms`);
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
