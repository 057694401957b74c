import { createApiToken, revokeApiToken } from '../../lib/accounts/api-tokens';
import { CredentialChangeFeed, type CredentialChange } from '../../lib/accounts/credential-changes';
import { createKubernetesCluster, deleteCloudAccount, rotateClusterCredential } from '../../lib/accounts/kubernetes-clusters';
import { createOrganization } from '../../lib/accounts/repository';
import { silentLogger } from '../../lib/log';
import { databaseBackends, type TestDatabase } from '../helpers/databases';

describe.each(databaseBackends())('credential change log ($name)', (backend) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await backend.create();
  });
  afterAll(() => test.drop());

  it('records every revocation path in order, nothing for creations, and reports a gap when changes were pruned unread', async () => {
    const changes: CredentialChange[] = [];
    let gaps = 0;
    const feed = new CredentialChangeFeed(test.db, { logger: silentLogger, onChange: (c) => changes.push(c), onGap: () => gaps++ });
    await feed.poll();

    const org = await createOrganization(test.db, 'changes');
    const cluster = await createKubernetesCluster(test.db, org.id, 'prod', 'http://ingest/api/v1/write');
    const token = await createApiToken(test.db, org.id);
    await feed.poll();
    expect(changes).toEqual([]);

    await rotateClusterCredential(test.db, cluster.cloudAccount.id, 'http://ingest/api/v1/write');
    await revokeApiToken(test.db, token.id);
    await deleteCloudAccount(test.db, cluster.cloudAccount.id);
    await test.db.query('UPDATE organizations SET deleted_at = now() WHERE id = $1', [org.id]);
    await feed.poll();
    expect(changes.map(({ kind, subjectId }) => [kind, subjectId])).toEqual([
      ['cloud_account', cluster.cloudAccount.id],
      ['api_token', token.id],
      ['cloud_account', cluster.cloudAccount.id],
      ['organization', org.id],
    ]);
    const revisions = changes.map((c) => c.revision);
    expect(revisions).toEqual(revisions.map((_, i) => revisions[0] + i));
    expect(gaps).toBe(0);

    // Another replica was away while changes were pruned: it forgets everything rather than miss one.
    const away = new CredentialChangeFeed(test.db, { logger: silentLogger, onChange: () => undefined, onGap: () => gaps++ });
    await away.poll();
    const other = await createApiToken(test.db, (await createOrganization(test.db, 'other')).id);
    await revokeApiToken(test.db, other.id);
    await test.db.query('UPDATE api_tokens SET name = $2 WHERE id = $1', [other.id, 'renamed']);
    await test.db.query('DELETE FROM credential_changes WHERE revision = (SELECT min(revision) FROM credential_changes WHERE subject_id = $1)', [other.id]);
    await away.poll();
    expect(gaps).toBe(1);
  });
});
