/**
 * Summarises a V8 CPU profile written by a benchmark (BENCH_PROFILE_DIR): busy time, and self
 * time by origin (an npm package, a folder of this project, Node itself, garbage collection)
 * and by function. `tsx bench/profile-summary.ts <file.cpuprofile> [top]`.
 */
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const ROOT = process.env.BENCH_PROFILE_ROOT ?? path.resolve(__dirname, '..');

function origin(url: string, name: string): string {
  if (name === '(garbage collector)' || name === '(idle)' || name === '(program)') return name;
  if (!url) return '(native)';
  if (url.startsWith('node:')) return 'node';
  const file = url.replace(/^file:\/\//, '');
  const modules = file.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = file.slice(modules + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  return path.relative(ROOT, file).split(path.sep).slice(0, 2).join('/');
}

/** A project file by its path, anything else by its origin. */
function byFileName(url: string, where: string): string {
  return url.startsWith('file://') && !url.includes('node_modules/') ? path.relative(ROOT, url.slice('file://'.length)) : where;
}

function main(): void {
  const [file, topText] = process.argv.slice(2);
  if (!file) throw new Error('usage: profile-summary <file.cpuprofile> [top]');
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const byOrigin = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const { callFrame } = byId.get(id)!;
    const where = origin(callFrame.url, callFrame.functionName);
    byOrigin.set(where, (byOrigin.get(where) ?? 0) + ms);
    const file = byFileName(callFrame.url, where);
    byFile.set(file, (byFile.get(file) ?? 0) + ms);
    const fn = `${callFrame.functionName || '(anonymous)'} ${byFileName(callFrame.url, where)}:${callFrame.lineNumber + 1}:${callFrame.columnNumber ?? 0}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
  }
  const wall = (profile.endTime - profile.startTime) / 1000;
  const busy = wall - (byOrigin.get('(idle)') ?? 0);
  const top = Number(topText ?? 25);
  const lines = [`${path.basename(file)}: ${wall.toFixed(0)} ms profiled, ${busy.toFixed(0)} ms busy`, '', 'self time by origin (ms):'];
  for (const [where, ms] of [...byOrigin].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${ms.toFixed(1).padStart(9)}  ${where}`);
  lines.push('', 'self time by file (ms):');
  for (const [where, ms] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${ms.toFixed(1).padStart(9)}  ${where}`);
  lines.push('', 'self time by function (ms):');
  for (const [fn, ms] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${ms.toFixed(1).padStart(9)}  ${fn}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
