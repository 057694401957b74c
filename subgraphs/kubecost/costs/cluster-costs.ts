import type { Promql } from '../promql/thanos-client';
import { tenantSelector } from '../promql/matchers';
import { ASSET_CATEGORIES, efficiencyQuery, namespaceCostQuery, unclaimedVolumesQuery, type AssetCategory } from './queries';
import { addNetwork, type PieceCosts } from './pieces';
import type { QueryBudget } from './query-budget';
import { loadRangePieces, type RangePiecesOptions } from './range-pieces';
import { DEFAULT_SCRAPE_INTERVAL_SECONDS } from './scrape-interval';
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

const OBJECTS: Record<AssetCategory, string> = {
  cpu: 'node',
  ram: 'node',
  gpu: 'node',
  persistentVolumes: 'persistent volume',
  loadBalancers: 'load balancer',
  clusterManagement: 'management fee series',
};

/** Pieces summed into money; network is null (unknown) when no piece had egress counters. */
function sumPieces(pieces: readonly PieceCosts[]): CostBreakdown {
  const breakdown = emptyBreakdown();
  for (const piece of pieces) {
    for (const category of ASSET_CATEGORIES) breakdown[category] += piece.costs[category];
    breakdown.network = addNetwork(breakdown.network, piece.network);
  }
  return breakdown;
}

/** Hours priced at the default interval because the cluster's could not be measured there. */
function intervalWarnings(pieces: readonly PieceCosts[]): string[] {
  const hours = pieces.reduce((sum, piece) => sum + piece.intervalAssumed, 0);
  if (hours === 0) return [];
  return [
    `The cluster's scrape interval could not be measured in ${hours} hour${hours === 1 ? '' : 's'} of this range; running time there assumes ${DEFAULT_SCRAPE_INTERVAL_SECONDS} s per sample.`,
  ];
}

/**
 * What was left out, in words. Pieces count objects per hour; the most in any hour is what the
 * range left out at least (one bad series stays one node, not one per hour it was bad in).
 */
function nonFiniteWarnings(pieces: readonly PieceCosts[]): string[] {
  const most = new Map<AssetCategory, number>();
  for (const piece of pieces) {
    for (const [category, count] of Object.entries(piece.nonFinite) as Array<[AssetCategory, number]>) most.set(category, Math.max(most.get(category) ?? 0, count));
  }
  return ASSET_CATEGORIES.filter((c) => most.has(c)).map((category) => {
    const count = most.get(category)!;
    return `${category}: ${count} ${OBJECTS[category]}${count === 1 ? '' : 's'} left out, a price or quantity in this range is NaN or infinite.`;
  });
}

/**
 * Costs of a batch of clusters over one range: the sum of its hourly pieces (pieces.ts), closed
 * hours from the rollup store when there is one. At most two PromQL requests whatever the batch
 * size, one whatever the range's length once its closed hours are rolled up.
 */
export async function loadClusterCosts(
  client: Promql,
  ids: readonly string[],
  from: Date,
  to: Date,
  options: RangePiecesOptions = {},
): Promise<Map<string, ClusterCostData>> {
  const range = await loadRangePieces(client, ids, from.getTime(), to.getTime(), undefined, options);
  const result = new Map<string, ClusterCostData>();
  for (const id of ids) {
    const pieces = range.costs.get(id)!;
    const breakdown = sumPieces(pieces);
    const warnings = [...intervalWarnings(pieces), ...nonFiniteWarnings(pieces)];
    const lastSampleMs = range.lastSampleMs.get(id) ?? null;
    result.set(id, {
      cloudAccountId: id,
      breakdown,
      totalCost: breakdownTotal(breakdown),
      lastSampleAt: lastSampleMs === null ? null : new Date(lastSampleMs),
      capacityComplete: pieces.every((p) => p.capacityMissing === 0),
      warnings,
    });
  }
  return result;
}

export async function loadNamespaceCosts(client: Promql, ids: readonly string[], from: Date, to: Date, budget?: QueryBudget): Promise<Map<string, NamespaceCostData[]>> {
  const window = costWindow(from, to);
  // Integrated point by point over the whole range: every hour is asked of PromQL.
  budget?.charge(ids.length * window.hours);
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

export async function loadNamespaceUsage(client: Promql, ids: readonly string[], from: Date, to: Date, budget?: QueryBudget): Promise<Map<string, NamespaceUsage[]>> {
  const window = costWindow(from, to);
  budget?.charge(ids.length * window.hours);
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

export async function loadUnclaimedVolumes(client: Promql, ids: readonly string[], to: Date, now = Date.now()): Promise<Map<string, UnclaimedVolume[]>> {
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
 * Costs per UTC hour or day, for charts: each bucket sums its hourly pieces (the first and last
 * clipped to the range), so a bucket costs what a query for that bucket alone would and the
 * buckets add up to the range's total. The same requests as loadClusterCosts.
 */
export async function loadCostSeries(
  client: Promql,
  ids: readonly string[],
  from: Date,
  to: Date,
  stepSeconds: number,
  options: RangePiecesOptions = {},
): Promise<Map<string, CostPointData[]>> {
  const stepMs = stepSeconds * 1000;
  const buckets = seriesBuckets(from.getTime(), to.getTime(), stepMs);
  const range = await loadRangePieces(client, ids, from.getTime(), to.getTime(), stepMs, options);
  // Hours and days both start on hour boundaries, and closed hours are grouped by bucket: every
  // part falls in exactly one bucket.
  let b = 0;
  const bucketOf = range.parts.map((piece) => {
    while (piece.startMs >= buckets[b].endMs) b++;
    return b;
  });
  const result = new Map<string, CostPointData[]>();
  for (const id of ids) {
    const pieces = range.costs.get(id)!;
    const grouped = buckets.map(() => [] as PieceCosts[]);
    pieces.forEach((piece, i) => grouped[bucketOf[i]].push(piece));
    result.set(
      id,
      grouped.map((group, i) => {
        const breakdown = sumPieces(group);
        return { start: new Date(buckets[i].startMs), breakdown, totalCost: breakdownTotal(breakdown) };
      }),
    );
  }
  return result;
}
