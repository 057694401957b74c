import type { Promql, VectorPoint } from '../promql/thanos-client';
import { ASSET_CATEGORIES, assetCosts, NON_FINITE_LABEL, scrapeIntervalQuery, type AssetCategory } from './queries';
import { HOUR_MS } from '../../../lib/cost-rollups/closing';
import type { Bucket } from './window';

/*
 * A range's cost is the sum of the costs of its pieces: the range cut at every UTC hour. A
 * piece's asset cost is OpenCost's (average price × average quantity × running time) over the
 * piece alone, so the cost of a range does not depend on how it was asked for: adjacent ranges
 * add up, and a closed hour computed once (a rollup) stands for that hour in every range that
 * holds it. This is how Kubecost's ETL keeps long windows cheap, at the granularity of an hour.
 *
 * Asset costs are kept "per sample" (price × quantity × samples); the caller turns samples into
 * hours with the cluster's scrape interval measured over the whole range (scrape-interval.ts).
 *
 * Network cost is not cut into pieces: it is a counter's growth, and a counter that grew while
 * no sample reached the store (a gap of hours) shows that growth only between its samples on
 * either side of the gap, which a piece-by-piece `increase` would lose. It is the growth over
 * the whole range, in the same instant query as the open pieces.
 */

export interface PieceCosts {
  /** Price × quantity × samples per asset category (× interval / 3600 is money). */
  sampleCosts: Record<AssetCategory, number>;
  /** Objects of a category left out of this piece for a NaN or ±Inf price or quantity. */
  nonFinite: Partial<Record<AssetCategory, number>>;
  /** Nodes with a price but no CPU or memory capacity in this piece. */
  capacityMissing: number;
  /** The newest sample time within the last 5 minutes of the piece (the store's lookback), if any. */
  lastSampleMs: number | null;
  /** Samples of the busiest presence metric in the piece: 0 means the cluster sent nothing. */
  samples: number;
  /**
   * For a group of closed hours summed into one (combinePieces), the newest hour with samples,
   * whose last sample `lastSampleMs` is; null when none had any.
   */
  newestSampledHourMs?: number | null;
}

/**
 * Hours summed into one piece: costs and samples add up; of the objects left out, the most in
 * any hour (a lower bound of how many distinct objects were); capacity missing when missing in
 * any hour; the last sample of the newest hour that had samples.
 */
export function combinePieces(hours: ReadonlyArray<readonly [number, PieceCosts]>): PieceCosts {
  const combined: PieceCosts = { ...emptyPiece(), newestSampledHourMs: null };
  for (const [hour, piece] of hours) {
    for (const category of ASSET_CATEGORIES) combined.sampleCosts[category] += piece.sampleCosts[category];
    for (const [category, count] of Object.entries(piece.nonFinite) as Array<[AssetCategory, number]>) {
      combined.nonFinite[category] = Math.max(combined.nonFinite[category] ?? 0, count);
    }
    combined.capacityMissing = Math.max(combined.capacityMissing, piece.capacityMissing);
    combined.samples += piece.samples;
    if (piece.samples > 0 && (combined.newestSampledHourMs === null || hour > combined.newestSampledHourMs!)) {
      combined.newestSampledHourMs = hour;
      combined.lastSampleMs = piece.lastSampleMs;
    }
  }
  return combined;
}

export const emptyPiece = (): PieceCosts => ({
  sampleCosts: { cpu: 0, ram: 0, gpu: 0, persistentVolumes: 0, loadBalancers: 0, clusterManagement: 0 },
  nonFinite: {},
  capacityMissing: 0,
  lastSampleMs: null,
  samples: 0,
});

/** Metrics whose presence means the cluster is sending cost data. */
const PRESENCE = ['node_cpu_hourly_cost', 'node_total_hourly_cost', 'kubecost_cluster_management_cost', 'kubecost_cluster_info', 'pv_hourly_cost'];
const EGRESS_KINDS = ['internet', 'region', 'zone'] as const;
const GIB = 1073741824;

const tag = (expr: string, category: string) => `label_replace(${expr}, "category", "${category}", "", "")`;
/** One value per tenant over several metrics: each keeps its own label, or `or` would merge them. */
const perMetric = (expr: (metric: string) => string) =>
  `max by (tenant_id) (${PRESENCE.map((metric) => `label_replace(${expr(metric)}, "presence", "${metric}", "", "")`).join(' or ')})`;

/**
 * Everything a piece's cost needs, per tenant, for the piece of `lengthMs` whose last
 * millisecond is the evaluation time (or `at`, e.g. ` @ 1700000000.000`).
 */
