import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { FromSender, Job, JobResult, ToSender } from './sender-protocol';

/** Node flags the child must not inherit (a profile of the benchmark should not also profile the load generator). */
function childExecArgv(): string[] {
  const args: string[] = [];
  const own = process.execArgv;
  for (let i = 0; i < own.length; i++) {
    const arg = own[i];
    if (arg.startsWith('--cpu-prof') || arg.startsWith('--heap-prof') || arg.startsWith('--prof')) {
      if (!arg.includes('=') && /-(dir|name|interval)$/.test(arg)) i++;
      continue;
    }
    args.push(arg);
  }
  return args;
}

/** The load generator in a child process (it inherits tsx's loader flags from execArgv). */
export class SenderProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (result: never) => void; reject: (error: Error) => void }>();
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: FromSender) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if ('error' in message) waiter.reject(new Error(`sender: ${message.error}`));
      else waiter.resolve(message.result as never);
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        for (const waiter of this.pending.values()) waiter.reject(new Error(`sender process exited (${signal ?? code})`));
        this.pending.clear();
        resolve();
      }),
    );
  }

  static start(): SenderProcess {
    const child = fork(path.join(__dirname, 'sender.ts'), [], { execArgv: childExecArgv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new SenderProcess(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  run<J extends Job>(job: J): Promise<JobResult<J>> {
    const id = this.nextId++;
    return new Promise<JobResult<J>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (result: never) => void, reject });
      this.child.send({ id, job } satisfies ToSender);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) this.child.send({ id: 0, exit: true } satisfies ToSender);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}
