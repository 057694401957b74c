import type { Queryable } from '../db/database';
import type { BillLink } from './bill-links';

/** Bill rows of one account, link and charge period, summed (exact decimal texts). */
export interface BillLinkSums {
  cloudAccountId: string;
  link: BillLink;
  startMs: number;
  endMs: number;
  billed: string;
  effective: string;
  rows: number;
}

const BATCH = 5_000;

/**
 * Adds sums to `expense_bill_links` (migration 016), each to its group's. In the order given:
 * callers sort them, so that two imports adding to the same groups lock them in the same order.
 */
export async function addBillLinks(db: Queryable, organizationId: string, sums: readonly BillLinkSums[]): Promise<void> {
  if (sums.length === 0) return;
  await db.query(
    `INSERT INTO expense_bill_link_versions AS v (organization_id, version) VALUES ($1, 1)
     ON CONFLICT (organization_id) DO UPDATE SET version = v.version + 1`,
    [organizationId],
  );
  for (let start = 0; start < sums.length; start += BATCH) {
    const batch = sums.slice(start, start + BATCH);
    await db.query(
      `INSERT INTO expense_bill_links AS t
         (organization_id, cloud_account_id, kind, resource_key, cluster_key, charge_period_start, charge_period_end, billed_cost, effective_cost, row_count)
       SELECT $1::uuid, g.* FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::numeric[], $9::numeric[], $10::bigint[]) AS g
       ON CONFLICT (organization_id, resource_key, cluster_key, kind, charge_period_start, charge_period_end, cloud_account_id) DO UPDATE
         SET billed_cost = t.billed_cost + excluded.billed_cost,
             effective_cost = t.effective_cost + excluded.effective_cost,
             row_count = t.row_count + excluded.row_count`,
      [
        organizationId,
        batch.map((g) => g.cloudAccountId),
        batch.map((g) => g.link.kind),
        batch.map((g) => g.link.resourceKey ?? ''),
        batch.map((g) => g.link.clusterKey ?? ''),
        batch.map((g) => new Date(g.startMs).toISOString()),
        batch.map((g) => new Date(g.endMs).toISOString()),
        batch.map((g) => g.billed),
        batch.map((g) => g.effective),
        batch.map((g) => g.rows),
      ],
    );
  }
}
