import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { findClusterCredential } from '../../lib/accounts/cluster-credentials';
import { createKubernetesCluster, deleteCluster } from '../../lib/accounts/kubernetes-clusters';
import { verifySecret } from '../../lib/accounts/secret-hash';
import { runDemo } from '../../cli/demo/run-demo';
import { createPgliteDatabase, type TestDatabase } from '../helpers/databases';

/** Takes every remote write and remembers whose it was (the Basic user is the cloud account id). */
function stubIngest(): Promise<{ url: string; writers: Set<string>; close(): Promise<void> }> {
  const writers = new Set<string>();
  const server = http.createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    if (auth.startsWith('Basic ')) writers.add(Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':')[0]);
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, writers, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

describe('the demo finds its clusters by id', () => {
  let t: TestDatabase;
  let ingest: Awaited<ReturnType<typeof stubIngest>>;

  beforeAll(async () => {
    t = await createPgliteDatabase();
    ingest = await stubIngest();
  }, 60_000);
  afterAll(async () => {
    await ingest?.close();
    await t?.drop();
  });

  it('keeps to the clusters it created when people rename them or take their names', async () => {
    const demo = () => runDemo({ db: t.db, ingestUrl: ingest.url, publicIngestUrl: `${ingest.url}/api/v1/write` });
    const first = await demo();
    expect(first.clusters.map((c) => c.name)).toEqual(['prod-eu-west-1', 'staging-us-east-1', 'dev-sandbox']);
    const [prod, staging, dev] = first.clusters.map((c) => c.id);

    // Someone renames the demo's production cluster and gives its old name to a cluster of their own.
    await t.db.query(`UPDATE cloud_accounts SET name = 'prod-renamed' WHERE id = $1`, [prod]);
    const theirs = await createKubernetesCluster(t.db, first.organizationId, 'prod-eu-west-1', 'http://unused');
    ingest.writers.clear();
    const second = await demo();
    expect(second.clusters.map((c) => c.id)).toEqual([prod, staging, dev]);
    expect(second.clusters[0].name).toBe('prod-renamed');
    // Their cluster kept its credential and received nothing.
    expect(await verifySecret(theirs.password, (await findClusterCredential(t.db, theirs.cloudAccount.id))!.secretHash)).toBe(true);
    expect([...ingest.writers].sort()).toEqual([prod, staging, dev].sort());

    // A deleted demo cluster comes back under the first free name when its own is taken.
    await deleteCluster(t.db, staging);
    await createKubernetesCluster(t.db, first.organizationId, 'staging-us-east-1', 'http://unused');
    const third = await demo();
    expect(third.clusters[0].id).toBe(prod);
    expect(third.clusters[1].id).not.toBe(staging);
    expect(third.clusters[1].name).toBe('staging-us-east-1-2');
    expect(third.clusters[2].id).toBe(dev);
    // And from then on it is that one.
    expect((await demo()).clusters.map((c) => c.id)).toEqual(third.clusters.map((c) => c.id));
  }, 240_000);
});
