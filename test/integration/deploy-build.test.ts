import { execFile, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { startLocalPrometheus, type LocalPrometheus } from '../../cli/local/local-prometheus';
import { createApiToken } from '../../lib/accounts/api-tokens';
import { createKubernetesCluster } from '../../lib/accounts/kubernetes-clusters';
import { createOrganization } from '../../lib/accounts/repository';
import { freePort } from '../../lib/db/open';
import { PostgresDatabase } from '../../lib/db/postgres';
import { HEADLINE_QUERY_FILE } from '../../gateway/server';
import { POSTGRES_ADMIN_URL } from '../helpers/databases';
import { ROOT } from '../helpers/manifests';
import { callGateway } from '../helpers/stack';

/*
 * The production build as the Dockerfile makes it, without Docker: the build stage's files are
 * copied (the Dockerfile's own COPY list) and built with `npm run build`; the runtime gets
 * package.json, the lock file and dist/ only, installed with `npm ci --omit=dev`. Then every
 * service runs from there with plain `node` against PostgreSQL and Prometheus, after
 * `migrate`, and the headline query goes through the gateway.
 */

const run = promisify(execFile);
const HEADLINE = fs.readFileSync(HEADLINE_QUERY_FILE, 'utf8');

/** What the Dockerfile's build stage copies into its work directory. */
function buildStageSources(): string[] {
  const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const build = dockerfile.split(/^FROM /m)[1];
  return [...build.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1].split(/\s+/));
}

interface Service {
  name: string;
  child: ChildProcess;
  origin: string;
  /** /metrics, /readyz, /healthz. */
  internalOrigin: string;
  log: string;
}

