import type { Queryable } from '../../lib/db/database';
import type { IngestMetrics } from '../metrics';

/**
 * The per-cluster gauges: newest sample and creation time. One series per live cluster and no
 * more: a refresh from the database sets every live cluster and removes the series of any
 * other (a deleted cluster's disappear on the next refresh).
 */
export class ClusterMetrics {
  /** The last-sample gauge's values, to keep it monotonic without reading prom-client's internals. */
  private readonly lastSample = new Map<string, number>();
  private readonly created = new Set<string>();

  constructor(private readonly metrics: IngestMetrics) {}

  sampleSeen(tenant: string, timestampMs: number): void {
    const seconds = timestampMs / 1000;
    const current = this.lastSample.get(tenant);
    if (current === undefined || seconds > current) {
      this.lastSample.set(tenant, seconds);
      this.metrics.clusterLastSample.set({ tenant }, seconds);
    }
  }

  /** Reads the live clusters and every replica's newest sample (the flushed status). */
  async refresh(db: Queryable): Promise<void> {
    const rows = await db.query<{ id: string; created: number; last_sample: number | null }>(
      `SELECT a.id, extract(epoch FROM a.created_at)::float8 AS created, extract(epoch FROM s.last_sample_at)::float8 AS last_sample
         FROM cloud_accounts a LEFT JOIN ingest_status s ON s.cloud_account_id = a.id
        WHERE a.type = 'kubernetes' AND a.deleted_at IS NULL`,
    );
    const live = new Set<string>();
    for (const row of rows) {
      live.add(row.id);
      this.created.add(row.id);
      this.metrics.clusterCreated.set({ tenant: row.id }, Number(row.created));
      if (row.last_sample !== null) this.sampleSeen(row.id, Number(row.last_sample) * 1000);
    }
    for (const tenant of [...this.created, ...this.lastSample.keys()]) {
      if (live.has(tenant)) continue;
      this.created.delete(tenant);
      this.lastSample.delete(tenant);
      this.metrics.clusterCreated.remove({ tenant });
      this.metrics.clusterLastSample.remove({ tenant });
    }
  }
}
