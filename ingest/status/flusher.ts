import type { Queryable } from '../../lib/db/database';
import type { Logger } from '../../lib/log';
import type { ClusterBatch, IngestStatusAccumulator } from './accumulator';

/** Minute buckets older than this are pruned: "the last hour" plus a margin for late flushes. */
const KEEP_COUNTS_MS = 65 * 60_000;

/**
 * One statement per cluster: merge the status row, add the counts to this minute's bucket and
 * prune that cluster's old buckets. Additive and GREATEST-based, so replicas flushing the same
 * cluster in any order end with the same row.
 */
const UPSERT = `
WITH status AS (
  INSERT INTO ingest_status AS s (cloud_account_id, last_sample_at, last_received_at, last_error, last_error_at)
  VALUES ($1::uuid, to_timestamp($2::float8 / 1000), to_timestamp($3::float8 / 1000), $4::text, to_timestamp($5::float8 / 1000))
  ON CONFLICT (cloud_account_id) DO UPDATE SET
    last_sample_at = GREATEST(s.last_sample_at, EXCLUDED.last_sample_at),
    last_received_at = GREATEST(s.last_received_at, EXCLUDED.last_received_at),
    last_error = CASE WHEN EXCLUDED.last_error_at IS NOT NULL AND (s.last_error_at IS NULL OR EXCLUDED.last_error_at >= s.last_error_at)
                      THEN EXCLUDED.last_error ELSE s.last_error END,
    last_error_at = GREATEST(s.last_error_at, EXCLUDED.last_error_at)
), counts AS (
  INSERT INTO ingest_sample_counts AS c (cloud_account_id, minute, outcome, samples)
  SELECT $1::uuid, to_timestamp($6::float8 / 1000), key, value::bigint FROM jsonb_each_text($7::jsonb)
  ON CONFLICT (cloud_account_id, minute, outcome) DO UPDATE SET samples = c.samples + EXCLUDED.samples
)
DELETE FROM ingest_sample_counts WHERE cloud_account_id = $1::uuid AND minute < to_timestamp($8::float8 / 1000)`;

export interface IngestStatusFlusherOptions {
  /** Longest time between writes. @default 5000 */
  intervalMs: number;
  now?: () => number;
  /** Called with each failed cluster write, for the failure counter. */
  onFailure?: () => void;
}

/**
 * Writes the accumulator to the database at most once per interval, never on the request path:
 * ingest answers from memory whether or not the database is there. A failed write is logged,
 * counted and its batch put back for the next flush.
 */
export class IngestStatusFlusher {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly now: () => number;

  constructor(
    private readonly db: Queryable,
    private readonly accumulator: IngestStatusAccumulator,
    private readonly logger: Logger,
    private readonly options: IngestStatusFlusherOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    // A timer that does not keep the process alive; close() does the last flush.
    this.timer = setInterval(() => void this.flush(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Writes what has accumulated; a flush already under way is awaited instead of overlapping it. */
  flush(): Promise<void> {
    this.running ??= this.write().finally(() => (this.running = undefined));
    return this.running;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.flush();
  }

  private async write(): Promise<void> {
    if (this.accumulator.size === 0) return;
    const batches = this.accumulator.take();
    const now = this.now();
    const minute = now - (now % 60_000);
    for (const [tenant, batch] of batches) {
      try {
        await this.db.query(UPSERT, params(tenant, batch, minute, minute - KEEP_COUNTS_MS));
      } catch (error) {
        this.accumulator.restore(tenant, batch);
        this.options.onFailure?.();
        this.logger.warn({ err: error, tenant }, 'ingest status write failed; retrying on the next flush');
      }
    }
  }
}

function params(tenant: string, batch: ClusterBatch, minute: number, pruneBefore: number): unknown[] {
  return [
    tenant,
    batch.lastSampleAt ?? null,
    batch.lastReceivedAt ?? null,
    batch.lastError?.message ?? null,
    batch.lastError?.at ?? null,
    minute,
    JSON.stringify(Object.fromEntries(batch.samples)),
    pruneBefore,
  ];
}