describe('production build: npm run build, npm ci --omit=dev, node dist/', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-build-'));
  const buildDir = path.join(work, 'build');
  const appDir = path.join(work, 'app');
  const dbName = `costgraph_build_${crypto.randomBytes(5).toString('hex')}`;
  const databaseUrl = POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`);
  const secret = crypto.randomBytes(32).toString('hex');
  const services: Service[] = [];
  let store: LocalPrometheus | undefined;
  let db: PostgresDatabase | undefined;

  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };

  const node = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, ['dist/cli/main.js', ...args], { cwd: appDir, env: { ...baseEnv(), ...env } });

  /** Only what the image has: no NODE_OPTIONS of jest, no path to the checkout's node_modules. */
  function baseEnv(): Record<string, string> {
    return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, NODE_OPTIONS: '', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, INTERNAL_AUTH_SECRET: secret };
  }

  /** `prefix` names its listeners' variables: `<prefix>_PORT`, `<prefix>_INTERNAL_PORT`, ... */
  async function serve(name: string, env: Record<string, string>, prefix: string): Promise<Service> {
    const [port, internalPort] = await Promise.all([freePort(), freePort()]);
    const log = path.join(work, `${name}.log`);
    const out = fs.openSync(log, 'a');
    const child = spawn(process.execPath, ['dist/cli/main.js', 'serve', name], {
      cwd: appDir,
      env: {
        ...baseEnv(),
        ...env,
        [`${prefix}_PORT`]: String(port),
        [`${prefix}_HOST`]: '127.0.0.1',
        [`${prefix}_INTERNAL_PORT`]: String(internalPort),
        [`${prefix}_INTERNAL_HOST`]: '127.0.0.1',
      },
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    const service = { name, child, origin: `http://127.0.0.1:${port}`, internalOrigin: `http://127.0.0.1:${internalPort}`, log };
    services.push(service);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${fs.readFileSync(log, 'utf8').slice(-2000)}`);
      try {
        if ((await fetch(`${service.origin}/healthz`, { signal: AbortSignal.timeout(1000) })).ok) return service;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`${name} did not listen within 60 s: ${fs.readFileSync(log, 'utf8').slice(-2000)}`);
  }

  beforeAll(async () => {
    // Build stage: the Dockerfile's sources, the checkout's installed packages (its `npm ci`).
    fs.mkdirSync(buildDir);
    for (const source of buildStageSources()) fs.cpSync(path.join(ROOT, source), path.join(buildDir, source), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(buildDir, 'node_modules'));
    await run('npm', ['run', 'build'], { cwd: buildDir });
    // Runtime stage.
    fs.mkdirSync(appDir);
    for (const file of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(ROOT, file), path.join(appDir, file));
    fs.cpSync(path.join(buildDir, 'dist'), path.join(appDir, 'dist'), { recursive: true });
    await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: appDir, maxBuffer: 16 * 1024 * 1024 });

    await admin(`CREATE DATABASE ${dbName}`);
    store = await startLocalPrometheus({ dataDir: path.join(work, 'prometheus'), port: 0 });
  }, 300_000);

  afterAll(async () => {
    for (const service of services) {
      if (service.child.exitCode === null) {
        const exited = new Promise((resolve) => service.child.once('exit', resolve));
        service.child.kill('SIGTERM');
        await exited;
      }
    }
    await db?.close();
    await store?.stop();
    await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    fs.rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('the runtime has the production dependencies only, and its build carries the run-time assets', () => {
    const modules = path.join(appDir, 'node_modules');
    for (const dev of ['tsx', 'typescript', 'jest', '@swc/core', 'kubernetes-models', 'playwright-core']) expect([dev, fs.existsSync(path.join(modules, dev))]).toEqual([dev, false]);
    for (const runtime of ['@apollo/gateway', 'pg', 'snappy', 'graphiql']) expect([runtime, fs.existsSync(path.join(modules, runtime))]).toEqual([runtime, true]);
    const migrations = fs.readdirSync(path.join(ROOT, 'lib', 'db', 'migrations')).filter((f) => f.endsWith('.sql'));
    expect(fs.readdirSync(path.join(appDir, 'dist', 'lib', 'db', 'migrations')).sort()).toEqual(migrations.sort());
    for (const file of ['expenses.graphql', 'kubecost.graphql', 'supergraph.graphql', 'operations/Headline.graphql']) expect(fs.existsSync(path.join(appDir, 'dist', 'schema', file))).toBe(true);
    // No TypeScript, tests or benchmarks in what the image ships.
    const shipped = fs.readdirSync(path.join(appDir, 'dist'), { recursive: true, encoding: 'utf8' });
    expect(shipped.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    expect(shipped.filter((f) => /^(test|bench|clients)(\/|$)/.test(f))).toEqual([]);
  });

  it('--version answers from dist/', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect((await node(['--version'])).stdout.trim()).toBe(version);
  });

  it('migrate applies every migration once, then nothing', async () => {
    const first = JSON.parse((await node(['migrate', '--json'])).stdout) as { applied: number[]; version: number };
    const count = fs.readdirSync(path.join(ROOT, 'lib', 'db', 'migrations')).filter((f) => f.endsWith('.sql')).length;
    expect(first.applied).toHaveLength(count);
    const second = JSON.parse((await node(['migrate', '--json'])).stdout) as { applied: number[]; version: number };
    expect(second).toEqual({ applied: [], version: first.version });
  });

  it('every service starts from dist/ with node, is ready, and the gateway answers the headline query', async () => {
    const storeUrl = store!.url;
    const expenses = await serve('expenses', {}, 'EXPENSES');
    const kubecost = await serve('kubecost', { THANOS_QUERY_URL: storeUrl }, 'KUBECOST');
    const ingest = await serve('ingest', { THANOS_RECEIVE_URL: `${storeUrl}/api/v1/write` }, 'INGEST');
    const gateway = await serve('gateway', { EXPENSES_URL: `${expenses.origin}/graphql`, KUBECOST_URL: `${kubecost.origin}/graphql` }, 'GATEWAY');
    for (const service of [expenses, kubecost, ingest, gateway]) {
      const ready = await fetch(`${service.internalOrigin}/readyz`);
      expect([service.name, ready.status]).toEqual([service.name, 200]);
    }

    db = new PostgresDatabase({ connectionString: databaseUrl, maxConnections: 2 });
    const org = await createOrganization(db, 'Build check');
    const { token } = await createApiToken(db, org.id, 'build');
    await createKubernetesCluster(db, org.id, 'prod-eu-1', `${ingest.origin}/api/v1/write`);
    const range = { from: new Date(Date.now() - 7 * 86_400_000).toISOString(), to: new Date().toISOString() };
    const answer = await callGateway<{ organization: { id: string; kubernetesCosts: { clusters: unknown[] } } }>(`${gateway.origin}/graphql`, HEADLINE, { org: org.id, range }, token);
    expect(answer.errors).toBeUndefined();
    expect(answer.status).toBe(200);
    expect(answer.data?.organization.id).toBe(org.id);
    expect(answer.data?.organization.kubernetesCosts.clusters).toHaveLength(1);
  }, 180_000);
});
