import { LRUCache } from 'lru-cache';
import { findCloudAccounts } from '../../lib/accounts/repository';
import type { Queryable } from '../../lib/db/database';

type Entry = { organizationId: string } | { organizationId: null };

/**
 * Which ids are live Kubernetes cloud accounts, and of which organization, remembered for a few
 * seconds across requests: a repeated dashboard query (served from the PromQL cache) would
 * otherwise spend most of its time asking the database the same question. Only facts about
 * accounts are cached; whether the caller may see an organization is decided per request.
 * A deleted or new cluster is seen within `ttlMs`.
 */
export class ClusterDirectory {
  private readonly entries: LRUCache<string, Entry>;

  constructor(
    private readonly db: Queryable,
    ttlMs: number,
    maxEntries = 100_000,
  ) {
    this.entries = new LRUCache<string, Entry>({ max: maxEntries, ttl: Math.max(1, ttlMs) });
  }

  /** The organization of each id that is a live cluster; null for anything else. */
  async organizationsOf(ids: readonly string[]): Promise<Array<string | null>> {
    // Read what is cached before waiting for the database: an entry that expires while the
    // unknown ids are looked up would otherwise read as "not a cluster", and a caller's own
    // cluster would silently drop out of its costs.
    const entries = ids.map((id) => this.entries.get(id));
    const unknown = ids.filter((_, i) => entries[i] === undefined);
    if (unknown.length > 0) {
      const found = new Map((await findCloudAccounts(this.db, unknown)).map((a) => [a.id, a]));
      ids.forEach((id, i) => {
        if (entries[i] !== undefined) return;
        const account = found.get(id);
        const entry: Entry = { organizationId: account?.type === 'kubernetes' ? account.organizationId : null };
        this.entries.set(id, entry);
        entries[i] = entry;
      });
    }
    return entries.map((entry) => entry?.organizationId ?? null);
  }
}
