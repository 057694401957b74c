import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPostgresDatabase, databaseBackends, type TestDatabase } from '../helpers/databases';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'costgraph');
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** `bin/costgraph` in `cwd` with exactly the costgraph variables given (none inherited). */
function costgraph(cwd: string, args: string[], vars: Record<string, string> = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...vars };
  for (const name of ['DATA_DIR', 'DATABASE_URL', 'NODE_OPTIONS']) if (!(name in vars)) delete env[name];
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

function expectOneLineFailure(run: Run, reason: RegExp): void {
  expect(run.status).not.toBe(0);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/^costgraph: [^\n]+\n$/);
  expect(run.stderr).toMatch(reason);
}

describe('costgraph --version', () => {
  it.each(['--version', '-V'])('%s prints the package version and exits 0', async (flag) => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-version-'));
    try {
      expect(await costgraph(outside, [flag])).toEqual({ status: 0, stdout: `${VERSION}\n`, stderr: '' });
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('costgraph outside its checkout', () => {
  let outside: string;
  let dataDir: string;

  beforeEach(() => {
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-outside-'));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-datadir-'));
  });
  afterEach(() => {
    fs.rmSync(outside, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses data commands without DATA_DIR, naming it, and creates nothing in the current directory', async () => {
    const focus = path.join(ROOT, 'test', 'fixtures', 'focus', 'focus-1.0-sample.csv');
    // Each refusal comes before any database is opened, so they may run at once.
    const runs = await Promise.all([
      costgraph(outside, ['org', 'create', '--name', 'nowhere']),
      costgraph(outside, ['cluster', 'create', '--org', UNKNOWN_ID, '--name', 'c1', '--json']),
      costgraph(outside, ['cluster', 'delete', UNKNOWN_ID]),
      costgraph(outside, ['token', 'create', '--org', UNKNOWN_ID]),
      costgraph(outside, ['import', 'focus', focus, '--org', UNKNOWN_ID]),
      costgraph(outside, ['demo', '--ingest-url', 'http://127.0.0.1:9']),
      // An empty value is no directory either.
      costgraph(outside, ['org', 'create', '--name', 'nowhere'], { DATA_DIR: ' ' }),
    ]);
    for (const run of runs) expectOneLineFailure(run, /DATA_DIR/);
    expect(fs.readdirSync(outside)).toEqual([]);
  }, 120_000);

  it('still answers --help and works with DATA_DIR set', async () => {
    const help = await costgraph(outside, ['--help']);
    expect(help).toMatchObject({ status: 0, stderr: '' });
    expect(help.stdout).toContain('Usage: costgraph');

    const org = await costgraph(outside, ['org', 'create', '--name', 'somewhere', '--json'], { DATA_DIR: dataDir });
    expect(org).toMatchObject({ status: 0, stderr: '' });
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fs.readdirSync(dataDir)).toContain('pglite');
  }, 120_000);

  const postgresOnly = databaseBackends().some((backend) => backend.name === 'postgres') ? it : it.skip;
  postgresOnly('needs no DATA_DIR when DATABASE_URL names the database', async () => {
    let postgres: TestDatabase | undefined;
    try {
      postgres = await createPostgresDatabase();
      const org = await costgraph(outside, ['org', 'create', '--name', 'remote', '--json'], { DATABASE_URL: postgres.url! });
      expect(org).toMatchObject({ status: 0, stderr: '' });
      expect(fs.readdirSync(outside)).toEqual([]);
    } finally {
      await postgres?.drop();
    }
  }, 120_000);

  it('explains an unreachable database in one line', async () => {
    const run = await costgraph(outside, ['org', 'create', '--name', 'x'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:9/none' });
    expectOneLineFailure(run, /ECONNREFUSED/);
  }, 60_000);
});
