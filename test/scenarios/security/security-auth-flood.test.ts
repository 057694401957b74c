import crypto from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadGatewayConfig } from '../../../gateway/config';
import { createGateway, type Gateway } from '../../../gateway/server';
import { createApiToken } from '../../../lib/accounts/api-tokens';
import { createKubernetesCluster, type ClusterConnection } from '../../../lib/accounts/kubernetes-clusters';
import { createOrganization } from '../../../lib/accounts/repository';
import { closeServer } from '../../../lib/http/listen';
import { silentLogger } from '../../../lib/log';
import { createPgliteDatabase, type TestDatabase } from '../../helpers/databases';
import { ingestCounter, startIngestStore, type IngestStore } from '../../helpers/ingest-store';
import { instantQuery } from '../../helpers/promql';
import { basicAuth, post, REMOTE_WRITE_HEADERS, writeBody, type PostResult } from '../../helpers/remote-write';
import { callGateway } from '../../helpers/stack';

const FLOOD = 300;
const CONCURRENCY = 2;
/** Deep enough that draining it takes seconds of scrypt: the valid writes must not wait for that. */
const QUEUE = 100;
const VALID_WRITES = 10;

const p99 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(values.length * 0.99) - 1)];
const randomAddress = () => `10.${crypto.randomInt(256)}.${crypto.randomInt(256)}.${crypto.randomInt(1, 255)}`;
/** Until `count` verifications wait in `queue` (a failure, not a hang, if the flood never fills it). */
async function queuedAtLeast(queue: { queued: number }, count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (queue.queued < count) {
    if (Date.now() > deadline) throw new Error(`the queue never held ${count} verifications (${queue.queued})`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('a flood of failed authentications does not slow senders already verified', () => {
  let test: TestDatabase;
  let stack: IngestStore;
  let cluster: ClusterConnection;
  let seq = 0;

  beforeAll(async () => {
    test = await createPgliteDatabase();
    const org = await createOrganization(test.db, 'flood');
    cluster = await createKubernetesCluster(test.db, org.id, 'steady', 'http://ingest/api/v1/write');
    stack = await startIngestStore(test.db, {
      prefix: 'auth-flood',
      env: {
        INGEST_AUTH_CONCURRENCY: String(CONCURRENCY),
        INGEST_AUTH_QUEUE: String(QUEUE),
        // The flood comes through the Ingress from many addresses, as a distributed one would.
        INGEST_TRUSTED_PROXY_HOPS: '1',
        INGEST_AUTH_FAILURE_BURST: '5',
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await test?.drop();
  });

  /** A real remote-write body with a fresh sample, so the store keeps every accepted write. */
  const body = () => writeBody([{ labels: { __name__: 'node_total_hourly_cost', node: 'n1', instance: 'flood' }, samples: [[Date.now() + seq++, seq]] }]);
  const write = (username: string, password: string, from: string) =>
    post(`${stack.ingest.url}/api/v1/write`, body(), { ...REMOTE_WRITE_HEADERS, Authorization: basicAuth(username, password), 'X-Forwarded-For': from });
  const validWrite = async (): Promise<number> => {
    const started = performance.now();
    const result = await write(cluster.username, cluster.password, '192.0.2.10');
    expect(result.status).toBe(204);
    return performance.now() - started;
  };

  it('answers the verified cluster at once while hundreds of random credentials queue, and turns the overflow away with 429', async () => {
    const queue = stack.ingest.auth.queue;
    // The cluster's credential is verified once, then cached.
    await validWrite();
    const baseline: number[] = [];
    for (let i = 0; i < VALID_WRITES; i++) baseline.push(await validWrite());
    const startedBefore = queue.started;

    const floodStart = performance.now();
    const flood: Array<Promise<PostResult>> = Array.from({ length: FLOOD }, () => write(crypto.randomUUID(), crypto.randomBytes(24).toString('base64url'), randomAddress()));
    const floodDone = Promise.all(flood).then((results) => ({ results, ms: performance.now() - floodStart }));
    // Start writing once the queue is well filled.
    await queuedAtLeast(queue, QUEUE / 2);

    const during: number[] = [];
    const queuedAtCompletion: number[] = [];
    for (let i = 0; i < VALID_WRITES; i++) {
      during.push(await validWrite());
      queuedAtCompletion.push(queue.queued);
    }
    const { results, ms: floodMs } = await floodDone;

    // Every valid write finished while guesses were still waiting: none waited for the queue to drain.
    expect(queuedAtCompletion.every((queued) => queued > 0)).toBe(true);
    // Both measured here, on this machine, whatever its load: the flood took many times a normal
    // write to answer (seconds of scrypt), and the valid writes' p99 stayed a small part of that.
    expect(floodMs).toBeGreaterThan(10 * p99(baseline));
    expect(p99(during)).toBeLessThan(floodMs / 4);

    // The guesses never had more than the bound of scrypt runs going, and each cost at most one.
    expect(queue.peakRunning).toBeLessThanOrEqual(CONCURRENCY);
    const tooMany = results.filter((r) => r.status === 429);
    const refused = results.filter((r) => r.status === 401);
    expect(tooMany.length + refused.length).toBe(FLOOD);
    expect(tooMany.length).toBeGreaterThan(0);
    for (const r of tooMany) expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(queue.started - startedBefore).toBe(refused.length);
    expect(await ingestCounter(stack.ingest.internalUrl, 'costgraph_ingest_auth_rejected_total', 'reason="queue_full"')).toBe(tooMany.length);
    expect(await ingestCounter(stack.ingest.internalUrl, 'costgraph_ingest_auth_rejected_total', 'reason="invalid"')).toBe(refused.length);

    // And what the valid cluster wrote reached the store.
    const stored = await instantQuery(stack.store.url, `count_over_time(node_total_hourly_cost{tenant_id="${cluster.cloudAccount.id}",instance="flood"}[10m])`);
    expect(Number(stored[0]?.value[1])).toBeGreaterThanOrEqual(1);
  });

  it('throttles one address that keeps failing, while the verified cluster behind the same address keeps writing', async () => {
    const address = '198.51.100.7';
    const results: PostResult[] = [];
    for (let i = 0; i < 10; i++) results.push(await write(crypto.randomUUID(), 'guess', address));
    expect(results.slice(0, 5).map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    for (const r of results.slice(5)) {
      expect(r.status).toBe(429);
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect(await ingestCounter(stack.ingest.internalUrl, 'costgraph_ingest_auth_rejected_total', 'reason="source_throttled"')).toBe(5);
    const verified = await write(cluster.username, cluster.password, address);
    expect(verified.status).toBe(204);
  });
});

describe('a token-guessing flood does not starve the gateway', () => {
  let test: TestDatabase;
  let gateway: Gateway;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    test = await createPgliteDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-token-flood-'));
    const config = loadGatewayConfig({
      DATA_DIR: dir,
      INTERNAL_AUTH_SECRET: crypto.randomBytes(32).toString('hex'),
      TOKEN_VERIFY_CONCURRENCY: '1',
      TOKEN_VERIFY_QUEUE: '10',
      // Never called: `{ __typename }` is answered by the gateway itself, after the token check.
      EXPENSES_URL: 'http://127.0.0.1:9/graphql',
      KUBECOST_URL: 'http://127.0.0.1:9/graphql',
    });
    gateway = await createGateway({ config, db: test.db, logger: silentLogger });
    await new Promise<void>((resolve) => gateway.server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    await closeServer(gateway.server);
    await gateway.close();
    await test.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers guesses 401 or 429 RATE_LIMITED with Retry-After, and a cached token 200 throughout', async () => {
    const org = await createOrganization(test.db, 'tokens');
    const issued = await createApiToken(test.db, org.id);
    expect((await callGateway(url, '{ __typename }', {}, issued.token)).status).toBe(200);
    const queue = gateway.verifier.queue;
    const startedBefore = queue.started;

    // Random tokens cost no verification at all: their lookup id does not exist.
    const random = await Promise.all(Array.from({ length: 20 }, () => callGateway(url, '{ __typename }', {}, `cg_${crypto.randomBytes(8).toString('hex')}_${crypto.randomBytes(32).toString('base64url')}`)));
    expect(random.every((r) => r.status === 401 && r.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED')).toBe(true);
    expect(queue.started).toBe(startedBefore);

    // Guesses at the secret of a known lookup id each need a verification: they queue, and the overflow is refused.
    const lookup = issued.token.split('_')[1];
    const guesses = Array.from({ length: 60 }, () =>
      fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer cg_${lookup}_${crypto.randomBytes(32).toString('base64url')}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      }).then(async (response) => ({ status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as { errors: Array<{ extensions: { code: string } }> } })),
    );
    await queuedAtLeast(queue, 5);
    const cached = await callGateway(url, '{ __typename }', {}, issued.token);
    const queuedThen = queue.queued;
    const answers = await Promise.all(guesses);

    expect(cached.status).toBe(200);
    expect(queuedThen).toBeGreaterThan(0);
    expect(queue.peakRunning).toBe(1);
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    for (const a of limited) {
      expect(a.body.errors[0].extensions.code).toBe('RATE_LIMITED');
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    expect(answers.filter((a) => a.status === 401)).toHaveLength(answers.length - limited.length);
    expect(queue.started - startedBefore).toBe(answers.length - limited.length);
  });
});
