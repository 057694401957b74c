import type { ThanosClient, VectorPoint } from '../promql/thanos-client';
import { tenantSelector } from '../promql/matchers';
import {
  ASSET_CATEGORIES,
  clusterCostQuery,
  efficiencyQuery,
  namespaceCostQuery,
  NON_FINITE_LABEL,
  seriesPartialQuery,
  seriesQuery,
  unclaimedVolumesQuery,
  type AssetCategory,
} from './queries';
import { DEFAULT_SCRAPE_INTERVAL_SECONDS, intervalInstants, scrapeIntervalSeconds } from './scrape-interval';
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
  /** What the numbers leave out or assume, in words (empty when nothing). */
  warnings: string[];
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

const isAssetCategory = (category: string | undefined): category is AssetCategory => (ASSET_CATEGORIES as readonly string[]).includes(category ?? '');

const OBJECTS: Record<AssetCategory, string> = {
  cpu: 'node',
  ram: 'node',
  gpu: 'node',
  persistentVolumes: 'persistent volume',
  loadBalancers: 'load balancer',
  clusterManagement: 'management fee series',
};

/**
 * One tenant's asset points (price × quantity × samples per category, objects left out for
 * non-finite inputs, the scrape interval measured at a few instants) turned into money.
 */
class AssetAccumulator {
  readonly sampleCosts = new Map<AssetCategory, number>();
  readonly nonFinite = new Map<AssetCategory, number>();
  readonly intervals: number[] = [];

  add(point: VectorPoint): void {
    const { category } = point.labels;
    if (point.labels.interval !== undefined) this.intervals.push(point.value);
    else if (!isAssetCategory(category)) return;
    else if (point.labels[NON_FINITE_LABEL] !== undefined) this.nonFinite.set(category, (this.nonFinite.get(category) ?? 0) + point.value);
    else this.sampleCosts.set(category, (this.sampleCosts.get(category) ?? 0) + finite(point.value));
  }

  /** The scrape interval, or the default with a warning when there was something to charge but no interval. */
  interval(warnings: string[]): number {
    const measured = scrapeIntervalSeconds(this.intervals);
    if (measured !== null) return measured;
    if ([...this.sampleCosts.values()].some((v) => v !== 0)) {
      warnings.push(`The cluster's scrape interval could not be measured in this range; running time assumes ${DEFAULT_SCRAPE_INTERVAL_SECONDS} s per sample.`);
    }
    return DEFAULT_SCRAPE_INTERVAL_SECONDS;
  }

  /** Fills `breakdown`'s asset categories; warnings for what was left out. */
  fill(breakdown: CostBreakdown, intervalSeconds: number, warnings: string[]): void {
    for (const [category, value] of this.sampleCosts) breakdown[category] = (value * intervalSeconds) / 3600;
    for (const [category, count] of this.nonFinite) {
      warnings.push(`${category}: ${count} ${OBJECTS[category]}${count === 1 ? '' : 's'} left out, a price or quantity in this range is NaN or infinite.`);
    }
  }
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
    const assets = new AssetAccumulator();
    for (const point of mine) assets.add(point);
    const warnings: string[] = [];
    assets.fill(breakdown, assets.interval(warnings), warnings);
    breakdown.network = networkCost(mine);
    const last = mine.find((p) => p.labels.category === 'last_sample');
    const missing = mine.find((p) => p.labels.category === 'capacity_missing');
    result.set(id, {
      cloudAccountId: id,
      breakdown,
      totalCost: breakdownTotal(breakdown),
      lastSampleAt: last && Number.isFinite(last.value) ? new Date(Math.round(last.value * 1000)) : null,
      capacityComplete: !missing || missing.value === 0,
      warnings,
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
 * instant query with `@`. Every bucket counts its own samples and uses the cluster's scrape
 * interval, measured over the whole range, so a bucket costs what a query for that bucket
 * alone would, and the buckets add up to the cluster's total for the range. Two requests at
 * most, whatever the number of clusters.
 */
export async function loadCostSeries(
  client: ThanosClient,
  ids: readonly string[],
  from: Date,
  to: Date,
  stepSeconds: number,
): Promise<Map<string, CostPointData[]>> {
  const window = costWindow(from, to);
  const stepMs = stepSeconds * 1000;
  const buckets = seriesBuckets(from.getTime(), to.getTime(), stepMs);
  const whole = buckets.map((b, index) => ({ ...b, index })).filter((b) => b.endMs - b.startMs === stepMs);
  const partial = buckets.map((b, index) => ({ ...b, index })).filter((b) => b.endMs - b.startMs !== stepMs);
  const instants = intervalInstants(window.fromMs, window.toMs);
  const T = tenantSelector(ids);
  const accumulators = new Map(ids.map((id) => [id, buckets.map(() => new AssetAccumulator())]));
  const intervals = new Map(ids.map((id) => [id, new AssetAccumulator()]));
  const add = (tenant: string, index: number | undefined, point: VectorPoint) => {
    if (point.labels.interval !== undefined) intervals.get(tenant)?.add(point);
    else if (index !== undefined) accumulators.get(tenant)?.[index]?.add(point);
  };
  await Promise.all([
    whole.length === 0
      ? undefined
      : client.range(seriesQuery(T, stepSeconds, instants), whole[0].endMs - 1, whole[whole.length - 1].endMs - 1, stepSeconds).then((series) => {
          for (const s of series) {
            // The interval is pinned with `@`: the same value at every step.
            if (s.labels.interval !== undefined) {
              if (s.points.length > 0) add(s.labels.tenant_id, undefined, { labels: s.labels, value: s.points[0].value });
              continue;
            }
            for (const p of s.points) add(s.labels.tenant_id, whole[0].index + Math.round((p.time - (whole[0].endMs - 1)) / stepMs), { labels: s.labels, value: p.value });
          }
        }),
    partial.length === 0
      ? undefined
      : client.instant(seriesPartialQuery(T, partial, whole.length === 0 ? instants : []), window.evalMs).then((points) => {
          for (const p of points) add(p.labels.tenant_id, p.labels.bucket === undefined ? undefined : partial[Number(p.labels.bucket)]?.index, p);
        }),
  ]);
  const result = new Map<string, CostPointData[]>();
  for (const id of ids) {
    const interval = intervals.get(id)!.interval([]);
    result.set(
      id,
      accumulators.get(id)!.map((acc, i) => {
        const breakdown = emptyBreakdown();
        acc.fill(breakdown, interval, []);
        return { start: new Date(buckets[i].startMs), breakdown, totalCost: breakdownTotal(breakdown) };
      }),
    );
  }
  return result;
}