export function pieceQuery(T: string, lengthMs: number, at = ''): string {
  // Half-open: a sample exactly at the piece's end belongs to the next piece.
  const range = `${lengthMs - 1}ms`;
  const priced = `max by (tenant_id, node) (max_over_time(node_cpu_hourly_cost{${T}}[${range}]${at}))`;
  const lacking = ['kube_node_status_capacity_cpu_cores', 'kube_node_status_capacity_memory_bytes'].map(
    (capacity) => `(${priced} unless on (tenant_id, node) max by (tenant_id, node) (max_over_time(${capacity}{${T}}[${range}]${at})))`,
  );
  const parts = [
    assetCosts(T, range, at),
    tag(`count by (tenant_id) (${lacking.join(' or ')})`, 'capacity_missing'),
    tag(perMetric((metric) => `max by (tenant_id) (timestamp(${metric}{${T}}${at}))`), 'last_sample'),
    tag(perMetric((metric) => `sum by (tenant_id) (count_over_time(${metric}{${T}}[${range}]${at}))`), 'samples'),
  ];
  return parts.join(' or ');
}

/** `@` for a piece [start, end): evaluated at its last millisecond. */
const pinnedTo = (piece: Bucket) => ` @ ${((piece.endMs - 1) / 1000).toFixed(3)}`;

const finite = (value: number) => (Number.isFinite(value) ? value : 0);
const isAssetCategory = (category: string | undefined): category is AssetCategory => (ASSET_CATEGORIES as readonly string[]).includes(category ?? '');

/** One tenant's points of one piece, as a PieceCosts. */
export function pieceFromPoints(points: readonly VectorPoint[], piece: Bucket): PieceCosts {
  const costs = emptyPiece();
  for (const point of points) {
    const { category } = point.labels;
    if (isAssetCategory(category)) {
      if (point.labels[NON_FINITE_LABEL] !== undefined) costs.nonFinite[category] = (costs.nonFinite[category] ?? 0) + point.value;
      else costs.sampleCosts[category] += finite(point.value);
      continue;
    }
    switch (category) {
      case 'capacity_missing':
        costs.capacityMissing = point.value;
        break;
      case 'last_sample': {
        // The lookback can reach back before a piece shorter than 5 minutes.
        const ms = Math.round(point.value * 1000);
        if (Number.isFinite(ms) && ms >= piece.startMs && ms < piece.endMs) costs.lastSampleMs = ms;
        break;
      }
      case 'samples':
        costs.samples = finite(point.value);
        break;
    }
  }
  return costs;
}

/**
 * The egress counters' growth over [fromMs, toMs] by kind, and the three egress prices. Both
 * ends belong to the range (and to the neighbouring ranges, which is right for differences),
 * and `increase` extrapolates to the range it is given, so a range 1 ms short would come out
 * 1 ms short.
 */
export function networkQuery(T: string, fromMs: number, toMs: number): string {
  const range = `${toMs - fromMs}ms`;
  const at = ` @ ${(toMs / 1000).toFixed(3)}`;
  return [
    // One counter per pod and kind, however many Prometheus replicas scraped it.
    tag(
      `sum by (tenant_id, internet, same_zone, same_region) (max by (tenant_id, namespace, pod_name, service, internet, same_zone, same_region) (increase(kubecost_pod_network_egress_bytes_total{${T}}[${range}]${at})))`,
      'egress_bytes',
    ),
    ...EGRESS_KINDS.map((kind) => tag(`max by (tenant_id) (avg_over_time(kubecost_network_${kind}_egress_cost{${T}}[${toMs - fromMs - 1}ms] @ ${((toMs - 1) / 1000).toFixed(3)}))`, `egress_price_${kind}`)),
  ].join(' or ');
}

/** Egress GiB by kind × its price (the exporter labels each pod's traffic internet / same_region / same_zone); null without counters. */
function networkCost(points: readonly VectorPoint[]): number | null {
  const egress = points.filter((p) => p.labels.category === 'egress_bytes');
  if (egress.length === 0) return null;
  const price = (kind: string) => finite(points.find((p) => p.labels.category === `egress_price_${kind}`)?.value ?? 0);
  let cost = 0;
  for (const point of egress) {
    const gib = finite(point.value) / GIB;
    const { internet, same_region: sameRegion, same_zone: sameZone } = point.labels;
    if (internet === 'true') cost += gib * price('internet');
    else if (sameRegion === 'false') cost += gib * price('region');
    else if (sameZone === 'false') cost += gib * price('zone');
  }
  return cost;
}

function groupByTenant<P extends { labels: Record<string, string> }>(points: readonly P[], ids: readonly string[]): Map<string, P[]> {
  const grouped = new Map<string, P[]>(ids.map((id) => [id, []]));
  for (const point of points) grouped.get(point.labels.tenant_id)?.push(point);
  return grouped;
}

/** Whole-hour steps per range request: well under Prometheus's 11,000 points per series. */
const MAX_STEPS = 5000;

/**
 * Whole UTC hours [fromMs, toMs) of a batch of clusters, by range query (one evaluation per
 * hour at its last millisecond): every sample is read once, however many hours. Every
 * (tenant, hour) gets a piece, empty when the cluster sent nothing then.
 */
