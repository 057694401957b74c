import type { Queryable } from '../../../lib/db/database';
import { HOUR_MS } from '../../../lib/cost-rollups/closing';

/*
 * A cluster's assets matched with the organization's bill, over the rolled-up hours of a range.
 *
 * The bill is the truth for what it covers. A bill row counts in a range when its charge period
 * starts in it (as in the organization's cloud cost); it covers the hours of its charge period.
 * An asset-hour is covered when a bill row of the asset's resource (lib/reconciliation) covers
 * that hour; its estimated cost is then what the cost model and the bill both count (the
 * overlap). The cluster's management fee and load balancers are covered, hour by hour, by rows
 * of the cluster's own resource and of load balancers tagged with the cluster.
 *
 * Hours that are not rolled up (a range's partial first and last hours, the hours still open)
 * stay estimated: bills arrive days late, and no row covers the last hours anyway.
 */

/** One asset whose resource the bill charges in the range. */
export interface MatchedAsset {
  kind: 'node' | 'volume';
  name: string;
  providerId: string;
  resourceKey: string;
  /** Hours of the range a bill row covers. */
  coveredHours: number;
  /** The cost model's estimate for those hours, and a node's split of it. */
  estimated: number;
  cpu: number;
  ram: number;
  gpu: number;
  /**
   * What the bill charged for the asset's resource in the range. A resource shared by several
   * assets (an Azure scale set and its nodes) is split among them by covered hours.
   */
  billed: number;
  /** The bill rows of the asset's resource in the range. */
  billRows: number;
}

export interface BillMatches {
  assets: MatchedAsset[];
  /** Nodes and volumes present in the range that no bill row of the range matched. */
  unmatchedAssets: number;
  management: { billed: number; estimated: number };
  loadBalancers: { billed: number; estimated: number };
}

export const noMatches = (): BillMatches => ({ assets: [], unmatchedAssets: 0, management: { billed: 0, estimated: 0 }, loadBalancers: { billed: 0, estimated: 0 } });

/** The bill rows of the range: of live accounts of the organization, starting in [from, to). */
const RANGE_LINKS = `
  SELECT l.* FROM expense_bill_links l JOIN cloud_accounts c ON c.id = l.cloud_account_id AND c.deleted_at IS NULL
   WHERE l.organization_id = $1 AND l.charge_period_start >= $3 AND l.charge_period_start < $4`;

/**
 * For clusters `ids` of `organizationId`, over [fromMs, toMs): their matched assets and
 * cluster-level matches. `clusterKeys` names each cluster's own resource as the bill does
 * (lib/reconciliation/bill-links.ts clusterKey), where known.
 */
