import crypto from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { StoredClusterCredential } from '../../lib/accounts/cluster-credentials';
import { digest, verifySecret } from '../../lib/accounts/secret-hash';
import { VerificationBusyError, VerificationQueue } from '../../lib/accounts/verification-queue';
import { IngestError } from '../pipeline/errors';
import type { FailureThrottle } from './failure-throttle';

export type CredentialLookup = (cloudAccountId: string) => Promise<StoredClusterCredential | undefined>;

export interface ClusterAuthOptions {
  /** How long a looked-up credential is trusted before the database is asked again; bounds how
   * long a deleted account or rotated password keeps working if no change notice arrives. @default 30000 */
  credentialTtlMs?: number;
  /** @default 100000 */
  maxEntries?: number;
  /** Checks a password against a stored hash; tests count the (slow) calls. @default verifySecret */
  verify?: (secret: string, storedHash: string) => Promise<boolean>;
  /** Bounds the verifications running and waiting (429 beyond). @default concurrency 2, queue 64 */
  queue?: VerificationQueue;
  /** Failed attempts per remote address; unset: not throttled. */
  sourceThrottle?: FailureThrottle;
  /** Failed attempts per user name (cloud account id); unset: not throttled. */
  userThrottle?: FailureThrottle;
  /** Told of every refusal, for metrics. */
  onRefused?: (reason: AuthRefusal) => void;
}

/** Why a request was refused before it was authenticated. */
export type AuthRefusal = 'invalid' | 'queue_full' | 'source_throttled' | 'user_throttled';

const UNAUTHORIZED = { 'WWW-Authenticate': 'Basic realm="costgraph"' };

interface Presented {
  cloudAccountId: string;
  password: string;
}

/**
 * Reads the cluster's credential from the request: HTTP Basic (user name = cloud account id),
 * or `Authorization: Bearer <password>` with the account in `Cloud-Account-Id`. When both name
 * an account they must agree, so no header lets one cluster's password speak for another.
 */
export function readCredential(headers: Record<string, string | string[] | undefined>): Presented {
  const authorization = headers.authorization;
  const headerAccount = headers['cloud-account-id'];
  if (typeof authorization !== 'string') throw new IngestError(401, 'authentication required', UNAUTHORIZED);
  if (Array.isArray(headerAccount)) throw new IngestError(401, 'more than one Cloud-Account-Id header', UNAUTHORIZED);
  const [scheme, ...rest] = authorization.trim().split(/\s+/);
  const token = rest.join(' ');
  let presented: Presented;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new IngestError(401, 'malformed Basic credentials', UNAUTHORIZED);
    presented = { cloudAccountId: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    if (headerAccount !== undefined && headerAccount !== presented.cloudAccountId) {
      throw new IngestError(401, 'Cloud-Account-Id does not match the credential', UNAUTHORIZED);
    }
  } else if (/^bearer$/i.test(scheme)) {
    if (!headerAccount) throw new IngestError(401, 'Bearer credentials need a Cloud-Account-Id header', UNAUTHORIZED);
    presented = { cloudAccountId: headerAccount, password: token };
  } else {
    throw new IngestError(401, 'unsupported authorization scheme', UNAUTHORIZED);
  }
  if (presented.password === '') throw new IngestError(401, 'empty password', UNAUTHORIZED);
  return presented;
}

/**
 * Verifies cluster credentials against the stored scrypt hashes without a database round trip
 * per request. Credentials (account → stored hash) are cached for `credentialTtlMs`, or until a
 * change notice (`forget`) says the account was rotated or deleted. Verdicts are cached per
 * (account, password digest, stored hash): a verdict is a function of the password and the hash,
 * so it never goes stale; a rotation changes the hash and with it the key.
 *
 * What a flood of guesses can and cannot do:
 * - a credential already verified is answered from the cache: no throttle, no queue, no scrypt;
 * - every other attempt first passes the failure throttles (per remote address and per user
 *   name, 429), then waits for one of a bounded number of verification slots (429 when the
 *   queue is full), so guesses never occupy more of the thread pool than the bound;
 * - an unknown account is verified against a dummy hash through the same cache, throttles and
 *   queue as a known one: one scrypt each, so neither timing nor a 429 tells which exist.
 */
export class ClusterAuthenticator {
  private readonly credentials: LRUCache<string, { hash: string | null }>;
  /** Positive and negative verdicts apart, so a flood of failures never evicts a good credential. */
  private readonly accepted: LRUCache<string, true>;
  private readonly refused: LRUCache<string, true>;
  private readonly pending = new Map<string, Promise<string | null>>();
  private readonly pendingVerdicts = new Map<string, Promise<boolean>>();
  /** (account, password digest) pairs whose mismatch already caused a re-read, recently. */
  private readonly refreshed: LRUCache<string, true>;
  private readonly verifySecret: (secret: string, storedHash: string) => Promise<boolean>;
  /** Bumped by every `forget`: a lookup started before it must not refill the cache with what it read. */
  private generation = 0;
  readonly queue: VerificationQueue;

  constructor(
    private readonly lookup: CredentialLookup,
    private readonly options: ClusterAuthOptions = {},
  ) {
    const ttl = options.credentialTtlMs ?? 30_000;
    const max = options.maxEntries ?? 100_000;
    this.credentials = new LRUCache({ max, ttl });
    this.accepted = new LRUCache({ max });
    this.refused = new LRUCache({ max });
    this.refreshed = new LRUCache({ max, ttl: Math.min(ttl, 5_000) });
    this.verifySecret = options.verify ?? verifySecret;
    this.queue = options.queue ?? new VerificationQueue();
  }

