/**
 * What one ingest worker saw of each cluster since its last flush. Requests only touch memory;
 * `IngestStatusFlusher` turns a batch into one database statement per cluster. Merging two
 * batches (a failed flush put back, or the same cluster on another replica) is order-free:
 * timestamps take the maximum, counts add up, the newer error wins.
 */
export interface ClusterBatch {
  /** Newest accepted sample timestamp, ms. */
  lastSampleAt?: number;
  /** When the last write was accepted, ms. */
  lastReceivedAt?: number;
  lastError?: { message: string; at: number };
  /** Samples by outcome: `accepted`, or the reason they were dropped. */
  samples: Map<string, number>;
}

export const ACCEPTED = 'accepted';

/** The receiving side the ingest server reports to; a no-op one keeps tests without a database simple. */
export interface IngestStatusRecorder {
  accepted(tenant: string, samples: number, newestSampleAt: number | undefined, at: number): void;
  dropped(tenant: string, reason: string, samples: number): void;
  refused(tenant: string, message: string, at: number): void;
}

export class IngestStatusAccumulator implements IngestStatusRecorder {
  private batches = new Map<string, ClusterBatch>();

  accepted(tenant: string, samples: number, newestSampleAt: number | undefined, at: number): void {
    const batch = this.batch(tenant);
    batch.lastReceivedAt = max(batch.lastReceivedAt, at);
    batch.lastSampleAt = max(batch.lastSampleAt, newestSampleAt);
    add(batch.samples, ACCEPTED, samples);
  }

  dropped(tenant: string, reason: string, samples: number): void {
    add(this.batch(tenant).samples, reason, samples);
  }

  refused(tenant: string, message: string, at: number): void {
    const batch = this.batch(tenant);
    if (!batch.lastError || at >= batch.lastError.at) batch.lastError = { message, at };
  }

  get size(): number {
    return this.batches.size;
  }

  /** Takes everything recorded so far; what a failed write could not store goes back with `restore`. */
  take(): Map<string, ClusterBatch> {
    const taken = this.batches;
    this.batches = new Map();
    return taken;
  }

  restore(tenant: string, old: ClusterBatch): void {
    const batch = this.batch(tenant);
    batch.lastReceivedAt = max(batch.lastReceivedAt, old.lastReceivedAt);
    batch.lastSampleAt = max(batch.lastSampleAt, old.lastSampleAt);
    if (old.lastError) this.refused(tenant, old.lastError.message, old.lastError.at);
    for (const [outcome, count] of old.samples) add(batch.samples, outcome, count);
  }

  private batch(tenant: string): ClusterBatch {
    let batch = this.batches.get(tenant);
    if (!batch) {
      batch = { samples: new Map() };
      this.batches.set(tenant, batch);
    }
    return batch;
  }
}

function max(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}

function add(map: Map<string, number>, key: string, count: number): void {
  if (count > 0) map.set(key, (map.get(key) ?? 0) + count);
}
