import { createCloudAccount, createOrganization, softDeleteCloudAccount } from '../../lib/accounts/repository';
import type { Queryable } from '../../lib/db/database';
import { ClusterDirectory } from '../../subgraphs/kubecost/cluster-directory';
import { createPgliteDatabase, type TestDatabase } from '../helpers/databases';

describe('kubecost cluster directory', () => {
  let t: TestDatabase;
  let queries = 0;
  let counting: Queryable;

  beforeAll(async () => {
    t = await createPgliteDatabase();
    counting = {
      query: (sql, params) => (queries++, t.db.query(sql, params)),
      exec: (sql) => t.db.exec(sql),
    };
  });
  afterAll(() => t.drop());

  it('knows live clusters and their organization, answers repeats from memory, and forgets within its TTL', async () => {
    const org = await createOrganization(t.db, 'Directory org');
    const cluster = await createCloudAccount(t.db, { organizationId: org.id, name: 'c', type: 'kubernetes' });
    const aws = await createCloudAccount(t.db, { organizationId: org.id, name: 'a', type: 'aws' });
    const unknown = '00000000-0000-4000-8000-000000000000';
    const directory = new ClusterDirectory(counting, 300);

    queries = 0;
    expect(await directory.organizationsOf([cluster.id, aws.id, unknown, 'not-an-id'])).toEqual([org.id, null, null, null]);
    expect(queries).toBe(1);
    expect(await directory.organizationsOf([cluster.id, aws.id, unknown])).toEqual([org.id, null, null]);
    expect(queries).toBe(1);

    await softDeleteCloudAccount(t.db, cluster.id);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await directory.organizationsOf([cluster.id])).toEqual([null]);
    expect(queries).toBe(2);
  });

  it('keeps a cached cluster while unknown ids are looked up, even if its entry expires meanwhile', async () => {
    const org = await createOrganization(t.db, 'Expiring org');
    const cluster = await createCloudAccount(t.db, { organizationId: org.id, name: 'c', type: 'kubernetes' });
    // The database answers after the cached entry's TTL has run out.
    const slow: Queryable = {
      query: async (sql, params) => {
        await new Promise((resolve) => setTimeout(resolve, 250));
        return t.db.query(sql, params);
      },
      exec: (sql) => t.db.exec(sql),
    };
    const directory = new ClusterDirectory(slow, 200);
    expect(await directory.organizationsOf([cluster.id])).toEqual([org.id]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await directory.organizationsOf([cluster.id, '00000000-0000-4000-8000-000000000001'])).toEqual([org.id, null]);
  });
});
