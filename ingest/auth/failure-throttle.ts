import { LRUCache } from 'lru-cache';

export interface FailureThrottleOptions {
  /** Failures a key may have in a row before it is refused; 0 disables the throttle. */
  burst: number;
  /** Failures a key earns back per minute. */
  perMinute: number;
  /** Keys remembered; the least recently failing are forgotten first. @default 100000 */
  maxKeys?: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * A token bucket of failed authentications per key (a remote address, a user name): each
 * failure takes a token, tokens come back at `perMinute`, and a key with no token left is
 * refused before any verification is spent on it. A dozen lines beat a dependency here; the
 * LRU bounds memory when a flood invents keys.
 */
export class FailureThrottle {
  private readonly buckets: LRUCache<string, Bucket>;
  private readonly now: () => number;

  constructor(private readonly options: FailureThrottleOptions) {
    this.buckets = new LRUCache({ max: options.maxKeys ?? 100_000 });
    this.now = options.now ?? Date.now;
  }

  /** Seconds until `key` may try again, or 0 when it may try now. */
  retryAfter(key: string): number {
    if (this.options.burst <= 0) return 0;
    const bucket = this.refilled(key);
    if (!bucket || bucket.tokens >= 1) return 0;
    return Math.max(1, Math.ceil(((1 - bucket.tokens) * 60) / this.options.perMinute));
  }

  failed(key: string): void {
    if (this.options.burst <= 0) return;
    const bucket = this.refilled(key) ?? { tokens: this.options.burst, updatedAt: this.now() };
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    this.buckets.set(key, bucket);
  }

  private refilled(key: string): Bucket | undefined {
    const bucket = this.buckets.get(key);
    if (!bucket) return undefined;
    const now = this.now();
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + ((now - bucket.updatedAt) / 60_000) * this.options.perMinute);
    bucket.updatedAt = now;
    return bucket;
  }
}
