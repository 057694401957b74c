import { execFile } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `bin/costgraph` as an operator would: a real child process with its own environment
 * (`env` on top of this one's, without DATABASE_URL unless given). `bin` runs another checkout's CLI.
 */
export function runCostgraph(args: string[], env: Record<string, string | undefined>, bin = path.join(ROOT, 'bin', 'costgraph')): Promise<CliRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv.DATABASE_URL;
  // jest's --experimental-vm-modules must not leak into the CLI.
  delete childEnv.NODE_OPTIONS;
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[name];
    else childEnv[name] = value;
  }
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: path.dirname(path.dirname(bin)), env: childEnv, timeout: 300_000 }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ status, stdout, stderr });
    });
  });
}

/** A failure as the CLI promises it: non-zero exit, one line naming the reason, nothing on stdout. */
export function expectOneLineFailure(run: CliRun, reason: RegExp): void {
  expect(run.status).not.toBe(0);
  expect(run.stdout).toBe('');
  const lines = run.stderr.split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toBe('');
  expect(lines[0]).toMatch(/^costgraph: /);
  expect(lines[0]).toMatch(reason);
}
