import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createApiToken } from '../../lib/accounts/api-tokens';
import { createCloudAccount, createOrganization } from '../../lib/accounts/repository';
import { silentLogger } from '../../lib/log';
import type { RunningService } from '../../lib/http/listen';
import { loadGatewayConfig } from '../../gateway/config';
import { startGateway } from '../../gateway/start';
import { loadExpensesConfig } from '../../subgraphs/expenses/config';
import { startExpensesSubgraph } from '../../subgraphs/expenses/start';
import { createPgliteDatabase, type TestDatabase } from '../helpers/databases';
import { callGateway } from '../helpers/stack';

/*
 * The gateway in front of the real expenses subgraph and a stand-in kubecost subgraph that
 * misbehaves on demand over real HTTP: whatever it answers, the client gets the expenses
 * part plus a typed DOWNSTREAM_SERVICE_ERROR naming kubecost, and nothing from its insides.
 */

type Mode = 'answer' | 'unknown-code' | 'html-500' | 'hang';

/** Internal details a misbehaving subgraph lets slip; none may reach a client. */
const LEAKS = ['10.0.0.5', '/srv/kubecost', 'ECONNREFUSED', 'stacktrace', 'Pool.query', 'nginx'];

interface FakeSubgraph {
  url: string;
  mode: Mode;
  /** GraphQL requests received (the hung ones included). */
  requests: number;
  close(): Promise<void>;
}

async function startFakeKubecost(): Promise<FakeSubgraph> {
  const sockets = new Set<net.Socket>();
  const fake: FakeSubgraph = { url: '', mode: 'answer', requests: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    if (req.url === '/healthz') return void res.end('ok');
    fake.requests++;
    req.resume();
    req.on('end', () => {
      switch (fake.mode) {
        case 'answer':
          res.setHeader('content-type', 'application/json');
          return void res.end(JSON.stringify({ data: { _entities: [{ __typename: 'Organization', kubernetesCosts: { totalCost: 12.5 } }] } }));
        case 'unknown-code':
          res.setHeader('content-type', 'application/json');
          return void res.end(
            JSON.stringify({
              data: { _entities: [null] },
              errors: [{ message: 'connect ECONNREFUSED 10.0.0.5:5432', path: ['_entities', 0, 'kubernetesCosts'], extensions: { code: 'DATABASE_EXPLODED', stacktrace: ['at Pool.query (/srv/kubecost/db.js:12)'] } }],
            }),
          );
        case 'html-500':
          res.statusCode = 500;
          res.setHeader('content-type', 'text/html');
          return void res.end('<html><body>500 Internal Server Error at /srv/kubecost/index.js (nginx)</body></html>');
        case 'hang':
          // Accepted and read, never answered: only the gateway's timeout ends it.
          return;
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/graphql`;
  fake.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return fake;
}

const QUERY = `query($org: ID!, $range: DateRangeInput!) {
  organization(id: $org) { id name kubernetesClusterIds kubernetesCosts(range: $range) { totalCost } }
}`;
const RANGE = { from: '2024-09-01T00:00:00Z', to: '2024-09-02T00:00:00Z' };

interface Result {
  organization: { id: string; name: string; kubernetesClusterIds: string[]; kubernetesCosts: { totalCost: number } | null };
}

describe('the gateway facing a failing or hung subgraph', () => {
  let t: TestDatabase;
  let dir: string;
  let expenses: RunningService;
  let kubecost: FakeSubgraph;
  let gateway: RunningService;
  let org: string;
  let token: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-gateway-faults-'));
    t = await createPgliteDatabase();
    org = (await createOrganization(t.db, 'Faults')).id;
    await createCloudAccount(t.db, { organizationId: org, name: 'c', type: 'kubernetes' });
    token = (await createApiToken(t.db, org)).token;
    const env = { DATA_DIR: dir, INTERNAL_AUTH_SECRET: crypto.randomBytes(32).toString('hex') };
    expenses = await startExpensesSubgraph({ config: loadExpensesConfig({ ...env, EXPENSES_PORT: '0', EXPENSES_INTERNAL_PORT: '0' }), db: t.db, logger: silentLogger });
    kubecost = await startFakeKubecost();
    // Short, so the hung subgraph costs the test a second, not the default 20.
    const config = loadGatewayConfig({ ...env, GATEWAY_PORT: '0', GATEWAY_INTERNAL_PORT: '0', EXPENSES_URL: expenses.url, KUBECOST_URL: kubecost.url, SUBGRAPH_TIMEOUT: '1s' });
    gateway = await startGateway({ config, db: t.db, logger: silentLogger });
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    await kubecost?.close();
    await expenses?.close();
    await t?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function ask(mode: Mode) {
    kubecost.mode = mode;
    const before = kubecost.requests;
    const res = await callGateway<Result>(gateway.url, QUERY, { org, range: RANGE }, token);
    // The kubecost subgraph was asked, exactly once: the failure is its answer, not a refusal.
    expect(kubecost.requests - before).toBe(1);
    return res;
  }

  /** `path`: a field error keeps its field's path; a failed fetch has none (it fails every field it carried). */
  function expectMaskedKubecostFailure(res: Awaited<ReturnType<typeof ask>>, message: RegExp, path?: string[]) {
    expect(res.status).toBe(200);
    // The expenses subgraph's part arrives whole.
    expect(res.data?.organization).toMatchObject({ id: org, name: 'Faults' });
    expect(res.data!.organization.kubernetesClusterIds).toHaveLength(1);
    expect(res.data!.organization.kubernetesCosts).toBeNull();
    expect(res.errors).toHaveLength(1);
    const [error] = res.errors!;
    expect(error.extensions).toEqual({ code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'kubecost' });
    expect(error.path).toEqual(path);
    expect(error.message).toMatch(message);
    const body = JSON.stringify(res);
    for (const leak of LEAKS) expect(body).not.toContain(leak);
  }

  it('passes a well-behaved answer through (the stand-in is good enough to be planned against)', async () => {
    const res = await ask('answer');
    expect(res.errors).toBeUndefined();
    expect(res.data!.organization.kubernetesCosts).toEqual({ totalCost: 12.5 });
  });

  it('masks a GraphQL error with a code the client cannot act on', async () => {
    expectMaskedKubecostFailure(await ask('unknown-code'), /^kubecost failed$/, ['organization', 'kubernetesCosts']);
  });

  it('masks a 500 with a body that is not GraphQL', async () => {
    expectMaskedKubecostFailure(await ask('html-500'), /^kubecost answered HTTP 500$/);
  });

  it('answers within its subgraph timeout when a subgraph accepts the request and never answers, then keeps serving', async () => {
    expectMaskedKubecostFailure(await ask('hang'), /^kubecost unreachable \(UND_ERR_HEADERS_TIMEOUT\)$/);
    // Another hung request while the first socket is still held open by the stand-in.
    expectMaskedKubecostFailure(await ask('hang'), /^kubecost unreachable/);
    // Expenses-only queries never touch the hung subgraph's pool.
    const only = await callGateway<{ organization: { name: string } }>(gateway.url, 'query($org: ID!) { organization(id: $org) { name } }', { org }, token);
    expect(only.errors).toBeUndefined();
    expect(only.data!.organization.name).toBe('Faults');
    // Once the subgraph answers again, so does the gateway: nothing needed restarting.
    const recovered = await ask('answer');
    expect(recovered.errors).toBeUndefined();
    expect(recovered.data!.organization.kubernetesCosts).toEqual({ totalCost: 12.5 });
  }, 30_000);
});
