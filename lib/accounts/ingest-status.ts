import type { Queryable } from '../db/database';
import { isId } from './ids';

/** What ingest has recorded of one cluster (the API's `IngestStatus`, the CLI's `cluster status`). */
export interface IngestStatus {
  cloudAccountId: string;
  /** When ingest last accepted a write from the cluster; null when it never did. */
  lastReceivedAt: Date | null;
  /** Newest sample timestamp accepted (the cluster's clock). */
  lastSampleAt: Date | null;
  acceptedSamplesLastHour: number;
  /** Dropped samples of the last hour by reason, most first. */
  droppedSamplesLastHour: Array<{ reason: string; count: number }>;
  lastError: { message: string; at: Date } | null;
}

/** Whether a cluster is sending: a tagged state, so every consumer handles all three. */
export type ClusterSendingState = 'receiving' | 'stale' | 'never';

export function sendingState(status: Pick<IngestStatus, 'lastReceivedAt'>, now: number, staleAfterMs: number): ClusterSendingState {
  if (!status.lastReceivedAt) return 'never';
  return now - status.lastReceivedAt.getTime() > staleAfterMs ? 'stale' : 'receiving';
}

const ACCEPTED = 'accepted';

/**
 * The status of each cluster in `ids`, in two queries whatever their number; a cluster ingest
 * never heard from gets an empty status. Callers check ownership first: this reads any id.
 */
export async function loadIngestStatuses(db: Queryable, ids: readonly string[]): Promise<Map<string, IngestStatus>> {
  const valid = ids.filter(isId);
  const result = new Map<string, IngestStatus>();
  for (const id of valid) {
    result.set(id, { cloudAccountId: id, lastReceivedAt: null, lastSampleAt: null, acceptedSamplesLastHour: 0, droppedSamplesLastHour: [], lastError: null });
  }
  if (valid.length === 0) return result;
  const [rows, counts] = await Promise.all([
    db.query<{ cloud_account_id: string; last_received_at: Date | null; last_sample_at: Date | null; last_error: string | null; last_error_at: Date | null }>(
      `SELECT cloud_account_id, last_received_at, last_sample_at, last_error, last_error_at
         FROM ingest_status WHERE cloud_account_id = ANY($1::uuid[])`,
      [valid],
    ),
    db.query<{ cloud_account_id: string; outcome: string; samples: string | number }>(
      `SELECT cloud_account_id, outcome, sum(samples)::text AS samples
         FROM ingest_sample_counts
        WHERE cloud_account_id = ANY($1::uuid[]) AND minute >= now() - interval '1 hour'
        GROUP BY cloud_account_id, outcome
        ORDER BY cloud_account_id, sum(samples) DESC, outcome`,
      [valid],
    ),
  ]);
  for (const row of rows) {
    const status = result.get(row.cloud_account_id)!;
    status.lastReceivedAt = toDate(row.last_received_at);
    status.lastSampleAt = toDate(row.last_sample_at);
    status.lastError = row.last_error !== null && row.last_error_at ? { message: row.last_error, at: toDate(row.last_error_at)! } : null;
  }
  for (const row of counts) {
    const status = result.get(row.cloud_account_id)!;
    const count = Number(row.samples);
    if (row.outcome === ACCEPTED) status.acceptedSamplesLastHour = count;
    else status.droppedSamplesLastHour.push({ reason: row.outcome, count });
  }
  return result;
}

/** Both engines return timestamptz as Date; a string is tolerated rather than trusted to never happen. */
function toDate(value: Date | string | null): Date | null {
  if (value === null) return null;
  return value instanceof Date ? value : new Date(value);
}
