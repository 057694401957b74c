import type { Queryable } from '../db/database';
import { isHourClosed, oldestHourReading } from './closing';

/**
 * Records that `cloudAccountId` was sent samples as old as `oldestSampleMs`, when a closed
 * hour's rollup reads it (its own hour, or the one before when the sample lies where that hour's
 * interval is measured across its end): every rollup from that hour on is recomputed before it is used again
 * (subgraphs/kubecost/rollups). Live traffic never writes here; replays and backfills write
 * once per request, and the mark only ever moves back in time.
 */
export async function markLateSamples(db: Queryable, cloudAccountId: string, oldestSampleMs: number, nowMs = Date.now()): Promise<boolean> {
  const hour = oldestHourReading(oldestSampleMs);
  if (!isHourClosed(hour, nowMs)) return false;
  await db.query(
    `INSERT INTO kubecost_rollup_state (cloud_account_id, stale_from)
     SELECT id, $2 FROM cloud_accounts WHERE id = $1
     ON CONFLICT (cloud_account_id) DO UPDATE
       SET stale_from = LEAST(COALESCE(kubecost_rollup_state.stale_from, excluded.stale_from), excluded.stale_from)`,
    [cloudAccountId, new Date(hour)],
  );
  return true;
}