export async function loadWholeHours(client: Promql, T: string, ids: readonly string[], fromMs: number, toMs: number): Promise<Map<string, Map<number, PieceCosts>>> {
  const result = new Map(ids.map((id) => [id, new Map<number, PieceCosts>()]));
  for (let start = fromMs; start < toMs; start += MAX_STEPS * HOUR_MS) {
    const end = Math.min(toMs, start + MAX_STEPS * HOUR_MS);
    const series = await client.range(pieceQuery(T, HOUR_MS), start + HOUR_MS - 1, end - 1, HOUR_MS / 1000);
    // Regroup the matrix as points per (tenant, hour).
    const byHour = new Map<string, Map<number, VectorPoint[]>>();
    for (const s of series) {
      const tenant = s.labels.tenant_id;
      if (!result.has(tenant)) continue;
      const hours = byHour.get(tenant) ?? new Map<number, VectorPoint[]>();
      byHour.set(tenant, hours);
      for (const p of s.points) {
        const hourStart = p.time + 1 - HOUR_MS;
        const list = hours.get(hourStart) ?? [];
        list.push({ labels: s.labels, value: p.value });
        hours.set(hourStart, list);
      }
    }
    for (const id of ids) {
      for (let hour = start; hour < end; hour += HOUR_MS) {
        result.get(id)!.set(hour, pieceFromPoints(byHour.get(id)?.get(hour) ?? [], { startMs: hour, endMs: hour + HOUR_MS }));
      }
    }
  }
  return result;
}

export interface DirectPieces {
  pieces: Map<string, PieceCosts[]>;
  /** Per tenant, the scrape interval measured at each instant (seconds). */
  intervals: Map<string, number[]>;
  /** Per tenant, the newest sample of the 5 minutes before `lastAtMs`. */
  lastSampleMs: Map<string, number>;
  /** Per tenant, egress cost over the whole range; null without egress counters. */
  network: Map<string, number | null>;
}

/**
 * What a range needs on every request, in one instant query: the pieces that are not rolled up
 * (partial hours, hours still open), each pinned to its own end with `@`; the scrape interval
 * measured at `intervalAtMs`; the newest sample at `lastAtMs`; the network cost of [fromMs, toMs].
 */
export async function loadDirectPieces(
  client: Promql,
  T: string,
  ids: readonly string[],
  pieces: readonly Bucket[],
  intervalAtMs: readonly number[],
  lastAtMs: number,
  range: Bucket,
): Promise<DirectPieces> {
  const parts = pieces.map((piece, i) => `label_replace(${pieceQuery(T, piece.endMs - piece.startMs, pinnedTo(piece))}, "piece", "${i}", "", "")`);
  if (intervalAtMs.length > 0) parts.push(scrapeIntervalQuery(T, intervalAtMs));
  const at = ` @ ${(lastAtMs / 1000).toFixed(3)}`;
  parts.push(tag(perMetric((metric) => `max by (tenant_id) (timestamp(${metric}{${T}}${at}))`), 'range_last_sample'));
  parts.push(networkQuery(T, range.startMs, range.endMs));
  const points = await client.instant(parts.join(' or '), range.endMs - 1);
  const result: DirectPieces = { pieces: new Map(), intervals: new Map(), lastSampleMs: new Map(), network: new Map() };
  for (const [id, mine] of groupByTenant(points, ids)) {
    result.intervals.set(
      id,
      mine.filter((p) => p.labels.interval !== undefined).map((p) => p.value),
    );
    result.pieces.set(
      id,
      pieces.map((piece, i) => pieceFromPoints(mine.filter((p) => p.labels.piece === String(i)), piece)),
    );
    const last = mine.find((p) => p.labels.category === 'range_last_sample' && p.labels.piece === undefined);
    if (last && Number.isFinite(last.value)) result.lastSampleMs.set(id, Math.round(last.value * 1000));
    result.network.set(id, networkCost(mine.filter((p) => p.labels.piece === undefined)));
  }
  return result;
}

/**
 * The exact time of the newest sample inside `piece` for tenants known to have sent there:
 * `timestamp()` of the raw series at every minute (each finds the newest sample of the last 5
 * minutes), the largest. Costly per step, so asked only for one piece of the few clusters that
 * stopped sending before a range's end.
 */
export async function loadLastSampleIn(client: Promql, T: string, ids: readonly string[], piece: Bucket): Promise<Map<string, number>> {
  const query = perMetric((metric) => `max by (tenant_id) (max_over_time(timestamp(${metric}{${T}})[${piece.endMs - piece.startMs - 1}ms:1m]${pinnedTo(piece)}))`);
  const result = new Map<string, number>();
  for (const point of await client.instant(query, piece.endMs - 1)) {
    const ms = Math.round(point.value * 1000);
    if (ids.includes(point.labels.tenant_id) && Number.isFinite(ms) && ms >= piece.startMs && ms < piece.endMs) result.set(point.labels.tenant_id, ms);
  }
  return result;
}
