import type { Queryable } from '../db/database';
import { generateSecret, hashSecret } from './secret-hash';
import { isId } from './ids';

export interface StoredClusterCredential {
  cloudAccountId: string;
  secretHash: string;
}

/** Issues a fresh password for the cluster, replacing any earlier one; returns it in clear once. */
export async function issueClusterCredential(db: Queryable, cloudAccountId: string): Promise<string> {
  const password = generateSecret();
  const secretHash = await hashSecret(password);
  await db.query(
    `INSERT INTO cluster_credentials (cloud_account_id, secret_hash) VALUES ($1, $2)
     ON CONFLICT (cloud_account_id) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, rotated_at = now()`,
    [cloudAccountId, secretHash],
  );
  return password;
}

/** The stored hash for a live Kubernetes account, or undefined when it is unknown or deleted. */
export async function findClusterCredential(db: Queryable, cloudAccountId: string): Promise<StoredClusterCredential | undefined> {
  if (!isId(cloudAccountId)) return undefined;
  const rows = await db.query<{ secret_hash: string }>(
    `SELECT c.secret_hash FROM cluster_credentials c JOIN cloud_accounts a ON a.id = c.cloud_account_id
      WHERE c.cloud_account_id = $1 AND a.deleted_at IS NULL AND a.type = 'kubernetes'`,
    [cloudAccountId],
  );
  return rows.length === 0 ? undefined : { cloudAccountId, secretHash: rows[0].secret_hash };
}
