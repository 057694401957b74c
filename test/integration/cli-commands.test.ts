import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findOrganization } from '../../lib/accounts/repository';
import { freePort, openDatabase, type OpenedDatabase } from '../../lib/db/open';
import { expectOneLineFailure, runCostgraph } from '../helpers/cli';
import { startTestStack, type TestStack } from '../helpers/stack';

/* `costgraph compose` and `costgraph demo` run as an operator runs them: bin/costgraph as a child process. */

const ROOT = path.join(__dirname, '..', '..');
const ARTIFACTS = ['schema/supergraph.graphql', 'schema/api.graphql'];
const digest = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/**
 * A copy of the checkout's tracked sources (node_modules linked), for runs that change the
 * schema: compose always writes into the schema/ beside its own code.
 */
function copyCheckout(): string {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-checkout-'));
  const files = execFileSync('git', ['ls-files', 'bin', 'cli', 'lib', 'gateway', 'subgraphs', 'ingest', 'dev', 'schema', 'package.json', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(copy, file));
  }
  fs.chmodSync(path.join(copy, 'bin', 'costgraph'), 0o755);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  return copy;
}

describe('costgraph compose', () => {
  let copy: string;
  beforeAll(() => {
    copy = copyCheckout();
  });
  afterAll(() => fs.rmSync(copy, { recursive: true, force: true }));

  it('leaves the committed artifacts byte-identical when no subgraph changed', async () => {
    const before = ARTIFACTS.map((file) => digest(path.join(ROOT, file)));
    const run = await runCostgraph(['compose'], {});
    expect(run).toEqual({ status: 0, stdout: 'schema artifacts are up to date\n', stderr: '' });
    expect(ARTIFACTS.map((file) => digest(path.join(ROOT, file)))).toEqual(before);
  }, 120_000);

  it('regenerates exactly the committed artifacts when they are missing', async () => {
    for (const file of ARTIFACTS) fs.rmSync(path.join(copy, file));
    const run = await runCostgraph(['compose'], {}, path.join(copy, 'bin', 'costgraph'));
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`wrote ${ARTIFACTS.map((file) => path.join(copy, file)).join(', ')}\n`);
    for (const file of ARTIFACTS) expect(digest(path.join(copy, file))).toBe(digest(path.join(ROOT, file)));
  }, 120_000);

  it('exits non-zero with a one-line reason on a broken subgraph SDL, writing nothing', async () => {
    const sdl = path.join(copy, 'schema', 'kubecost.graphql');
    const original = fs.readFileSync(sdl, 'utf8');
    const before = ARTIFACTS.map((file) => digest(path.join(copy, file)));
    try {
      // Not GraphQL at all, then valid GraphQL that cannot compose (a field whose type exists nowhere).
      for (const [broken, reason] of [
        [`${original}\ntype {`, /Syntax Error/],
        [`${original}\ntype Dangling { cost: NoSuchType }\n`, /composition failed|NoSuchType/],
      ] as const) {
        fs.writeFileSync(sdl, broken);
        expectOneLineFailure(await runCostgraph(['compose'], {}, path.join(copy, 'bin', 'costgraph')), reason);
        expect(ARTIFACTS.map((file) => digest(path.join(copy, file)))).toEqual(before);
      }
    } finally {
      fs.writeFileSync(sdl, original);
    }
  }, 180_000);
});

describe('costgraph demo', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-demo-cli-'));
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('exits non-zero with a one-line reason when no ingest worker answers', async () => {
    const ingestUrl = `http://127.0.0.1:${await freePort()}`;
    const run = await runCostgraph(['demo', '--ingest-url', ingestUrl, '--json'], { DATA_DIR: dataDir });
    expectOneLineFailure(run, new RegExp(`no ready ingest worker at ${ingestUrl.replace(/\./g, '\\.')}`));
    // Refused before touching the database.
    expect(fs.existsSync(path.join(dataDir, 'pglite'))).toBe(false);
  }, 120_000);

  describe('against a running stack', () => {
    let opened: OpenedDatabase;
    let stack: TestStack;
    const stackDir = () => path.join(dataDir, 'stack');

    beforeAll(async () => {
      // This process owns and serves the embedded database, as `costgraph up` does; the CLI connects to it.
      opened = await openDatabase({ dataDir: stackDir() }, { serve: true });
      stack = await startTestStack(opened.db);
    }, 180_000);
    afterAll(async () => {
      await stack?.stop();
      await opened?.db.close();
    });

    it('exits 0 and prints its result as JSON with --json', async () => {
      const run = await runCostgraph(['demo', '--ingest-url', stack.ingest.url, '--json'], {
        DATA_DIR: stackDir(),
        PUBLIC_INGEST_URL: `${stack.ingest.url}/api/v1/write`,
      });
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      const result = JSON.parse(run.stdout) as {
        organizationId: string;
        clusters: Array<{ id: string; name: string; samples: number }>;
        expenses: { inserted: number; duplicates: number };
        range: { from: string; to: string };
      };
      expect(result.clusters.map((c) => c.name)).toEqual(['prod-eu-west-1', 'staging-us-east-1', 'dev-sandbox']);
      for (const cluster of result.clusters) expect(cluster.samples).toBeGreaterThan(0);
      expect(result.expenses.inserted).toBe(1000);
      expect(Date.parse(result.range.to)).toBeGreaterThan(Date.parse(result.range.from));
      // Written into the database the stack serves.
      expect(await findOrganization(opened.db, result.organizationId)).toBeDefined();
    }, 600_000);
  });
});
