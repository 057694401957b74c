import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../../../lib/db/open';
import { CONTEXT_HEADER, signContext } from '../../../lib/internal-auth/signed-context';
import { createPostgresDatabase, POSTGRES_ADMIN_URL, type TestDatabase } from '../../helpers/databases';
import { basicAuth, post, REMOTE_WRITE_HEADERS } from '../../helpers/remote-write';
import { clusterSeries, encodeSeries, GIB, HOUR_MS } from '../../helpers/synthetic-cluster';

const ROOT = path.join(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'costgraph');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

interface Proc {
  name: string;
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
}

function run(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(command, args, { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc: Proc = { name, child, stdout: '', stderr: '', exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout!.on('data', (chunk: Buffer) => (proc.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (proc.stderr += chunk.toString()));
  return proc;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, proc?: Proc): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${proc ? `:\n${proc.stdout}\n${proc.stderr.slice(-3000)}` : ''}`);
    if (proc && proc.child.exitCode !== null) throw new Error(`${proc.name} exited with ${proc.child.exitCode}:\n${proc.stdout}\n${proc.stderr.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs a CLI command to completion; its stdout (--json) is where a secret is meant to appear. */
async function cli(env: NodeJS.ProcessEnv, args: string[], procs: Proc[]): Promise<Record<string, string>> {
  const proc = run(`costgraph ${args.slice(0, 2).join(' ')}`, BIN, args, env);
  procs.push(proc);
  const code = await proc.exit;
  if (code !== 0) throw new Error(`costgraph ${args.join(' ')} exited ${code}: ${proc.stderr}`);
  return JSON.parse(proc.stdout) as Record<string, string>;
}

async function stop(proc: Proc): Promise<number | null> {
  if (proc.child.exitCode !== null) return proc.child.exitCode;
  proc.child.kill('SIGINT');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 15_000);
  const code = await proc.exit;
  clearTimeout(timer);
  return code;
}

/** The forms a secret could leak in: itself, base64 and base64url, and long slices of it. */
function forms(secret: string): string[] {
  const out = new Set([secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64url'), encodeURIComponent(secret)]);
  // A truncated or partly masked secret still leaks: any 16 characters of its random part.
  const random = secret.replace(/^cg_[a-z]*_?/, '');
  for (let i = 0; i + 16 <= random.length; i += 4) out.add(random.slice(i, i + 16));
  return [...out];
}

describe('secrets never leak (costgraph up, CLI and a misconfigured gateway as child processes)', () => {
  let t: TestDatabase;
  let dir: string;
  const procs: Proc[] = [];

  beforeAll(async () => {
    t = await createPostgresDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-secrets-'));
  });

  afterAll(async () => {
    for (const proc of procs) await stop(proc);
    await t?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps tokens, cluster passwords, the signing secret and the database password out of logs, errors and metrics', async () => {
    const [gatewayPort, expensesPort, kubecostPort, ingestPort, prometheusPort, rogueGatewayPort, gatewayInternal, expensesInternal, kubecostInternal, ingestInternal, rogueGatewayInternal] =
      await Promise.all(Array.from({ length: 11 }, () => freePort()));
    const internalSecret = crypto.randomBytes(32).toString('hex');
    const wrongSecret = crypto.randomBytes(32).toString('hex');
    // Trust authentication ignores it, but it is in DATABASE_URL, so it must not be logged either.
    const dbPassword = `pw${crypto.randomBytes(12).toString('hex')}`;
    const databaseUrl = t.url!.replace('postgres://postgres@', `postgres://postgres:${dbPassword}@`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: dir,
      DATABASE_URL: databaseUrl,
      INTERNAL_AUTH_SECRET: internalSecret,
      GATEWAY_PORT: String(gatewayPort),
      EXPENSES_PORT: String(expensesPort),
      KUBECOST_PORT: String(kubecostPort),
      INGEST_PORT: String(ingestPort),
      GATEWAY_INTERNAL_PORT: String(gatewayInternal),
      EXPENSES_INTERNAL_PORT: String(expensesInternal),
      KUBECOST_INTERNAL_PORT: String(kubecostInternal),
      INGEST_INTERNAL_PORT: String(ingestInternal),
      THANOS_QUERY_URL: `http://127.0.0.1:${prometheusPort}`,
      INGEST_CREDENTIAL_TTL: '1s',
      TOKEN_CACHE_TTL: '1s',
      // Everything a service would ever log.
      LOG_LEVEL: 'trace',
    };
    const gateway = `http://127.0.0.1:${gatewayPort}/graphql`;
    const ingest = `http://127.0.0.1:${ingestPort}/api/v1/write`;
    const subgraphs = [`http://127.0.0.1:${expensesPort}/graphql`, `http://127.0.0.1:${kubecostPort}/graphql`];

    const up = run('costgraph up', BIN, ['up'], env);
    procs.push(up);
    await until('the up banner', () => up.stdout.includes('Ctrl-C'), 90_000, up);
    const bannerToken = /Authorization: Bearer (\S+)/.exec(up.stdout)![1];
    const bannerLength = up.stdout.length;

    // What a client receives when it is refused or fails: searched like the logs.
    const answers: string[] = [];
    const graphql = async (url: string, query: string, variables: Record<string, unknown>, headers: Record<string, string>) => {
      const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
      const text = await response.text();
      answers.push(`${response.status} ${JSON.stringify([...response.headers])} ${text}`);
      return { status: response.status, body: JSON.parse(text) as { data?: Record<string, any>; errors?: Array<{ extensions?: { code?: string } }> } };
    };
    const write = async (body: Buffer, headers: Record<string, string>) => {
      const result = await post(ingest, body, { ...REMOTE_WRITE_HEADERS, ...headers });
      answers.push(`${result.status} ${JSON.stringify(result.headers)} ${result.body}`);
      return result.status;
    };

    // Onboarding through the CLI while the stack runs.
    const organization = await cli(env, ['org', 'create', '--name', 'Leaky', '--json'], procs);
    const issued = await cli(env, ['token', 'create', '--org', organization.id, '--json'], procs);
    const revoked = await cli(env, ['token', 'create', '--org', organization.id, '--name', 'old', '--json'], procs);
    const viaCli = await cli(env, ['cluster', 'create', '--org', organization.id, '--name', 'cli-cluster', '--json'], procs);
    const bearer = { Authorization: `Bearer ${issued.token}` };

    // Onboarding through the API: the password is in the mutation's answer, where it belongs.
    const created = await graphql(gateway, `mutation($org: ID!) { createKubernetesCluster(organizationId: $org, name: "api-cluster") { username password cloudAccount { id } } }`, { org: organization.id }, bearer);
    expect(created.body.errors).toBeUndefined();
    const apiCluster = created.body.data!.createKubernetesCluster as { username: string; password: string; cloudAccount: { id: string } };
    answers.pop();
    const rotated = await graphql(gateway, `mutation($id: ID!) { rotateClusterCredential(cloudAccountId: $id) { password } }`, { id: apiCluster.cloudAccount.id }, bearer);
    const newPassword = (rotated.body.data!.rotateClusterCredential as { password: string }).password;
    answers.pop();

    // Remote write: right and wrong credentials, in every form the worker accepts.
    const now = Date.now();
    const series = (tenantId: string) =>
      encodeSeries(
        clusterSeries({
          tenantId,
          startMs: now - HOUR_MS,
          endMs: now,
          intervalSeconds: 60,
          nodes: [{ name: 'n', cpuPrice: 0.03, ramPrice: 0.004, cores: 2, memoryBytes: 8 * GIB }],
          volumes: [],
          loadBalancers: [],
          managementFee: 0.1,
          containers: [],
        }),
      );
    expect(await write(series(viaCli.cloudAccountId), { Authorization: basicAuth(viaCli.username, viaCli.password) })).toBe(204);
    expect(await write(series(apiCluster.cloudAccount.id), { Authorization: `Bearer ${newPassword}`, 'Cloud-Account-Id': apiCluster.cloudAccount.id })).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the credential cache
    const refused: Array<Record<string, string>> = [
      { Authorization: basicAuth(apiCluster.username, apiCluster.password) }, // rotated away
      { Authorization: basicAuth(viaCli.username, `${viaCli.password}x`) },
      { Authorization: basicAuth(viaCli.username, newPassword) }, // another cluster's password
      { Authorization: basicAuth(apiCluster.username, viaCli.password) },
      { Authorization: `Bearer ${viaCli.password}` }, // no account id
      { Authorization: `Bearer ${viaCli.password}`, 'Cloud-Account-Id': apiCluster.cloudAccount.id },
      { Authorization: `Bearer ${issued.token}`, 'Cloud-Account-Id': viaCli.cloudAccountId }, // an API token is no cluster credential
      { Authorization: `Basic ${Buffer.from(viaCli.password).toString('base64')}` },
      { Authorization: `Basic ${viaCli.password}` },
      { Authorization: `Basic ${Buffer.from(`${internalSecret}:${viaCli.password}`).toString('base64')}` },
    ];
    for (const headers of refused) expect(await write(series(viaCli.cloudAccountId), headers)).toBe(401);

    // Gateway: bad, revoked, misplaced tokens; then queries that work.
    await cli(env, ['token', 'revoke', revoked.id, '--json'], procs);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const q = '{ organizations { id name } }';
    const badTokens: Array<Record<string, string>> = [
      { Authorization: `Bearer ${revoked.token}` },
      { Authorization: `Bearer ${issued.token}x` },
      { Authorization: `Bearer ${issued.token.slice(0, -2)}` },
      { Authorization: `Basic ${Buffer.from(`x:${issued.token}`).toString('base64')}` },
      { Authorization: issued.token },
      { Authorization: `Bearer ${viaCli.password}` },
      { Authorization: `Bearer ${internalSecret}` },
      { 'X-Api-Key': issued.token },
      { [CONTEXT_HEADER]: signContext({ subject: 'x', organizationIds: [organization.id], role: 'admin' }, internalSecret, 60_000) }, // the internal header is no API credential
    ];
    for (const headers of badTokens) {
      expect((await graphql(gateway, q, {}, headers)).status).toBe(401);
    }
    const range = { from: new Date(now - 2 * 86_400_000).toISOString(), to: new Date(now + HOUR_MS).toISOString() };
    const headline = `query($org: ID!, $range: DateRangeInput!) { organization(id: $org) { id costSummary(range: $range) { totalCost } kubernetesCosts(range: $range) { totalCost } } }`;
    const ok = await graphql(gateway, headline, { org: organization.id, range }, bearer);
    expect(ok.body.errors).toBeUndefined();
    // Secrets inside arguments: a client pasting a password somewhere it does not belong.
    await graphql(gateway, `query($id: ID!) { cloudAccount(id: $id) { id } }`, { id: viaCli.password }, bearer);
    // NOT_FOUND quotes the id it was given (cut to 100 characters): the caller's own input, to the caller only.
    await graphql(gateway, `mutation($id: ID!) { rotateClusterCredential(cloudAccountId: $id) { password } }`, { id: issued.token }, bearer);
    expect(answers.pop()).toMatch(/NOT_FOUND/);
    await graphql(gateway, `{ organization(id: "${internalSecret}") { id } }`, {}, bearer);
    await graphql(gateway, `{ organizations { id ${'x'.repeat(3)} } }`, {}, bearer);

    // Subgraphs: unsigned, forged, expired and replayed requests are refused with 401.
    for (const url of subgraphs) {
      for (const header of [
        undefined,
        signContext({ subject: 'x', organizationIds: [organization.id], role: 'admin' }, wrongSecret, 60_000),
        signContext({ subject: 'x', organizationIds: [organization.id], role: 'admin' }, internalSecret, -1000),
        `${issued.token}.${internalSecret}`,
      ]) {
        expect((await graphql(url, '{ _service { sdl } }', {}, header ? { [CONTEXT_HEADER]: header } : {})).status).toBe(401);
      }
    }

    // A gateway configured with the wrong signing secret: every subgraph answers it 401.
    const rogue = run('gateway (wrong secret)', TSX, ['gateway/main.ts'], {
      ...env,
      INTERNAL_AUTH_SECRET: wrongSecret,
      GATEWAY_PORT: String(rogueGatewayPort),
      GATEWAY_INTERNAL_PORT: String(rogueGatewayInternal),
      EXPENSES_URL: subgraphs[0],
      KUBECOST_URL: subgraphs[1],
    });
    procs.push(rogue);
    const rogueUrl = `http://127.0.0.1:${rogueGatewayPort}/graphql`;
    await until('the second gateway', () => fetch(rogueUrl.replace(/graphql$/, 'healthz')).then((r) => r.ok, () => false), 60_000, rogue);
    const failed = await graphql(rogueUrl, headline, { org: organization.id, range }, bearer);
    expect(failed.body.errors?.map((e) => e.extensions?.code)).toContain('DOWNSTREAM_SERVICE_ERROR');

    // The database drops every connection of the stack: token lookups and queries fail and log.
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [new URL(t.url!).pathname.slice(1)]);
    await admin.end();
    for (let i = 0; i < 3; i++) {
      await graphql(gateway, headline, { org: organization.id, range }, bearer);
      await write(series(viaCli.cloudAccountId), { Authorization: basicAuth(viaCli.username, viaCli.password) });
    }

    const metrics: string[] = [];
    for (const port of [gatewayInternal, ingestInternal, expensesInternal, kubecostInternal, rogueGatewayInternal]) {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(200);
      metrics.push(await response.text());
    }
    // Each refused token above is one auth failure; the gateway's other requests carried a good one.
    expect(metrics[0].split('\n')).toContain(`costgraph_gateway_auth_failures_total ${badTokens.length}`);

    expect(await stop(rogue)).toBe(0);
    expect(await stop(up)).toBe(0);

    const secrets: Record<string, string> = {
      'banner token': bannerToken,
      'API token': issued.token,
      'revoked API token': revoked.token,
      'CLI cluster password': viaCli.password,
      'API cluster password (rotated away)': apiCluster.password,
      'API cluster password (current)': newPassword,
      INTERNAL_AUTH_SECRET: internalSecret,
      'wrong INTERNAL_AUTH_SECRET': wrongSecret,
      'database password': dbPassword,
    };
    const basicForms = [
      basicAuth(viaCli.username, viaCli.password).slice(6),
      basicAuth(apiCluster.username, apiCluster.password).slice(6),
      basicAuth(apiCluster.username, newPassword).slice(6),
    ];
    // Where secrets are meant to appear: the up banner and the CLI's --json answers on stdout.
    const searched: Record<string, string> = {
      'up stdout after the banner': up.stdout.slice(bannerLength),
      'client answers (errors, refusals)': answers.join('\n'),
      'metrics of every service': metrics.join('\n'),
    };
    for (const proc of procs) searched[`${proc.name} stderr`] = proc.stderr;
    searched['costgraph org create stdout'] = procs.find((p) => p.name === 'costgraph org create')!.stdout;

    const hits: string[] = [];
    for (const [where, text] of Object.entries(searched)) {
      for (const [what, secret] of Object.entries(secrets)) for (const form of forms(secret)) if (text.includes(form)) hits.push(`${what} in ${where}`);
      for (const form of basicForms) if (text.includes(form)) hits.push(`Basic credential in ${where}`);
    }
    expect(hits).toEqual([]);
    // The search had something to search: the full run logged, and failures were logged.
    const logged = procs.reduce((sum, p) => sum + p.stderr.length, 0);
    expect(logged).toBeGreaterThan(1000);
    // Capture works for every service process (each logs its start).
    for (const service of ['ingest listening', 'expenses subgraph listening', 'kubecost subgraph listening', 'gateway listening']) expect(up.stderr).toContain(service);
    expect(rogue.stderr).toContain('gateway listening');
    process.stderr.write(
      `secrets: ${Object.keys(secrets).length} secrets (${Object.values(secrets).reduce((n, s) => n + forms(s).length, 0) + basicForms.length} forms) searched in ${(logged / 1024).toFixed(0)} KiB of logs, ` +
        `${answers.length} client answers, ${(metrics.join('').length / 1024).toFixed(0)} KiB of metrics: ${hits.length} hits\n`,
    );
  }, 240_000);
});
