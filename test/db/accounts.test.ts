import { findClusterCredential } from '../../lib/accounts/cluster-credentials';
import { createOrganization, findCloudAccount, listCloudAccounts } from '../../lib/accounts/repository';
import { listMigrations, migrate } from '../../lib/db/migrate';
import { createKubernetesCluster, deleteCloudAccount, OnboardingError, rotateClusterCredential } from '../../lib/accounts/kubernetes-clusters';
import { verifySecret } from '../../lib/accounts/secret-hash';
import YAML from 'yaml';
import { databaseBackends, type TestDatabase } from '../helpers/databases';

const INGEST_URL = 'https://ingest.example.test/api/v1/write';

describe.each(databaseBackends())('accounts and cluster onboarding on $name', (backend) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await backend.create();
  });
  afterAll(() => t?.drop());

  it('records every migration once, and migrating again changes nothing', async () => {
    expect(await migrate(t.db)).toEqual([]);
    const rows = await t.db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((row) => row.version)).toEqual(listMigrations().map((m) => m.version));
  });

  it('leaves room on daily-total pages for in-place updates (migration 007)', async () => {
    const [table] = await t.db.query<{ reloptions: string[] | null }>("SELECT reloptions FROM pg_class WHERE oid = 'expense_daily_totals'::regclass");
    expect(table.reloptions).toContain('fillfactor=70');
  });

  it('creates a cluster whose password is stored only as a scrypt hash and whose snippets parse', async () => {
    const org = await createOrganization(t.db, 'Acme');
    const connection = await createKubernetesCluster(t.db, org.id, 'prod-eu-1', INGEST_URL);
    expect(connection.cloudAccount.type).toBe('kubernetes');
    expect(connection.username).toBe(connection.cloudAccount.id);
    expect(connection.password.length).toBeGreaterThanOrEqual(40);

    const raw = await t.db.query<{ secret_hash: string }>('SELECT secret_hash FROM cluster_credentials WHERE cloud_account_id = $1', [connection.cloudAccount.id]);
    expect(raw[0].secret_hash).toMatch(/^scrypt\$/);
    expect(raw[0].secret_hash).not.toContain(connection.password);
    expect(await verifySecret(connection.password, raw[0].secret_hash)).toBe(true);
    expect(await verifySecret(`${connection.password}x`, raw[0].secret_hash)).toBe(false);

    const rw = YAML.parse(connection.prometheusRemoteWrite);
    expect(rw.remote_write[0]).toMatchObject({ url: INGEST_URL, basic_auth: { username: connection.cloudAccount.id, password: connection.password } });
    expect(new RegExp(`^(?:${rw.remote_write[0].write_relabel_configs[0].regex})$`).test('node_cpu_hourly_cost')).toBe(true);
    const helm = YAML.parse(connection.kubecostHelmValues);
    expect(helm.prometheus.server.global.external_labels.cluster_id).toBe('prod-eu-1');
    expect(helm.prometheus.server.remoteWrite[0].basic_auth.password).toBe(connection.password);
  });

  it('quotes cluster names that YAML 1.1 (Helm, Prometheus) would read as booleans, numbers or dates', async () => {
    const org = await createOrganization(t.db, 'YAML words');
    for (const name of ['yes', 'no', 'on', 'off', 'y', '1_000', '2026-11-27']) {
      const connection = await createKubernetesCluster(t.db, org.id, name, INGEST_URL);
      const helm = YAML.parse(connection.kubecostHelmValues, { version: '1.1' });
      expect(helm.prometheus.server.global.external_labels.cluster_id).toBe(name);
      expect(YAML.parse(connection.prometheusRemoteWrite, { version: '1.1' }).remote_write[0].url).toBe(INGEST_URL);
    }
  });

  it('rotation replaces the stored hash; deletion hides the account and its credential', async () => {
    const org = await createOrganization(t.db, 'Rotate Inc');
    const first = await createKubernetesCluster(t.db, org.id, 'c1', INGEST_URL);
    const before = await findClusterCredential(t.db, first.cloudAccount.id);
    const rotated = await rotateClusterCredential(t.db, first.cloudAccount.id, INGEST_URL);
    const after = await findClusterCredential(t.db, first.cloudAccount.id);
    expect(rotated.password).not.toBe(first.password);
    expect(after?.secretHash).not.toBe(before?.secretHash);
    expect(await verifySecret(first.password, after!.secretHash)).toBe(false);
    expect(await verifySecret(rotated.password, after!.secretHash)).toBe(true);

    await deleteCloudAccount(t.db, first.cloudAccount.id);
    expect(await findClusterCredential(t.db, first.cloudAccount.id)).toBeUndefined();
    expect(await findCloudAccount(t.db, first.cloudAccount.id)).toBeUndefined();
    expect(await listCloudAccounts(t.db, [org.id])).toEqual([]);
  });

  it('refuses unknown organizations, bad names, and accounts of other organizations', async () => {
    const a = await createOrganization(t.db, 'A');
    const b = await createOrganization(t.db, 'B');
    await expect(createKubernetesCluster(t.db, '00000000-0000-4000-8000-000000000000', 'x', INGEST_URL)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(createKubernetesCluster(t.db, a.id, 'bad name with spaces', INGEST_URL)).rejects.toBeInstanceOf(OnboardingError);
    const inB = await createKubernetesCluster(t.db, b.id, 'b-cluster', INGEST_URL);
    await expect(rotateClusterCredential(t.db, inB.cloudAccount.id, INGEST_URL, [a.id])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(deleteCloudAccount(t.db, inB.cloudAccount.id, [a.id])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await findCloudAccount(t.db, inB.cloudAccount.id)).toBeDefined();
    // Hostile ids never reach SQL: they are simply not found.
    expect(await findClusterCredential(t.db, "x' OR '1'='1")).toBeUndefined();
  });
});
