import { LRUCache } from 'lru-cache';
import type { Queryable } from '../../lib/db/database';
import type { CallerContext } from '../../lib/internal-auth/signed-context';
import { digest } from '../../lib/accounts/secret-hash';
import { authenticateToken } from '../../lib/accounts/api-tokens';

type Verdict = { caller: CallerContext } | { caller: null };

/**
 * Turns `Authorization: Bearer <token>` into a caller. A verdict (good or bad) is reused for
 * `ttlMs`, keyed by a digest so the cache never holds a token in clear; concurrent requests
 * with the same token share one scrypt verification instead of each paying for it.
 */
export class TokenVerifier {
  private readonly verdicts: LRUCache<string, Verdict>;
  private readonly pending = new Map<string, Promise<Verdict>>();

  constructor(
    private readonly db: Queryable,
    ttlMs: number,
    maxEntries = 10_000,
  ) {
    this.verdicts = new LRUCache<string, Verdict>({ max: maxEntries, ttl: ttlMs });
  }

  /** The caller, or null for a missing, malformed, unknown or revoked token. */
  async verify(authorization: string | undefined): Promise<CallerContext | null> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return null;
    const token = match[1];
    const key = digest(token);
    const cached = this.verdicts.get(key);
    if (cached) return cached.caller;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.lookup(token).finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    const verdict = await pending;
    this.verdicts.set(key, verdict);
    return verdict.caller;
  }

  private async lookup(token: string): Promise<Verdict> {
    const owner = await authenticateToken(this.db, token);
    return owner ? { caller: { subject: `token:${owner.tokenId}`, organizationIds: [owner.organizationId], role: owner.role } } : { caller: null };
  }
}