export async function loadBillMatches(
  db: Queryable,
  organizationId: string,
  ids: readonly string[],
  fromMs: number,
  toMs: number,
  clusterKeys: ReadonlyMap<string, readonly string[]>,
): Promise<Map<string, BillMatches>> {
  const result = new Map(ids.map((id) => [id, noMatches()]));
  // Whole hours inside the range: a rolled-up hour that sticks out of it is not the range's.
  const firstHour = Math.ceil(fromMs / HOUR_MS) * HOUR_MS;
  const endHour = Math.floor(toMs / HOUR_MS) * HOUR_MS;
  if (ids.length === 0 || endHour <= firstHour) return result;
  const range = [organizationId, ids, new Date(fromMs), new Date(toMs), new Date(firstHour), new Date(endHour)];

  // Assets present in the range whose resource the range's bill names (few: a fleet's nodes and disks).
  const candidates = await db.query<{ id: string; cloud_account_id: string; kind: 'node' | 'volume'; name: string; provider_id: string; resource_key: string | null; billed: string | null; rows: string | null }>(
    `WITH links AS (${RANGE_LINKS} AND l.kind = 'resource')
     SELECT a.id, a.cloud_account_id, a.kind, a.name, a.provider_id, a.resource_key,
            (SELECT sum(billed_cost) FROM links l WHERE l.resource_key = a.resource_key)::float8 AS billed,
            (SELECT sum(row_count) FROM links l WHERE l.resource_key = a.resource_key) AS rows
       FROM kubecost_assets a
      WHERE a.cloud_account_id = ANY($2::uuid[]) AND a.kind IN ('node', 'volume') AND a.first_hour < $6 AND a.last_hour >= $5`,
    range,
  );
  const matchable = candidates.filter((a) => a.billed !== null);
  const covered = new Map<string, { hours: number; estimated: number; cpu: number; ram: number; gpu: number }>();
  if (matchable.length > 0) {
    const rows = await db.query<{ asset_id: string; hours: string; estimated: number; cpu: number; ram: number; gpu: number }>(
      `WITH links AS (${RANGE_LINKS} AND l.kind = 'resource'),
            matched AS (SELECT * FROM unnest($7::bigint[], $8::text[]) AS m (id, resource_key))
       SELECT x.asset_id, count(*) AS hours, sum(x.cost) AS estimated, sum(x.cpu) AS cpu, sum(x.ram) AS ram, sum(x.gpu) AS gpu
         FROM kubecost_hourly_asset_costs h
        CROSS JOIN LATERAL unnest(h.asset_ids, h.cpu, h.ram, h.gpu, h.cost) AS x (asset_id, cpu, ram, gpu, cost)
         JOIN matched m ON m.id = x.asset_id
        WHERE h.cloud_account_id = ANY($2::uuid[]) AND h.hour_start >= $5 AND h.hour_start < $6 AND h.asset_ids && $7::bigint[]
          AND EXISTS (SELECT 1 FROM links l WHERE l.resource_key = m.resource_key AND l.charge_period_start <= h.hour_start AND h.hour_start < l.charge_period_end)
        GROUP BY x.asset_id`,
      [...range, matchable.map((a) => a.id), matchable.map((a) => a.resource_key)],
    );
    for (const row of rows) covered.set(String(row.asset_id), { hours: Number(row.hours), estimated: Number(row.estimated), cpu: Number(row.cpu), ram: Number(row.ram), gpu: Number(row.gpu) });
  }

  // A resource's bill is shared by the assets it covers, by hours (an Azure scale set's nodes).
  const hoursByResource = new Map<string, number>();
  for (const asset of matchable) {
    const hours = covered.get(String(asset.id))?.hours ?? 0;
    hoursByResource.set(asset.resource_key!, (hoursByResource.get(asset.resource_key!) ?? 0) + hours);
  }
  for (const asset of candidates) {
    const mine = result.get(asset.cloud_account_id)!;
    const hours = covered.get(String(asset.id));
    if (!hours || hours.hours === 0) {
      mine.unmatchedAssets++;
      continue;
    }
    const share = hours.hours / hoursByResource.get(asset.resource_key!)!;
    mine.assets.push({
      kind: asset.kind,
      name: asset.name,
      providerId: asset.provider_id,
      resourceKey: asset.resource_key!,
      coveredHours: hours.hours,
      estimated: hours.estimated,
      cpu: hours.cpu,
      ram: hours.ram,
      gpu: hours.gpu,
      billed: Number(asset.billed) * share,
      billRows: Number(asset.rows),
    });
  }

  const pairs = [...clusterKeys].flatMap(([id, keys]) => (ids.includes(id) ? keys.map((key) => [id, key] as const) : []));
  if (pairs.length > 0) {
    const covers = (kind: string) =>
      `EXISTS (SELECT 1 FROM links l WHERE l.cloud_account_id = h.cloud_account_id AND l.kind = '${kind}' AND l.charge_period_start <= h.hour_start AND h.hour_start < l.charge_period_end)`;
    const rows = await db.query<{ cloud_account_id: string; billed_management: number | null; billed_lb: number | null; management: number | null; load_balancers: number | null }>(
      `WITH keys AS (SELECT DISTINCT * FROM unnest($7::uuid[], $8::text[]) AS k (cloud_account_id, cluster_key)),
            links AS (SELECT k.cloud_account_id, l.kind, l.charge_period_start, l.charge_period_end, l.billed_cost
                        FROM (${RANGE_LINKS} AND l.kind IN ('management', 'load-balancer')) l JOIN keys k USING (cluster_key)),
            billed AS (SELECT cloud_account_id, sum(billed_cost) FILTER (WHERE kind = 'management') AS management,
                              sum(billed_cost) FILTER (WHERE kind = 'load-balancer') AS load_balancers
                         FROM links GROUP BY 1),
            estimated AS (SELECT h.cloud_account_id, sum(h.cluster_management) FILTER (WHERE ${covers('management')}) AS management,
                                 sum(h.load_balancers) FILTER (WHERE ${covers('load-balancer')}) AS load_balancers
                            FROM kubecost_hourly_costs h
                           WHERE h.cloud_account_id = ANY($2::uuid[]) AND h.cloud_account_id IN (SELECT cloud_account_id FROM billed)
                             AND h.hour_start >= $5 AND h.hour_start < $6
                           GROUP BY 1)
       SELECT b.cloud_account_id, b.management::float8 AS billed_management, b.load_balancers::float8 AS billed_lb, e.management, e.load_balancers
         FROM billed b LEFT JOIN estimated e USING (cloud_account_id)`,
      [...range, pairs.map(([id]) => id), pairs.map(([, key]) => key)],
    );
    for (const row of rows) {
      const mine = result.get(row.cloud_account_id)!;
      mine.management = { billed: Number(row.billed_management ?? 0), estimated: Number(row.management ?? 0) };
      mine.loadBalancers = { billed: Number(row.billed_lb ?? 0), estimated: Number(row.load_balancers ?? 0) };
    }
  }
  return result;
}
