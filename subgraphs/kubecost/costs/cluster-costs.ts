import type { ThanosClient, VectorPoint } from '../promql/thanos-client';
import { tenantSelector } from '../promql/matchers';
import { ASSET_CATEGORIES, clusterCostQuery, efficiencyQuery, namespaceCostQuery, seriesPartialQuery, seriesQuery, unclaimedVolumesQuery, type AssetCategory } from './queries';
import { costWindow, seriesBuckets } from './window';

export interface CostBreakdown {
  cpu: number;
  ram: number;
  gpu: number;
  persistentVolumes: number;
  /** null when the cluster sends no egress metrics: unknown, not free. */
  network: number | null;
  loadBalancers: number;
  clusterManagement: number;
}

export interface ClusterCostData {
  cloudAccountId: string;
  breakdown: CostBreakdown;
  totalCost: number;
  lastSampleAt: Date | null;
  /**
   * False when some node had a price but no CPU or memory capacity in the window: its asset
   * cost is unknown (counted as 0), so idle cost is unknown too (not negative, not 0).
   */
  capacityComplete: boolean;
}

export interface NamespaceCostData {
  namespace: string;
  cpu: number;
  ram: number;
  gpu: number;
  persistentVolumes: number;
  loadBalancers: number;
  totalCost: number;
}

/** Used and requested resources over the window: core-hours and byte-hours. */
export interface NamespaceUsage {
  namespace: string;
  cpuUsage: number | null;
  cpuRequest: number | null;
  ramUsage: number | null;
  ramRequest: number | null;
}

export const IDLE_NAMESPACE = '__idle__';

const emptyBreakdown = (): CostBreakdown => ({ cpu: 0, ram: 0, gpu: 0, persistentVolumes: 0, network: null, loadBalancers: 0, clusterManagement: 0 });

export function breakdownTotal(b: CostBreakdown): number {
  return b.cpu + b.ram + b.gpu + b.persistentVolumes + (b.network ?? 0) + b.loadBalancers + b.clusterManagement;
}

/** NaN and ±Inf (bad price samples, empty joins) never become money. */
const finite = (value: number) => (Number.isFinite(value) ? value : 0);

function byTenant(points: VectorPoint[]): Map<string, VectorPoint[]> {
  const grouped = new Map<string, VectorPoint[]>();
  for (const point of points) {
    const tenant = point.labels.tenant_id;
    if (!tenant) continue;
    const list = grouped.get(tenant) ?? [];
    list.push(point);
    grouped.set(tenant, list);
  }
  return grouped;
}

/** Egress GiB by kind × its price; the exporter labels each pod's traffic internet / same_region / same_zone. */
function networkCost(points: VectorPoint[]): number | null {
  const egress = points.filter((p) => p.labels.category === 'egress_bytes');
  if (egress.length === 0) return null;
  const price = (kind: string) => finite(points.find((p) => p.labels.category === `egress_price_${kind}`)?.value ?? 0);
  let cost = 0;
  for (const point of egress) {
    const gib = finite(point.value) / 1073741824;
    const { internet, same_region: sameRegion, same_zone: sameZone } = point.labels;
    if (internet === 'true') cost += gib * price('internet');
    else if (sameRegion === 'false') cost += gib * price('region');
    else if (sameZone === 'false') cost += gib * price('zone');
  }
  return cost;
}

/** Costs of a batch of clusters over one window: one PromQL request, whatever the batch size. */
export async function loadClusterCosts(client: ThanosClient, ids: readonly string[], from: Date, to: Date): Promise<Map<string, ClusterCostData>> {
  const window = costWindow(from, to);
  const points = await client.instant(clusterCostQuery(tenantSelector(ids), window), window.evalMs);
  const grouped = byTenant(points);
  const result = new Map<string, ClusterCostData>();
  for (const id of ids) {
    const mine = grouped.get(id) ?? [];
    const breakdown = emptyBreakdown();
    for (const point of mine) {
      const category = point.labels.category as AssetCategory;
      if ((ASSET_CATEGORIES as readonly string[]).includes(category)) breakdown[category] = finite(point.value);
    }
    breakdown.network = networkCost(mine);
    const last = mine.find((p) => p.labels.category === 'last_sample');
    const missing = mine.find((p) => p.labels.category === 'capacity_missing');
    result.set(id, {
      cloudAccountId: id,
      breakdown,
      totalCost: breakdownTotal(breakdown),
      lastSampleAt: last && Number.isFinite(last.value) ? new Date(Math.round(last.value * 1000)) : null,
      capacityComplete: !missing || missing.value === 0,
    });
  }
  return result;
}

export async function loadNamespaceCosts(client: ThanosClient, ids: readonly string[], from: Date, to: Date): Promise<Map<string, NamespaceCostData[]>> {
  const window = costWindow(from, to);
  const points = await client.instant(namespaceCostQuery(tenantSelector(ids), window), window.evalMs);
  const result = new Map<string, NamespaceCostData[]>(ids.map((id) => [id, []]));
  const rows = new Map<string, NamespaceCostData>();
  for (const point of points) {
    const tenant = point.labels.tenant_id;
    const namespace = point.labels.namespace ?? '';
    if (!result.has(tenant)) continue;
    const key = `${tenant}\0${namespace}`;
    let row = rows.get(key);
    if (!row) {
      row = { namespace, cpu: 0, ram: 0, gpu: 0, persistentVolumes: 0, loadBalancers: 0, totalCost: 0 };
      rows.set(key, row);
      result.get(tenant)!.push(row);
    }
    const category = point.labels.category as keyof Omit<NamespaceCostData, 'namespace' | 'totalCost'>;
    if (category in row) row[category] = finite(point.value);
  }
  for (const row of rows.values()) row.totalCost = row.cpu + row.ram + row.gpu + row.persistentVolumes + row.loadBalancers;
  return result;
}

