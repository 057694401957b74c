import fs from 'node:fs';

/** Linux USER_HZ: /proc/<pid>/stat counts CPU time in these ticks (100 on every mainstream kernel). */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system, all threads) a process has used so far; undefined without /proc. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine (all cores, every process) so far; undefined without /proc. */
export function machineBusySeconds(): number | undefined {
  try {
    const [, ...ticks] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal: busy is everything but idle and iowait.
    const busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7];
    return busy / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * Snapshots CPU seconds of named processes, of this process (as `selfName`) and of the
 * machine; the returned function gives seconds used since, with `other` = machine − all of those
 * (other users of the machine, which make a figure less trustworthy).
 */
export function cpuSnapshot(pids: Record<string, number>, selfName = 'sender'): () => Record<string, number> {
  const start = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processCpuSeconds(pid)]));
  const machineStart = machineBusySeconds();
  const self = process.cpuUsage();
  return () => {
    const used: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids)) {
      const before = start[name];
      const after = processCpuSeconds(pid);
      if (before !== undefined && after !== undefined) used[name] = after - before;
    }
    const own = process.cpuUsage(self);
    used[selfName] = (own.user + own.system) / 1e6;
    const machineEnd = machineBusySeconds();
    if (machineStart !== undefined && machineEnd !== undefined) {
      const ours = Object.values(used).reduce((sum, seconds) => sum + seconds, 0);
      used.other = Math.max(0, machineEnd - machineStart - ours);
    }
    return used;
  };
}
