import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const BIN = path.join(__dirname, '..', '..', 'bin', 'costgraph');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Started {
  child: ChildProcess;
  output: string;
  token: string;
  graphiql: string;
}

/** Runs `costgraph up` as an operator would and waits for its banner. */
function up(env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(BIN, ['up'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 60 s:\n${output}\n${errors.slice(-2000)}`)), 60_000);
    child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const token = /Authorization: Bearer (\S+)/.exec(output)?.[1];
      const graphiql = /graphiql\s+(\S+)/.exec(output)?.[1];
      if (token && graphiql && output.includes('Ctrl-C')) {
        clearTimeout(timer);
        resolve({ child, output, token, graphiql });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`up exited with ${code}:\n${output}\n${errors.slice(-2000)}`));
    });
  });
}

/** One signal, as Ctrl-C or a supervisor sends it; resolves with the exit code. */
function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', (code) => resolve(code));
    child.kill(signal);
  });
}

async function organizations(graphql: string, token: string) {
  const response = await fetch(graphql, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ organizations { id name } }' }),
  });
  return { status: response.status, body: (await response.json()) as { data?: { organizations: Array<{ id: string; name: string }> } } };
}

describe('costgraph up (the whole stack as a child process)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let running: ChildProcess | undefined;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-up-'));
    // All at once: a port released by one call could be handed out again by a later one.
    const [gateway, expenses, kubecost, ingest, prometheus, ...internal] = await Promise.all(Array.from({ length: 9 }, () => freePort()));
    env = {
      ...process.env,
      DATA_DIR: dir,
      GATEWAY_PORT: String(gateway),
      EXPENSES_PORT: String(expenses),
      KUBECOST_PORT: String(kubecost),
      INGEST_PORT: String(ingest),
      GATEWAY_INTERNAL_PORT: String(internal[0]),
      EXPENSES_INTERNAL_PORT: String(internal[1]),
      KUBECOST_INTERNAL_PORT: String(internal[2]),
      INGEST_INTERNAL_PORT: String(internal[3]),
      THANOS_QUERY_URL: `http://127.0.0.1:${prometheus}`,
      DATABASE_URL: '',
      LOG_LEVEL: 'warn',
      // As an operator runs it: under jest's NODE_ENV=test, Apollo leaves signals alone, and its
      // handlers (which once stopped their server alone and sent the signal again) went unseen.
      NODE_ENV: 'production',
    };
  });

  afterAll(async () => {
    if (running && running.exitCode === null) await stop(running);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts everything, prints GraphiQL, ingest and a working token, stops everything on one Ctrl-C or SIGTERM, and reuses its data', async () => {
    const first = await up(env);
    running = first.child;
    expect(first.output).toMatch(new RegExp(`ingest\\s+http://127\\.0\\.0\\.1:${env.INGEST_PORT}/api/v1/write`));
    expect(first.graphiql).toBe(`http://127.0.0.1:${env.GATEWAY_PORT}/graphql`);
    // The internal listeners are printed apart, and only they serve metrics.
    expect(first.output).toMatch(new RegExp(`internal \\(/metrics, /readyz\\):\\n  gateway\\s+http://127\\.0\\.0\\.1:${env.GATEWAY_INTERNAL_PORT}\\n`));
    expect((await fetch(`http://127.0.0.1:${env.INGEST_INTERNAL_PORT}/metrics`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${env.INGEST_PORT}/metrics`)).status).toBe(404);
    const before = await organizations(first.graphiql, first.token);
    expect(before.status).toBe(200);
    expect(before.body.data!.organizations).toHaveLength(1);
    const page = await fetch(first.graphiql, { headers: { Accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('graphiql-config');
    expect(await stop(first.child)).toBe(0);
    // Prometheus stopped with the stack: nothing answers on its port.
    await expect(fetch(`${env.THANOS_QUERY_URL}/-/ready`)).rejects.toThrow();

    const second = await up(env);
    running = second.child;
    const after = await organizations(second.graphiql, second.token);
    expect(after.body.data!.organizations).toEqual(before.body.data!.organizations);
    // Each start issues a new token and revokes the previous start's.
    expect(second.token).not.toBe(first.token);
    expect((await organizations(second.graphiql, first.token)).status).toBe(401);
    expect(await stop(second.child, 'SIGTERM')).toBe(0);
    await expect(fetch(`${env.THANOS_QUERY_URL}/-/ready`)).rejects.toThrow();
  }, 180_000);
});
