import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { findClusterCredential } from '../../lib/accounts/cluster-credentials';
import { createCloudAccount, findCloudAccount, findOrganization } from '../../lib/accounts/repository';
import type { Database } from '../../lib/db/database';
import { openDatabase } from '../../lib/db/open';
import { verifySecret } from '../../lib/accounts/secret-hash';
import { expectOneLineFailure, runCostgraph, type CliRun } from '../helpers/cli';
import { createPostgresDatabase, databaseBackends, type TestDatabase } from '../helpers/databases';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

interface Target {
  dataDir: string;
  /** Set for the PostgreSQL runs; unset means the CLI opens PGlite under `dataDir`. */
  databaseUrl?: string;
}

function costgraph(target: Target, args: string[]): Promise<CliRun> {
  return runCostgraph(args, { DATA_DIR: target.dataDir, PUBLIC_INGEST_URL: 'https://ingest.example.com/api/v1/write', DATABASE_URL: target.databaseUrl });
}

const engines = databaseBackends().map((backend) => backend.name);

describe.each(engines)('costgraph CLI as a child process (%s)', (engine) => {
  const target: Target = { dataDir: '' };
  let postgres: TestDatabase | undefined;

  /** Reads what the CLI wrote, from the test process (PGlite only while no CLI command runs). */
  async function inDatabase<T>(fn: (db: Database) => Promise<T>): Promise<T> {
    if (postgres) return fn(postgres.db);
    const { db } = await openDatabase({ dataDir: target.dataDir });
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  }

  beforeAll(async () => {
    target.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `costgraph-cli-${engine}-`));
    if (engine === 'postgres') {
      postgres = await createPostgresDatabase();
      target.databaseUrl = postgres.url;
    }
  }, 60_000);
  afterAll(async () => {
    await postgres?.drop();
    if (target.dataDir) fs.rmSync(target.dataDir, { recursive: true, force: true });
  });

  it('creates an organization and a cluster, rotates its credential and deletes it', async () => {
    const org = await costgraph(target, ['org', 'create', '--name', 'CLI test org', '--json']);
    expect(org).toMatchObject({ status: 0, stderr: '' });
    const { id: orgId } = JSON.parse(org.stdout) as { id: string };
    expect(orgId).toMatch(/^[0-9a-f-]{36}$/);

    const created = await costgraph(target, ['cluster', 'create', '--org', orgId, '--name', 'prod-eu-1', '--json']);
    expect(created).toMatchObject({ status: 0, stderr: '' });
    const cluster = JSON.parse(created.stdout) as Record<string, string>;
    expect(Object.keys(cluster).sort()).toEqual(['cloudAccountId', 'kubecostHelmValues', 'password', 'prometheusRemoteWrite', 'remoteWriteUrl', 'username'].sort());
    expect(cluster.username).toBe(cluster.cloudAccountId);
    expect(cluster.remoteWriteUrl).toBe('https://ingest.example.com/api/v1/write');
    expect(cluster.password.length).toBeGreaterThanOrEqual(20);

    // Both snippets are YAML an operator pastes as they are, carrying the same credential.
    const remoteWrite = YAML.parse(cluster.prometheusRemoteWrite) as { remote_write: Array<{ url: string; basic_auth: { username: string; password: string } }> };
    expect(remoteWrite.remote_write[0]).toMatchObject({
      url: cluster.remoteWriteUrl,
      basic_auth: { username: cluster.cloudAccountId, password: cluster.password },
    });
    const helmValues = YAML.parse(cluster.kubecostHelmValues) as unknown;
    expect(cluster.kubecostHelmValues).toContain('basic_auth');
    expect(JSON.stringify(helmValues)).toContain(cluster.password);
    expect(JSON.stringify(helmValues)).toContain(cluster.remoteWriteUrl);

    await inDatabase(async (db) => {
      expect(await findOrganization(db, orgId)).toMatchObject({ name: 'CLI test org' });
      expect(await findCloudAccount(db, cluster.cloudAccountId)).toMatchObject({ organizationId: orgId, name: 'prod-eu-1', type: 'kubernetes', deletedAt: null });
      const stored = await findClusterCredential(db, cluster.cloudAccountId);
      // Stored hashed, never in clear, and the printed password matches the hash.
      expect(stored?.secretHash).not.toContain(cluster.password);
      expect(await verifySecret(cluster.password, stored!.secretHash)).toBe(true);
    });

    const rotated = await costgraph(target, ['cluster', 'rotate-credential', cluster.cloudAccountId, '--json']);
    expect(rotated).toMatchObject({ status: 0, stderr: '' });
    const next = JSON.parse(rotated.stdout) as Record<string, string>;
    expect(next.cloudAccountId).toBe(cluster.cloudAccountId);
    expect(next.password).not.toBe(cluster.password);
    await inDatabase(async (db) => {
      const stored = await findClusterCredential(db, cluster.cloudAccountId);
      expect(await verifySecret(next.password, stored!.secretHash)).toBe(true);
      expect(await verifySecret(cluster.password, stored!.secretHash)).toBe(false);
    });

    // The cluster's name on the bill, when its metrics do not tell: set, refused when half given, cleared.
    const named = await costgraph(target, ['cluster', 'set-billing-name', cluster.cloudAccountId, '--provider', 'AWS', '--name', ' Prod ', '--json']);
    expect(named).toMatchObject({ status: 0, stderr: '' });
    const keysOf = () => inDatabase((db) => db.query('SELECT cluster_key, source FROM kubernetes_cluster_keys WHERE cloud_account_id = $1', [cluster.cloudAccountId]));
    expect(await keysOf()).toEqual([{ cluster_key: 'aws:cluster:prod', source: 'set' }]);
    expectOneLineFailure(await costgraph(target, ['cluster', 'set-billing-name', cluster.cloudAccountId, '--provider', 'aws', '--json']), /--provider and --name, or --clear/);
    expectOneLineFailure(await costgraph(target, ['cluster', 'set-billing-name', cluster.cloudAccountId, '--provider', 'ibm', '--name', 'x', '--json']), /provider must be one of aws, azure, gcp, oracle/);
    expect(await costgraph(target, ['cluster', 'set-billing-name', cluster.cloudAccountId, '--clear', '--json'])).toMatchObject({ status: 0, stderr: '' });
    expect(await keysOf()).toEqual([]);

    // `cluster delete` deletes clusters only: a billing account's id is not found, and it stays.
    const aws = await inDatabase((db) => createCloudAccount(db, { organizationId: orgId, name: 'billing', type: 'aws', providerAccountId: '123456789012' }));
    const notCluster = await costgraph(target, ['cluster', 'delete', aws.id, '--json']);
    expect(notCluster.status).not.toBe(0);
    expect(notCluster.stderr.trimEnd().split('\n')).toEqual([`costgraph: Kubernetes cloud account ${aws.id} not found`]);
    await inDatabase(async (db) => expect(await findCloudAccount(db, aws.id)).toMatchObject({ deletedAt: null }));

    const deleted = await costgraph(target, ['cluster', 'delete', cluster.cloudAccountId, '--json']);
    expect(deleted).toMatchObject({ status: 0, stderr: '' });
    expect(JSON.parse(deleted.stdout)).toEqual({ cloudAccountId: cluster.cloudAccountId, deleted: true });
    await inDatabase(async (db) => {
      // Soft-deleted: the row stays (its past costs keep their account), the lookups stop finding it.
      const rows = await db.query<{ deleted_at: Date | null }>('SELECT deleted_at FROM cloud_accounts WHERE id = $1', [cluster.cloudAccountId]);
      expect(rows).toHaveLength(1);
      expect(rows[0].deleted_at).not.toBeNull();
      expect(await findCloudAccount(db, cluster.cloudAccountId)).toBeUndefined();
      // Ingest reads credentials through this lookup: a deleted cluster has none.
      expect(await findClusterCredential(db, cluster.cloudAccountId)).toBeUndefined();
    });

    // A deleted cluster cannot get a new credential.
    expectOneLineFailure(await costgraph(target, ['cluster', 'rotate-credential', cluster.cloudAccountId, '--json']), /not found/);
  }, 240_000);

  it('refuses bad arguments with a non-zero exit and exactly one line on stderr', async () => {
    const org = await costgraph(target, ['org', 'create', '--name', 'bad arguments', '--json']);
    const orgId = (JSON.parse(org.stdout) as { id: string }).id;
    // These fail while parsing arguments, before any database is opened, so they may run at once.
    const [missingOrg, malformedOrg, unknownCommand, unknownSubcommand, missingSubcommand, missingName, missingClusterName, badClusterId, missingClusterId, unknownOption] =
      await Promise.all([
        costgraph(target, ['cluster', 'create', '--name', 'c1', '--json']),
        costgraph(target, ['cluster', 'create', '--org', 'acme', '--name', 'c1', '--json']),
        costgraph(target, ['frobnicate', '--json']),
        // Commander suggests "create" on a second line; the CLI folds it into the one line.
        costgraph(target, ['cluster', 'creat', '--json']),
        costgraph(target, ['cluster']),
        costgraph(target, ['org', 'create', '--json']),
        costgraph(target, ['cluster', 'create', '--org', orgId, '--json']),
        costgraph(target, ['cluster', 'delete', "1' OR '1'='1", '--json']),
        costgraph(target, ['cluster', 'rotate-credential', '--json']),
        costgraph(target, ['org', 'create', '--name', 'x', '--colour', 'red']),
      ]);
    expectOneLineFailure(missingOrg, /--org/);
    expectOneLineFailure(malformedOrg, /organization "acme" is not a valid id/);
    expectOneLineFailure(unknownCommand, /unknown command 'frobnicate'/);
    expectOneLineFailure(unknownSubcommand, /unknown command 'creat'.*create/);
    expectOneLineFailure(missingSubcommand, /cluster: missing command .*create/);
    expectOneLineFailure(missingName, /--name/);
    expectOneLineFailure(missingClusterName, /--name/);
    expectOneLineFailure(badClusterId, /is not a valid id/);
    expectOneLineFailure(missingClusterId, /cloudAccountId/);
    expectOneLineFailure(unknownOption, /unknown option '--colour'/);

    // These reach the database (one at a time: PGlite has one owning process).
    expectOneLineFailure(await costgraph(target, ['cluster', 'create', '--org', UNKNOWN_ID, '--name', 'c1', '--json']), new RegExp(`organization ${UNKNOWN_ID} not found`));
    expectOneLineFailure(await costgraph(target, ['cluster', 'create', '--org', orgId, '--name', 'no spaces/allowed', '--json']), /cluster name must be/);
    expectOneLineFailure(await costgraph(target, ['cluster', 'delete', UNKNOWN_ID, '--json']), /not found/);
    expectOneLineFailure(await costgraph(target, ['cluster', 'rotate-credential', UNKNOWN_ID]), /not found/);
    await inDatabase(async (db) => {
      // Nothing was half-created by the refused commands.
      const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM cloud_accounts WHERE organization_id = $1', [orgId]);
      expect(rows[0].n).toBe(0);
    });
  }, 240_000);
});
