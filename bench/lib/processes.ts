import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

/*
 * The benchmarks' child processes: each service under measurement runs in a process of its
 * own, so that its CPU time and RSS (read from /proc) are its own and not the load generator's.
 */

/** Resident set size of a process in MiB; undefined without /proc or once it exited. */
export function rssMiB(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts a TypeScript child (`args[0]` is its file) and resolves with the first JSON line it
 * prints (its URLs). `cpu` pins the child to that CPU (taskset execs node, so the pid stays the
 * child's own).
 */
export function startChild(args: string[], env: NodeJS.ProcessEnv, cpu?: number): Promise<{ child: ChildProcess; info: Record<string, string> }> {
  // `--import tsx` keeps the TypeScript child in one process, so its pid's CPU and RSS are its own.
  // BENCH_CPU_PROFILE=<dir> writes a V8 CPU profile of every child, for finding where time goes.
  const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : [];
  const node = [process.execPath, ...profile, '--import', 'tsx', ...args];
  const [command, ...rest] = cpu === undefined ? node : ['taskset', '-c', String(cpu), ...node];
  const child = spawn(command, rest, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, info: JSON.parse(line) as Record<string, string> });
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${errors.slice(-2000)}`)));
  });
}

/** SIGTERM, then SIGKILL after 5 s. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}
