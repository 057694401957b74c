import type { Database } from '../db/database';
import { addBillLinks, type BillLinkSums } from './bill-link-store';
import { billLinkOf, type BillLink } from './bill-links';

/*
 * Links of expenses imported before the importer kept them (migration 016 lists those
 * organizations): built once from the stored rows, the first time an organization's bill is
 * matched with its clusters.
 */

const done = new Set<string>();

/** Makes sure `organizationId`'s links cover every expense imported before they existed. */
export async function ensureBillLinks(db: Database, organizationId: string): Promise<void> {
  if (done.has(organizationId)) return;
  const pending = await db.query('SELECT 1 FROM expense_bill_links_pending WHERE organization_id = $1', [organizationId]);
  if (pending.length > 0) await backfill(db, organizationId);
  done.add(organizationId);
}

async function backfill(db: Database, organizationId: string): Promise<void> {
  await db.transaction(async (tx) => {
    // Another process may be at it: the second one finds the row gone and adds nothing.
    const [row] = await tx.query<{ imported_before: Date }>('SELECT imported_before FROM expense_bill_links_pending WHERE organization_id = $1 FOR UPDATE', [organizationId]);
    if (!row) return;
    // Tags only matter when they may name a cluster: the rest group by resource alone.
    const groups = await tx.query<{ cloud_account_id: string; resource_id: string | null; tags: Record<string, unknown> | null; start: Date; end: Date; billed: string; effective: string; rows: string }>(
      `SELECT cloud_account_id, resource_id, CASE WHEN tags::text ILIKE '%cluster%' THEN tags END AS tags,
              charge_period_start AS start, charge_period_end AS "end",
              sum(billed_cost)::text AS billed, sum(effective_cost)::text AS effective, count(*) AS rows
         FROM expenses
        WHERE organization_id = $1 AND imported_at < $2 AND (resource_id IS NOT NULL OR tags::text ILIKE '%cluster%')
        GROUP BY 1, 2, 3, 4, 5`,
      [organizationId, row.imported_before],
    );
    const sums: BillLinkSums[] = [];
    const rowKeys = new Map<string, [resourceId: string | null, tags: string | null, link: BillLink]>();
    for (const g of groups) {
      const tags = typeof g.tags === 'string' ? (JSON.parse(g.tags) as Record<string, unknown>) : g.tags;
      const link = billLinkOf(g.resource_id, tags);
      if (!link) continue;
      sums.push({ cloudAccountId: g.cloud_account_id, link, startMs: new Date(g.start).getTime(), endMs: new Date(g.end).getTime(), billed: g.billed, effective: g.effective, rows: Number(g.rows) });
      const tagText = tags === null ? null : JSON.stringify(tags);
      rowKeys.set(`${g.resource_id}\0${tagText}`, [g.resource_id, tagText, link]);
    }
    await addBillLinks(tx, organizationId, sums);
    // Each row keeps its keys too (what Expense.kubernetesCluster and the KUBERNETES_CLUSTER breakdown read).
    const keyed = [...rowKeys.values()];
    for (let start = 0; start < keyed.length; start += 5_000) {
      const batch = keyed.slice(start, start + 5_000);
      await tx.query(
        `UPDATE expenses e SET bill_resource_key = u.resource_key, bill_cluster_key = u.cluster_key
           FROM unnest($3::text[], $4::jsonb[], $5::text[], $6::text[]) AS u (resource_id, tags, resource_key, cluster_key)
          WHERE e.organization_id = $1 AND e.imported_at < $2 AND e.resource_id IS NOT DISTINCT FROM u.resource_id
            AND (CASE WHEN e.tags::text ILIKE '%cluster%' THEN e.tags END) IS NOT DISTINCT FROM u.tags`,
        [organizationId, row.imported_before, batch.map(([id]) => id), batch.map(([, tags]) => tags), batch.map(([, , l]) => l.resourceKey), batch.map(([, , l]) => l.clusterKey)],
      );
    }
    await tx.query('DELETE FROM expense_bill_links_pending WHERE organization_id = $1', [organizationId]);
  });
}
