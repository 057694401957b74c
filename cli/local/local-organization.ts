import { createOrganization } from '../../lib/accounts/repository';
import type { Queryable } from '../../lib/db/database';

/**
 * Local mode's organization: the oldest live one, created on first use. `up` issues its
 * token for it and `demo` fills it, so both agree without configuration.
 */
export async function localOrganization(db: Queryable): Promise<string> {
  const [existing] = await db.query<{ id: string }>('SELECT id FROM organizations WHERE deleted_at IS NULL ORDER BY created_at, id LIMIT 1');
  return existing?.id ?? (await createOrganization(db, 'Local organization')).id;
}
