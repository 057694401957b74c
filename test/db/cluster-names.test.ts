import { createKubernetesCluster, deleteCluster, OnboardingError } from '../../lib/accounts/kubernetes-clusters';
import { createCloudAccount, createOrganization } from '../../lib/accounts/repository';
import { listMigrations, migrate } from '../../lib/db/migrate';
import { databaseBackends, type TestDatabase } from '../helpers/databases';

const INGEST_URL = 'https://ingest.example.com/api/v1/write';

describe.each(databaseBackends())('Kubernetes cluster names are unique per organization ($name)', (backend) => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await backend.create();
  }, 60_000);
  afterAll(async () => {
    await t?.drop();
  });

  const names = async (organizationId: string) =>
    (await t.db.query<{ name: string }>(`SELECT name FROM cloud_accounts WHERE organization_id = $1 AND type = 'kubernetes' AND deleted_at IS NULL ORDER BY name`, [organizationId])).map(
      (row) => row.name,
    );

  it('refuses a live duplicate, ignoring case and surrounding spaces, and allows it elsewhere', async () => {
    const org = await createOrganization(t.db, 'names');
    const other = await createOrganization(t.db, 'other');
    const first = await createKubernetesCluster(t.db, org.id, 'prod', INGEST_URL);
    for (const again of ['prod', 'PROD', ' Prod ']) {
      const refused = createKubernetesCluster(t.db, org.id, again, INGEST_URL);
      await expect(refused).rejects.toBeInstanceOf(OnboardingError);
      await expect(refused).rejects.toMatchObject({ code: 'BAD_USER_INPUT', message: `organization ${org.id} already has a cluster named "prod"` });
    }
    // Another organization, and a billing account of the same name, do not count.
    await createKubernetesCluster(t.db, other.id, 'prod', INGEST_URL);
    await createCloudAccount(t.db, { organizationId: org.id, name: 'prod', type: 'aws', providerAccountId: '123456789012' });
    // A deleted cluster frees its name.
    await deleteCluster(t.db, first.cloudAccount.id);
    const second = await createKubernetesCluster(t.db, org.id, 'prod', INGEST_URL);
    expect(second.cloudAccount.id).not.toBe(first.cloudAccount.id);
    expect(await names(org.id)).toEqual(['prod']);
  });

  it('lets exactly one of many concurrent creates of a name succeed', async () => {
    const org = await createOrganization(t.db, 'race');
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => createKubernetesCluster(t.db, org.id, 'racing', INGEST_URL)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
      expect(r.reason).toBeInstanceOf(OnboardingError);
      expect(r.reason).toMatchObject({ code: 'BAD_USER_INPUT', message: `organization ${org.id} already has a cluster named "racing"` });
    }
    expect(await names(org.id)).toEqual(['racing']);
  });

  it('is enforced by the database itself', async () => {
    const org = await createOrganization(t.db, 'direct');
    await createCloudAccount(t.db, { organizationId: org.id, name: 'edge', type: 'kubernetes' });
    await expect(createCloudAccount(t.db, { organizationId: org.id, name: 'Edge ', type: 'kubernetes' })).rejects.toMatchObject({ code: '23505' });
  });

  it('renames existing duplicates when the rule is introduced, keeping the oldest name', async () => {
    const migration = listMigrations().find((m) => m.name.endsWith('_kubernetes_cluster_names_unique'));
    expect(migration).toBeDefined();
    // Back to the schema before the rule, with the duplicates it allowed.
    await t.db.exec('DROP INDEX cloud_accounts_cluster_name_key');
    await t.db.query('DELETE FROM schema_migrations WHERE version = $1', [migration!.version]);
    const org = await createOrganization(t.db, 'legacy');
    const other = await createOrganization(t.db, 'legacy other');
    const long = 'x'.repeat(200);
    let minute = 0;
    const add = async (organizationId: string, name: string, extra: { type?: 'kubernetes' | 'gcp'; deleted?: boolean } = {}) => {
      const account = await createCloudAccount(t.db, { organizationId, name, type: extra.type ?? 'kubernetes' });
      // Creation order decides which duplicate keeps its name.
      await t.db.query(`UPDATE cloud_accounts SET created_at = timestamptz '2026-01-01T00:00:00Z' + $2 * interval '1 minute', deleted_at = CASE WHEN $3 THEN now() END WHERE id = $1`, [
        account.id,
        minute++,
        extra.deleted ?? false,
      ]);
      return account.id;
    };
    const prod = await add(org.id, 'prod');
    const prodUpper = await add(org.id, 'Prod');
    const prodSpaced = await add(org.id, ' prod ');
    const prodTwo = await add(org.id, 'prod (2)');
    const deleted = await add(org.id, 'prod', { deleted: true });
    const gcp = await add(org.id, 'prod', { type: 'gcp' });
    const elsewhere = await add(other.id, 'prod');
    const longFirst = await add(org.id, long);
    const longSecond = await add(org.id, long);

    expect(await migrate(t.db)).toEqual([migration!.version]);

    const rows = await t.db.query<{ id: string; name: string }>('SELECT id, name FROM cloud_accounts WHERE organization_id = ANY($1::uuid[])', [[org.id, other.id]]);
    const nameOf = new Map(rows.map((row) => [row.id, row.name]));
    expect(nameOf.get(prod)).toBe('prod');
    // "Prod (2)" would clash with the existing "prod (2)": the next free number is taken.
    expect(nameOf.get(prodUpper)).toBe('Prod (3)');
    expect(nameOf.get(prodSpaced)).toBe('prod (4)');
    expect(nameOf.get(prodTwo)).toBe('prod (2)');
    expect(nameOf.get(deleted)).toBe('prod');
    expect(nameOf.get(gcp)).toBe('prod');
    expect(nameOf.get(elsewhere)).toBe('prod');
    expect(nameOf.get(longFirst)).toBe(long);
    expect(nameOf.get(longSecond)).toBe(`${'x'.repeat(196)} (2)`);
    // The rule holds from now on.
    await expect(createKubernetesCluster(t.db, org.id, 'PROD', INGEST_URL)).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});
