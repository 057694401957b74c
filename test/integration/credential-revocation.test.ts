import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadGatewayConfig } from '../../gateway/config';
import { startGateway } from '../../gateway/start';
import { loadIngestConfig } from '../../ingest/config';
import type { Sink } from '../../ingest/sink/sink';
import { startIngest, type RunningIngest } from '../../ingest/start';
import { createApiToken, revokeApiToken } from '../../lib/accounts/api-tokens';
import { createKubernetesCluster, deleteCloudAccount, rotateClusterCredential } from '../../lib/accounts/kubernetes-clusters';
import { createOrganization } from '../../lib/accounts/repository';
import type { Database } from '../../lib/db/database';
import { PostgresDatabase } from '../../lib/db/postgres';
import type { RunningService } from '../../lib/http/listen';
import { silentLogger } from '../../lib/log';
import { databaseBackends, type TestDatabase } from '../helpers/databases';
import { waitFor } from '../helpers/promql';
import { basicAuth, post, REMOTE_WRITE_HEADERS, writeBody } from '../helpers/remote-write';
import { callGateway } from '../helpers/stack';

/** Far longer than the deadline below: a refusal within it came from the change log, not from a cache expiring. */
const CACHE_TTL = '60s';
/** The polls run every second (the default); this leaves room for a loaded machine. */
const DEADLINE_MS = 5_000;

const acceptingSink: Sink = { write: async () => ({ kind: 'accepted' }), ready: async () => true, close() {} };

describe.each(databaseBackends())('revocation reaches every replica within a second ($name)', (backend) => {
  let test: TestDatabase;
  /** Each replica's own connections (PostgreSQL); PGlite admits one, which the replicas then share. */
  const replicaDbs: Database[] = [];
  const replicaDb = (): Database => {
    if (!test.url) return test.db;
    const db = new PostgresDatabase({ connectionString: test.url, maxConnections: 2 });
    replicaDbs.push(db);
    return db;
  };

  beforeAll(async () => {
    test = await backend.create();
  });
  afterAll(async () => {
    for (const db of replicaDbs) await db.close();
    await test.drop();
  });

  it('two ingest workers refuse a rotated password, then a deleted cluster, long before their caches expire', async () => {
    const org = await createOrganization(test.db, 'revocation');
    const cluster = await createKubernetesCluster(test.db, org.id, 'prod', 'http://ingest/api/v1/write');
    const workers: RunningIngest[] = [];
    for (let i = 0; i < 2; i++) {
      workers.push(
        await startIngest({
          config: loadIngestConfig({ INGEST_PORT: '0', INGEST_INTERNAL_PORT: '0', INGEST_CREDENTIAL_TTL: CACHE_TTL }),
          db: replicaDb(),
          logger: silentLogger,
          sink: acceptingSink,
        }),
      );
    }
    try {
      const body = writeBody([{ labels: { __name__: 'node_total_hourly_cost', node: 'n1' }, samples: [[Date.now(), 1]] }]);
      const write = (worker: RunningIngest, password: string) =>
        post(`${worker.url}/api/v1/write`, body, { ...REMOTE_WRITE_HEADERS, Authorization: basicAuth(cluster.cloudAccount.id, password) }).then((r) => r.status);
      const allAnswer = (password: string, status: number) =>
        waitFor(`every worker answering ${status}`, async () => ((await Promise.all(workers.map((w) => write(w, password)))).every((s) => s === status) ? true : undefined), DEADLINE_MS, 100);

      // Both workers have verified and cached the password.
      for (const worker of workers) expect(await write(worker, cluster.password)).toBe(204);

      const rotated = await rotateClusterCredential(test.db, cluster.cloudAccount.id, 'http://ingest/api/v1/write');
      await allAnswer(cluster.password, 401);
      for (const worker of workers) expect(await write(worker, rotated.password)).toBe(204);

      await deleteCloudAccount(test.db, cluster.cloudAccount.id);
      await allAnswer(rotated.password, 401);
    } finally {
      for (const worker of workers) await worker.close();
    }
  });

  it('two gateways refuse a revoked API token long before their token caches expire', async () => {
    const org = await createOrganization(test.db, 'revocation-tokens');
    const issued = await createApiToken(test.db, org.id);
    const kept = await createApiToken(test.db, org.id);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-revocation-'));
    const gateways: RunningService[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const config = loadGatewayConfig({
          DATA_DIR: dir,
          INTERNAL_AUTH_SECRET: crypto.randomBytes(32).toString('hex'),
          GATEWAY_PORT: '0',
          GATEWAY_INTERNAL_PORT: '0',
          TOKEN_CACHE_TTL: CACHE_TTL,
          // Never called: `{ __typename }` is answered by the gateway itself, after the token check.
          EXPENSES_URL: 'http://127.0.0.1:9/graphql',
          KUBECOST_URL: 'http://127.0.0.1:9/graphql',
        });
        gateways.push(await startGateway({ config, db: replicaDb(), logger: silentLogger }));
      }
      const ask = (gateway: RunningService, token: string) => callGateway(gateway.url, '{ __typename }', {}, token).then((r) => r.status);
      for (const gateway of gateways) expect(await ask(gateway, issued.token)).toBe(200);

      expect(await revokeApiToken(test.db, issued.id)).toBe(true);
      await waitFor('every gateway refusing the revoked token', async () => ((await Promise.all(gateways.map((g) => ask(g, issued.token)))).every((s) => s === 401) ? true : undefined), DEADLINE_MS, 100);
      // Another token of the same organization is untouched.
      for (const gateway of gateways) expect(await ask(gateway, kept.token)).toBe(200);
    } finally {
      for (const gateway of gateways) await gateway.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