export async function loadNamespaceUsage(client: ThanosClient, ids: readonly string[], from: Date, to: Date): Promise<Map<string, NamespaceUsage[]>> {
  const window = costWindow(from, to);
  const points = await client.instant(efficiencyQuery(tenantSelector(ids), window), window.evalMs);
  const result = new Map<string, NamespaceUsage[]>(ids.map((id) => [id, []]));
  const rows = new Map<string, NamespaceUsage>();
  for (const point of points) {
    const tenant = point.labels.tenant_id;
    if (!result.has(tenant)) continue;
    const namespace = point.labels.namespace ?? '';
    const key = `${tenant}\0${namespace}`;
    let row = rows.get(key);
    if (!row) {
      row = { namespace, cpuUsage: null, cpuRequest: null, ramUsage: null, ramRequest: null };
      rows.set(key, row);
      result.get(tenant)!.push(row);
    }
    const value = Number.isFinite(point.value) ? point.value : null;
    switch (point.labels.category) {
      case 'cpu_usage':
        row.cpuUsage = value;
        break;
      case 'cpu_request':
        row.cpuRequest = value;
        break;
      case 'ram_usage':
        row.ramUsage = value;
        break;
      case 'ram_request':
        row.ramRequest = value;
        break;
    }
  }
  return result;
}

export interface UnclaimedVolume {
  persistentVolume: string;
  hourlyCost: number;
}

export async function loadUnclaimedVolumes(client: ThanosClient, ids: readonly string[], to: Date, now = Date.now()): Promise<Map<string, UnclaimedVolume[]>> {
  // The volumes as they stand at the window's end, or now for a window reaching into the future
  // (nothing has been scraped there, so the end itself would find no volume at all).
  // "Now" is floored to the minute: a time that moves every millisecond would make each
  // request a new cache key, and repeats of an open window would never hit the result cache.
  const points = await client.instant(unclaimedVolumesQuery(tenantSelector(ids)), Math.min(to.getTime(), Math.floor(now / 60_000) * 60_000) - 1);
  const result = new Map<string, UnclaimedVolume[]>(ids.map((id) => [id, []]));
  for (const point of points) {
    result.get(point.labels.tenant_id)?.push({ persistentVolume: point.labels.persistentvolume ?? '', hourlyCost: finite(point.value) });
  }
  return result;
}

export interface CostPointData {
  start: Date;
  breakdown: CostBreakdown;
  totalCost: number;
}

/**
 * Asset costs per UTC hour or day, for charts. Whole buckets come from one range query; the
 * clipped first and last bucket (when the range does not start or end on a boundary) from one
 * instant query with `@`. Both use the window's own subquery points, so the buckets add up to
 * the cluster's total for the range. Two requests at most, whatever the number of clusters.
 */
export async function loadCostSeries(
  client: ThanosClient,
  ids: readonly string[],
  from: Date,
  to: Date,
  stepSeconds: number,
): Promise<Map<string, CostPointData[]>> {
  const window = costWindow(from, to);
  // Window resolutions divide an hour; a step can never be finer than one point.
  const resolution = Math.min(window.resolutionSeconds, stepSeconds);
  const stepMs = stepSeconds * 1000;
  const buckets = seriesBuckets(from.getTime(), to.getTime(), stepMs);
  const result = new Map<string, CostPointData[]>(
    ids.map((id) => [id, buckets.map((b) => ({ start: new Date(b.startMs), breakdown: emptyBreakdown(), totalCost: 0 }))]),
  );
  const whole = buckets.map((b, index) => ({ ...b, index })).filter((b) => b.endMs - b.startMs === stepMs);
  const partial = buckets.map((b, index) => ({ ...b, index })).filter((b) => b.endMs - b.startMs !== stepMs);
  const T = tenantSelector(ids);
  const set = (tenant: string, index: number, category: string, value: number) => {
    const points = result.get(tenant);
    if (points && index >= 0 && index < points.length && (ASSET_CATEGORIES as readonly string[]).includes(category)) {
      points[index].breakdown[category as AssetCategory] = finite(value);
    }
  };
  await Promise.all([
    whole.length === 0
      ? undefined
      : client.range(seriesQuery(T, stepSeconds, resolution), whole[0].endMs - 1, whole[whole.length - 1].endMs - 1, stepSeconds).then((series) => {
          for (const s of series) {
            for (const p of s.points) set(s.labels.tenant_id, whole[0].index + Math.round((p.time - (whole[0].endMs - 1)) / stepMs), s.labels.category, p.value);
          }
        }),
    partial.length === 0
      ? undefined
      : client.instant(seriesPartialQuery(T, partial, resolution), window.evalMs).then((points) => {
          for (const p of points) set(p.labels.tenant_id, partial[Number(p.labels.bucket)].index, p.labels.category, p.value);
        }),
  ]);
  for (const points of result.values()) for (const p of points) p.totalCost = breakdownTotal(p.breakdown);
  return result;
}
