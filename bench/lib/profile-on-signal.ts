/**
 * With BENCH_PROFILE_DIR set, a benchmark's child process records a V8 CPU profile between two
 * SIGUSR2 signals and writes it to `<dir>/<name>-<pid>.cpuprofile` (open it in Chrome's DevTools
 * or summarise it with bench/profile-summary.ts): the parent profiles exactly one phase.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

export function profileOnSignal(name: string): void {
  const dir = process.env.BENCH_PROFILE_DIR;
  if (!dir) return;
  const session = new Session();
  session.connect();
  let running = false;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 100 }, () => session.post('Profiler.start')));
      return;
    }
    running = false;
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