  /**
   * Resolves to the authenticated tenant (cloud account id) or throws a 401/429/503 IngestError.
   * `source` is the sender's address, for the per-address failure throttle.
   */
  async authenticate(headers: Record<string, string | string[] | undefined>, source = ''): Promise<string> {
    let presented: Presented;
    try {
      presented = readCredential(headers);
    } catch (error) {
      this.options.onRefused?.('invalid');
      throw error;
    }
    const storedHash = (await this.storedHash(presented.cloudAccountId)) ?? DUMMY_HASH;
    if (this.accepted.has(verdictKey(presented, storedHash))) return presented.cloudAccountId;
    this.checkThrottles(presented, source);
    if (await this.matches(presented, storedHash)) return presented.cloudAccountId;
    // A password rotated since the credential was cached must work at once, not after the TTL:
    // on a mismatch, read the credential again. At most once per (account, password) every few
    // seconds, so repeating a wrong password costs nothing; a new wrong password costs one
    // primary-key read beside the scrypt run it already cost. Limiting re-reads per account
    // instead let one wrong password shortly before a rotation turn the new password away (401,
    // which a sender drops its data on) until the limit expired.
    const fresh = (await this.refreshedHash(presented)) ?? DUMMY_HASH;
    if (fresh !== storedHash && (await this.matches(presented, fresh))) return presented.cloudAccountId;
    this.options.sourceThrottle?.failed(source);
    this.options.userThrottle?.failed(userKey(presented));
    this.options.onRefused?.('invalid');
    throw new IngestError(401, 'invalid credentials', UNAUTHORIZED);
  }

  /** The account's password was rotated or the account deleted: read it again on its next request. */
  forget(cloudAccountId: string): void {
    this.generation++;
    this.credentials.delete(cloudAccountId);
    this.pending.delete(cloudAccountId);
  }

  /** Change notices were missed: read every account again. Verdicts stay valid (keyed by hash). */
  forgetAll(): void {
    this.generation++;
    this.credentials.clear();
    this.pending.clear();
  }

  private checkThrottles(presented: Presented, source: string): void {
    const bySource = this.options.sourceThrottle?.retryAfter(source) ?? 0;
    if (bySource > 0) this.throttled('source_throttled', bySource, 'too many failed authentications from this address');
    const byUser = this.options.userThrottle?.retryAfter(userKey(presented)) ?? 0;
    if (byUser > 0) this.throttled('user_throttled', byUser, 'too many failed authentications for this account');
  }

  private throttled(reason: AuthRefusal, retryAfterSeconds: number, message: string): never {
    this.options.onRefused?.(reason);
    throw new IngestError(429, `${message}, retry later`, { 'Retry-After': String(retryAfterSeconds) });
  }

  private async matches(presented: Presented, storedHash: string): Promise<boolean> {
    const key = verdictKey(presented, storedHash);
    if (this.accepted.has(key)) return true;
    if (this.refused.has(key)) return false;
    return this.verify(key, presented.password, storedHash);
  }

  private async refreshedHash(presented: Presented): Promise<string | null> {
    const key = `${presented.cloudAccountId}\0${digest(presented.password)}`;
    // Re-read recently for this password (maybe by a concurrent request): the cached hash, or the pending read, is fresh.
    if (!this.refreshed.has(key)) {
      this.refreshed.set(key, true);
      this.credentials.delete(presented.cloudAccountId);
    }
    return this.storedHash(presented.cloudAccountId);
  }

  /**
   * One scrypt run per (account, password, stored hash) at a time, in the bounded queue: after a
   * restart every sender's first requests arrive together, and each verification costs tens of
   * milliseconds of CPU and 16 MiB on the thread pool that snappy shares. Concurrent requests
   * await the same verdict. A verification that failed (not "wrong": failed) is not cached.
   */
  private verify(key: string, password: string, storedHash: string): Promise<boolean> {
    let inflight = this.pendingVerdicts.get(key);
    if (!inflight) {
      inflight = this.queue
        .run(() => this.verifySecret(password, storedHash))
        .then((ok) => {
          (ok ? this.accepted : this.refused).set(key, true);
          return ok;
        })
        .catch((error: unknown) => {
          if (error instanceof VerificationBusyError) this.throttled('queue_full', error.retryAfterSeconds, 'too many authentications in progress');
          throw error;
        })
        .finally(() => this.pendingVerdicts.delete(key));
      this.pendingVerdicts.set(key, inflight);
    }
    return inflight;
  }

  private async storedHash(cloudAccountId: string): Promise<string | null> {
    const cached = this.credentials.get(cloudAccountId);
    if (cached) return cached.hash;
    let inflight = this.pending.get(cloudAccountId);
    if (!inflight) {
      const generation = this.generation;
      const read: Promise<string | null> = this.lookup(cloudAccountId)
        .then((credential) => {
          const hash = credential?.secretHash ?? null;
          if (generation === this.generation) this.credentials.set(cloudAccountId, { hash });
          return hash;
        })
        .catch(() => {
          // The database is unreachable: the sender should retry, not drop its data.
          throw new IngestError(503, 'credential store unavailable', { 'Retry-After': '5' });
        })
        .finally(() => {
          if (this.pending.get(cloudAccountId) === read) this.pending.delete(cloudAccountId);
        });
      inflight = read;
      this.pending.set(cloudAccountId, read);
    }
    return inflight;
  }
}

function verdictKey(presented: Presented, storedHash: string): string {
  return `${presented.cloudAccountId}\0${digest(presented.password)}\0${storedHash}`;
}

/** User names are whatever a sender writes: bounded, so a long one cannot grow the throttle's memory. */
function userKey(presented: Presented): string {
  return presented.cloudAccountId.slice(0, 64);
}

const DUMMY_HASH = `scrypt$16384$8$1$${crypto.randomBytes(16).toString('base64url')}$${crypto.randomBytes(32).toString('base64url')}`;
