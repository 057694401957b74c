import { IngestError } from './pipeline/errors';

/**
 * Per-tenant token bucket in samples per second. A request may overdraw a full bucket (so
 * one large batch is never refused forever); the debt is paid back before the next one.
 */
export class TenantRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updatedAt: number }>();

  constructor(
    private readonly samplesPerSecond: number,
    private readonly burstSeconds = 2,
    private readonly now: () => number = Date.now,
  ) {}

  take(tenant: string, samples: number): void {
    if (this.samplesPerSecond <= 0) return;
    const capacity = this.samplesPerSecond * this.burstSeconds;
    const now = this.now();
    const bucket = this.buckets.get(tenant) ?? { tokens: capacity, updatedAt: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.samplesPerSecond);
    bucket.updatedAt = now;
    this.buckets.set(tenant, bucket);
    if (bucket.tokens <= 0) {
      const retryAfter = Math.max(1, Math.ceil(-bucket.tokens / this.samplesPerSecond));
      throw new IngestError(429, `rate limit of ${this.samplesPerSecond} samples/s exceeded for this cluster`, { 'Retry-After': String(retryAfter) });
    }
    bucket.tokens -= samples;
  }
}

/**
 * Bounds the bytes held by requests in progress, so a flood is answered 503 (senders retry)
 * instead of being buffered until the process runs out of memory.
 */
export class InflightBytes {
  private current = 0;

  constructor(private readonly limit: number) {}

  get value(): number {
    return this.current;
  }

  acquire(bytes: number): () => void {
    if (this.current + bytes > this.limit && this.current > 0) {
      throw new IngestError(503, 'ingest is at capacity, retry later', { 'Retry-After': '1' });
    }
    this.current += bytes;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.current -= bytes;
      }
    };
  }
}
