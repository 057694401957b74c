import fs from 'node:fs';
import path from 'node:path';

/*
 * The folder layout is the architecture: production code (lib/ and the services) never
 * depends on development, test or benchmark code, lib/ holds only what services share (so it
 * imports no service), services do not reach into each other, and benchmarks use dev/, not
 * the tests' helpers.
 */

const ROOT = path.join(__dirname, '..', '..');
const SERVICES = ['ingest', 'gateway', 'subgraphs/expenses', 'subgraphs/kubecost'];

/** The top-level area of a repository path: a service folder, or its first segment. */
function areaOf(relative: string): string {
  const service = SERVICES.find((s) => relative === s || relative.startsWith(`${s}/`));
  return service ?? relative.split('/')[0];
}

/** Why importing `to` from `from` breaks the layout, or undefined when it does not. */
function layoutViolation(from: string, to: string): string | undefined {
  const source = areaOf(from);
  const target = areaOf(to);
  if (source === target) return undefined;
  const production = source === 'lib' || SERVICES.includes(source);
  if (production && ['dev', 'test', 'bench', 'cli', 'clients', 'dashboard'].includes(target)) return `production code imports ${target}/`;
  // The CLI ships too (`costgraph up`, `demo`): what it runs lives in cli/, not in dev/.
  if (source === 'cli' && ['dev', 'test', 'bench'].includes(target)) return `production code imports ${target}/`;
  if (source === 'lib' && SERVICES.includes(target)) return `lib/ imports the service ${target}/`;
  if (SERVICES.includes(source) && SERVICES.includes(target)) return `the service ${source}/ imports the service ${target}/`;
  if (source === 'bench' && target === 'test') return 'a benchmark imports test/';
  if (source === 'dev' && target === 'test') return 'dev/ imports test/';
  return undefined;
}

const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire(?:Actual)?\s*(?:<[^>]*>)?\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

/** Relative import targets of a TypeScript source, as repository paths (without extension). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  return [...text.matchAll(SPECIFIER)].map((match) => path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), match[1])));
}

function sources(dir: string): string[] {
  const absolute = path.join(ROOT, dir);
  if (!fs.existsSync(absolute)) return [];
  return fs
    .readdirSync(absolute, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(ts|tsx)$/.test(name) && !name.split(path.sep).includes('node_modules'))
    .map((name) => path.join(dir, name));
}

describe('folder layout', () => {
  it('the rule catches each kind of forbidden import', () => {
    expect(layoutViolation('lib/db/open.ts', 'dev/scratch-databases')).toMatch(/production code imports dev/);
    expect(layoutViolation('ingest/server.ts', 'test/helpers/stack')).toMatch(/imports test/);
    expect(layoutViolation('subgraphs/kubecost/costs/queries.ts', 'bench/lib/http')).toMatch(/imports bench/);
    expect(layoutViolation('lib/accounts/ids.ts', 'subgraphs/expenses/data/queries')).toMatch(/lib\/ imports the service/);
    expect(layoutViolation('subgraphs/kubecost/loaders.ts', 'subgraphs/expenses/data/queries')).toMatch(/imports the service subgraphs\/expenses/);
    expect(layoutViolation('bench/kubecost.ts', 'test/helpers/synthetic-cluster')).toMatch(/benchmark imports test/);
    expect(layoutViolation('bench/kubecost.ts', 'cli/demo/synthetic-cluster')).toBeUndefined();
    expect(layoutViolation('cli/stack.ts', 'dev/scratch-databases')).toMatch(/production code imports dev/);
    expect(layoutViolation('cli/stack.ts', 'cli/local/local-prometheus')).toBeUndefined();
    expect(layoutViolation('gateway/server.ts', 'lib/log')).toBeUndefined();
  });

  it('no file imports across a boundary', () => {
    const files = ['lib', 'ingest', 'gateway', 'subgraphs', 'cli', 'bench', 'dev'].flatMap(sources);
    expect(files.length).toBeGreaterThan(100);
    const violations = files.flatMap((file) =>
      importsOf(file).flatMap((target) => {
        const reason = layoutViolation(file, target);
        return reason ? [`${file} → ${target}: ${reason}`] : [];
      }),
    );
    expect(violations).toEqual([]);
  });
});
