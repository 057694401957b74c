import { LRUCache } from 'lru-cache';
import type { Queryable } from '../../lib/db/database';
import type { CallerContext } from '../../lib/internal-auth/signed-context';
import { digest, verifySecret } from '../../lib/accounts/secret-hash';
import { authenticateToken, tokenSubject } from '../../lib/accounts/api-tokens';
import { VerificationQueue } from '../../lib/accounts/verification-queue';

type Verdict = { caller: CallerContext } | { caller: null };

export interface TokenVerifierOptions {
  /** How long a verdict is reused should change notices stop arriving. */
  ttlMs: number;
  /** @default 10000 */
  maxEntries?: number;
  /** Bounds the scrypt verifications running and waiting (VerificationBusyError beyond). @default concurrency 2, queue 64 */
  queue?: VerificationQueue;
  /** Checks a token against its stored hash; tests count the (slow) calls. @default verifySecret */
  verify?: (secret: string, storedHash: string) => Promise<boolean>;
}

/**
 * Turns `Authorization: Bearer <token>` into a caller. A verdict (good or bad) is reused for
 * `ttlMs`, or until a change notice (`forgetToken`, `forgetOrganization`) says the token or its
 * organization went, keyed by a digest so the cache never holds a token in clear; concurrent
 * requests with the same token share one scrypt verification, and verifications run in a
 * bounded queue, so a token-guessing flood is refused (VerificationBusyError) instead of
 * delaying the callers whose verdict is cached, who never enter the queue.
 */
export class TokenVerifier {
  private readonly verdicts: LRUCache<string, Verdict>;
  private readonly pending = new Map<string, Promise<Verdict>>();
  /** Bumped by every forget: a verification that was in flight then must not be cached. */
  private generation = 0;
  readonly queue: VerificationQueue;
  private readonly verifySecret: (secret: string, storedHash: string) => Promise<boolean>;

  constructor(
    private readonly db: Queryable,
    options: TokenVerifierOptions,
  ) {
    this.verdicts = new LRUCache<string, Verdict>({ max: options.maxEntries ?? 10_000, ttl: options.ttlMs });
    this.queue = options.queue ?? new VerificationQueue();
    this.verifySecret = options.verify ?? verifySecret;
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
      const generation = this.generation;
      const lookup: Promise<Verdict> = this.lookup(token)
        .then((verdict) => {
          if (generation === this.generation) this.verdicts.set(key, verdict);
          return verdict;
        })
        .finally(() => {
          if (this.pending.get(key) === lookup) this.pending.delete(key);
        });
      pending = lookup;
      this.pending.set(key, pending);
    }
    return (await pending).caller;
  }

  /** The token was revoked: refuse it from its next request on. */
  forgetToken(tokenId: string): void {
    this.forgetWhere((caller) => caller.subject === tokenSubject(tokenId));
  }

  /** The organization was deleted: refuse its tokens from their next request on. */
  forgetOrganization(organizationId: string): void {
    this.forgetWhere((caller) => caller.organizationIds.includes(organizationId));
  }

  /** Change notices were missed: verify every token again. */
  forgetAll(): void {
    this.generation++;
    this.verdicts.clear();
    this.pending.clear();
  }

  private forgetWhere(matches: (caller: CallerContext) => boolean): void {
    this.generation++;
    // Revocations are rare and the cache is bounded: a scan costs less than an index kept in step.
    const gone: string[] = [];
    for (const [key, verdict] of this.verdicts.entries()) if (verdict.caller && matches(verdict.caller)) gone.push(key);
    for (const key of gone) this.verdicts.delete(key);
    this.pending.clear();
  }

  private async lookup(token: string): Promise<Verdict> {
    const owner = await authenticateToken(this.db, token, (secret, hash) => this.queue.run(() => this.verifySecret(secret, hash)));
    return owner ? { caller: { subject: tokenSubject(owner.tokenId), organizationIds: [owner.organizationId], role: owner.role } } : { caller: null };
  }
}
