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
    `WITH billed AS (SELECT l.resource_key, sum(l.billed_cost)::float8 AS billed, sum(l.row_count) AS rows
                       FROM (${RANGE_LINKS} AND l.kind = 'resource') l GROUP BY 1)
     SELECT a.id, a.cloud_account_id, a.kind, a.name, a.provider_id, a.resource_key, b.billed, b.rows
       FROM kubecost_assets a LEFT JOIN billed b ON b.resource_key = a.resource_key
      WHERE a.cloud_account_id = ANY($2::uuid[]) AND a.kind IN ('node', 'volume') AND a.first_hour < $6 AND a.last_hour >= $5`,
    range,
  );
  const matchable = candidates.filter((a) => a.billed !== null);
  const covered = new Map<string, { hours: number; estimated: number; cpu: number; ram: number; gpu: number }>();
  if (matchable.length > 0) {
    // Driven by the bill: each row of a matched resource names the hours it covers, and each
    // of those cluster-hours is read once with the matched assets it holds (a cluster's other
    // hours, and hours no row covers, are not read).
    const rows = await db.query<{ asset_id: string; hours: string; estimated: number; cpu: number; ram: number; gpu: number }>(
      `WITH matched AS (SELECT * FROM unnest($7::bigint[], $8::text[], $9::uuid[]) AS m (id, resource_key, cloud_account_id)),
            periods AS (SELECT DISTINCT l.resource_key, greatest(l.charge_period_start, $5) AS s, least(l.charge_period_end, $6) AS e
                          FROM (${RANGE_LINKS} AND l.kind = 'resource' AND l.resource_key IN (SELECT resource_key FROM matched)) l),
            covered AS (SELECT m.cloud_account_id, hour.start AS hour_start, array_agg(DISTINCT m.id) AS ids
                           FROM periods p JOIN matched m USING (resource_key)
                         CROSS JOIN LATERAL generate_series(date_trunc('hour', p.s + interval '59 minutes 59.999999 seconds'), p.e - interval '1 hour', interval '1 hour') AS hour (start)
                         WHERE m.cloud_account_id = ANY($2::uuid[])
                         GROUP BY 1, 2)
       SELECT x.asset_id, count(*) AS hours, sum(x.cost) AS estimated, sum(x.cpu) AS cpu, sum(x.ram) AS ram, sum(x.gpu) AS gpu
         FROM covered c
         JOIN kubecost_hourly_asset_costs h ON h.cloud_account_id = c.cloud_account_id AND h.hour_start = c.hour_start
        CROSS JOIN LATERAL unnest(h.asset_ids, h.cpu, h.ram, h.gpu, h.cost) AS x (asset_id, cpu, ram, gpu, cost)
        WHERE x.asset_id = ANY(c.ids)
        GROUP BY x.asset_id`,
      [...range, matchable.map((a) => a.id), matchable.map((a) => a.resource_key), matchable.map((a) => a.cloud_account_id)],
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
    const rows = await db.query<{ cloud_account_id: string; billed_management: number | null; billed_lb: number | null; management: number | null; load_balancers: number | null }>(
      `WITH keys AS (SELECT DISTINCT * FROM unnest($7::uuid[], $8::text[]) AS k (cloud_account_id, cluster_key)),
            links AS (SELECT k.cloud_account_id, l.kind, l.charge_period_start, l.charge_period_end, l.billed_cost
                        FROM (${RANGE_LINKS} AND l.kind IN ('management', 'load-balancer')) l JOIN keys k USING (cluster_key)
                       WHERE k.cloud_account_id = ANY($2::uuid[])),
            billed AS (SELECT cloud_account_id, sum(billed_cost) FILTER (WHERE kind = 'management') AS management,
                              sum(billed_cost) FILTER (WHERE kind = 'load-balancer') AS load_balancers
                         FROM links GROUP BY 1),
            -- The cluster-hours each kind of row covers, each once, read from the cluster's hours.
            covered AS (SELECT DISTINCT l.cloud_account_id, l.kind, hour.start AS hour_start
                          FROM links l
                         CROSS JOIN LATERAL generate_series(date_trunc('hour', greatest(l.charge_period_start, $5) + interval '59 minutes 59.999999 seconds'),
                                                            least(l.charge_period_end, $6) - interval '1 hour', interval '1 hour') AS hour (start)),
            estimated AS (SELECT c.cloud_account_id, sum(h.cluster_management) FILTER (WHERE c.kind = 'management') AS management,
                                 sum(h.load_balancers) FILTER (WHERE c.kind = 'load-balancer') AS load_balancers
                            FROM covered c JOIN kubecost_hourly_costs h ON h.cloud_account_id = c.cloud_account_id AND h.hour_start = c.hour_start
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
