import crypto from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { StoredClusterCredential } from '../../lib/accounts/cluster-credentials';
import { digest, verifySecret } from '../../lib/accounts/secret-hash';
import { IngestError } from '../pipeline/errors';

export type CredentialLookup = (cloudAccountId: string) => Promise<StoredClusterCredential | undefined>;

export interface ClusterAuthOptions {
  /** How long a looked-up credential is trusted before the database is asked again; bounds how
   * long a deleted account or rotated password keeps working. @default 30000 */
  credentialTtlMs?: number;
  /** @default 100000 */
  maxEntries?: number;
  /** Checks a password against a stored hash; tests count the (slow) calls. @default verifySecret */
  verify?: (secret: string, storedHash: string) => Promise<boolean>;
}

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
 * per request: credentials are cached for `credentialTtlMs` and verdicts are cached per
 * (account, password digest, stored hash), so a rotation invalidates them by changing the hash.
 */
export class ClusterAuthenticator {
  private readonly credentials: LRUCache<string, { hash: string | null }>;
  private readonly verdicts: LRUCache<string, boolean>;
  private readonly pending = new Map<string, Promise<string | null>>();
  private readonly pendingVerdicts = new Map<string, Promise<boolean>>();
  /** (account, password digest) pairs whose mismatch already caused a re-read, recently. */
  private readonly refreshed: LRUCache<string, true>;
  private readonly verifySecret: (secret: string, storedHash: string) => Promise<boolean>;

  constructor(
    private readonly lookup: CredentialLookup,
    options: ClusterAuthOptions = {},
  ) {
    const ttl = options.credentialTtlMs ?? 30_000;
    const max = options.maxEntries ?? 100_000;
    this.credentials = new LRUCache({ max, ttl });
    this.verdicts = new LRUCache({ max, ttl: ttl * 2 });
    this.refreshed = new LRUCache({ max, ttl: Math.min(ttl, 5_000) });
    this.verifySecret = options.verify ?? verifySecret;
  }

  /** Resolves to the authenticated tenant (cloud account id) or throws a 401/503 IngestError. */
  async authenticate(headers: Record<string, string | string[] | undefined>): Promise<string> {
    const presented = readCredential(headers);
    const storedHash = await this.storedHash(presented.cloudAccountId);
    if (storedHash === null) {
      // Spend comparable time on unknown accounts so response timing does not reveal which exist.
      await verifySecret(presented.password, DUMMY_HASH).catch(() => false);
      throw new IngestError(401, 'invalid credentials', UNAUTHORIZED);
    }
    if (await this.matches(presented, storedHash)) return presented.cloudAccountId;
    // A password rotated since the credential was cached must work at once, not after the TTL:
    // on a mismatch, read the credential again. At most once per (account, password) every few
    // seconds, so repeating a wrong password costs nothing; a new wrong password costs one
    // primary-key read beside the scrypt run it already cost. Limiting re-reads per account
    // instead let one wrong password shortly before a rotation turn the new password away (401,
    // which a sender drops its data on) until the limit expired.
    const fresh = await this.refreshedHash(presented);
    if (fresh && fresh !== storedHash && (await this.matches(presented, fresh))) return presented.cloudAccountId;
    throw new IngestError(401, 'invalid credentials', UNAUTHORIZED);
  }

  private async matches(presented: Presented, storedHash: string): Promise<boolean> {
    const key = `${presented.cloudAccountId}\0${digest(presented.password)}\0${storedHash}`;
    return this.verdicts.get(key) ?? (await this.verify(key, presented.password, storedHash));
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
   * One scrypt run per (account, password, stored hash) at a time: after a restart every
   * sender's first requests arrive together, and each verification costs tens of milliseconds
   * of CPU and 16 MiB on the thread pool that snappy shares. Concurrent requests await the same verdict.
   */
  private verify(key: string, password: string, storedHash: string): Promise<boolean> {
    let inflight = this.pendingVerdicts.get(key);
    if (!inflight) {
      inflight = this.verifySecret(password, storedHash)
        .then((ok) => {
          this.verdicts.set(key, ok);
          return ok;
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
      inflight = this.lookup(cloudAccountId)
        .then((credential) => {
          const hash = credential?.secretHash ?? null;
          this.credentials.set(cloudAccountId, { hash });
          return hash;
        })
        .catch(() => {
          // The database is unreachable: the sender should retry, not drop its data.
          throw new IngestError(503, 'credential store unavailable', { 'Retry-After': '5' });
        })
        .finally(() => this.pending.delete(cloudAccountId));
      this.pending.set(cloudAccountId, inflight);
    }
    return inflight;
  }
}

const DUMMY_HASH = `scrypt$16384$8$1$${crypto.randomBytes(16).toString('base64url')}$${crypto.randomBytes(32).toString('base64url')}`;
