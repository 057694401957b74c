import { LRUCache } from 'lru-cache';
import type { Promql, VectorPoint } from '../promql/thanos-client';
import { ASSET_CATEGORIES, assetCosts, type AssetCategory } from './queries';
import { HOUR_MS, hourStartOf, isHourClosed } from '../../../lib/cost-rollups/closing';
import { DEFAULT_SCRAPE_INTERVAL_SECONDS, intervalEvaluationOf, intervalQuery, offsetFromEvaluation, pinnedForPiece, scrapeIntervalSeconds, type IntervalSource } from './scrape-interval';
import type { Bucket } from './window';

/*
 * A range's cost is the sum of the costs of its pieces: the range cut at every UTC hour. A
 * piece's asset cost is OpenCost's (average price × average quantity × running time) over the
 * piece alone, its running time counted in samples at the scrape interval measured within the
 * piece, and its network cost the egress counters' growth within the piece. Nothing in a
 * piece depends on the range that holds it: adjacent ranges add up, and a closed hour computed
 * once (a rollup) stands for that hour in every range that holds it. This is how Kubecost's ETL
 * keeps long windows cheap, at the granularity of an hour.
 */

/** One asset's cost in a piece: a node (by name), a persistent volume, a load balancer. */
export interface AssetCost {
  kind: 'node' | 'volume' | 'load-balancer';
  /** The node's or volume's name; a load balancer's `namespace/service/ingress IP`. */
  name: string;
  /** The cloud provider's id of a node or volume (the `provider_id` label of its price), or ''. */
  providerId: string;
  cpu: number;
  ram: number;
  gpu: number;
  /** The node's cpu + ram + gpu, or the volume's or load balancer's cost. */
  cost: number;
}

export interface PieceCosts {
  /** Money per asset category: price × quantity × samples × the piece's scrape interval. */
  costs: Record<AssetCategory, number>;
  /** Per asset, for a piece computed from points (sums of hours do not carry them). */
  assets?: AssetCost[];
  /** Egress cost of the piece (growth × price by kind); null when no egress counter sent. */
  network: number | null;
  /** The scrape interval that priced the piece's samples (seconds); null when none was measured. */
  intervalSeconds?: number | null;
  /** Pieces that charged something at the assumed interval because none could be measured there. */
  intervalAssumed: number;
  /** Objects of a category left out of this piece for a NaN or ±Inf price or quantity. */
  nonFinite: Partial<Record<AssetCategory, number>>;
  /** Nodes with a price but no CPU or memory capacity in this piece. */
  capacityMissing: number;
  /**
   * The newest sample time within the last 5 minutes of the piece (the store's lookback), if
   * any; null also for a whole hour computed by range query until it is looked up (hourQuery).
   */
  lastSampleMs: number | null;
  /** Samples of the busiest presence metric in the piece: 0 means the cluster sent nothing. */
  samples: number;
  /**
   * For a group of closed hours summed into one (combinePieces), the newest hour with samples,
   * whose last sample `lastSampleMs` is; null when none had any.
   */
  newestSampledHourMs?: number | null;
}

/** Sum of two network costs, null ("no counters") only when both are. */
export const addNetwork = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : a + b);

/**
 * Hours summed into one piece: costs and samples add up; of the objects left out, the most in
 * any hour (a lower bound of how many distinct objects were); capacity missing when missing in
 * any hour; the last sample of the newest hour that had samples.
 */
export function combinePieces(hours: ReadonlyArray<readonly [number, PieceCosts]>): PieceCosts {
  const combined: PieceCosts = { ...emptyPiece(), newestSampledHourMs: null };
  for (const [hour, piece] of hours) {
    for (const category of ASSET_CATEGORIES) combined.costs[category] += piece.costs[category];
    combined.network = addNetwork(combined.network, piece.network);
    combined.intervalAssumed += piece.intervalAssumed;
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
  costs: { cpu: 0, ram: 0, gpu: 0, persistentVolumes: 0, loadBalancers: 0, clusterManagement: 0 },
  network: null,
  intervalAssumed: 0,
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
 * The egress counters' growth in the piece by kind, and the three egress prices averaged over
 * it. `increase` extrapolates to the range it is given, which is 1 ms short of the piece (the
 * half-open end): pieceFromPoints scales it back to the piece's length.
 */
function networkParts(T: string, range: string, at: string): string[] {
  return [
    // One counter per pod and kind, however many Prometheus replicas scraped it.
    tag(
      `sum by (tenant_id, internet, same_zone, same_region) (max by (tenant_id, namespace, pod_name, service, internet, same_zone, same_region) (increase(kubecost_pod_network_egress_bytes_total{${T}}[${range}]${at})))`,
      'egress_bytes',
    ),
    ...EGRESS_KINDS.map((kind) => tag(`max by (tenant_id) (avg_over_time(kubecost_network_${kind}_egress_cost{${T}}[${range}]${at}))`, `egress_price_${kind}`)),
  ];
}

/**
 * Everything a piece's cost needs, per tenant, for the piece of `lengthMs` whose last
 * millisecond is the evaluation time (or `at`, e.g. ` @ 1700000000.000`), with the parts that
 * measure its hour's scrape interval (scrape-interval.ts; empty when it is known).
 */
export function pieceQuery(T: string, lengthMs: number, at: string, interval: string, withLastSample = true): string {
  // Half-open: a sample exactly at the piece's end belongs to the next piece.
  const range = `${lengthMs - 1}ms`;
  const priced = `max by (tenant_id, node) (max_over_time(node_cpu_hourly_cost{${T}}[${range}]${at}))`;
  const lacking = ['kube_node_status_capacity_cpu_cores', 'kube_node_status_capacity_memory_bytes'].map(
    (capacity) => `(${priced} unless on (tenant_id, node) max by (tenant_id, node) (max_over_time(${capacity}{${T}}[${range}]${at})))`,
  );
  return [
    assetCosts(T, range, at),
    ...networkParts(T, range, at),
    tag(`count by (tenant_id) (${lacking.join(' or ')})`, 'capacity_missing'),
    ...(withLastSample ? [tag(perMetric((metric) => `max by (tenant_id) (timestamp(${metric}{${T}}${at}))`), 'last_sample')] : []),
    tag(perMetric((metric) => `sum by (tenant_id) (count_over_time(${metric}{${T}}[${range}]${at}))`), 'samples'),
    ...(interval ? [interval] : []),
  ].join(' or ');
}

/**
 * Whole hours for a range query at step 1 h, each evaluated at intervalEvaluationOf (10 minutes
 * after its end, so its interval can be measured after it) with its selectors shifted back to it.
 * Without the newest sample: `timestamp()` of a selector in a range query re-reads every series
 * at every step (three quarters of the query's cost), and it is needed only for the hour in
 * which a cluster stopped sending, found once on demand (loadLastSampleIn) and kept.
 */
export const hourQuery = (T: string) =>
  pieceQuery(T, HOUR_MS, offsetFromEvaluation(intervalEvaluationOf(0) - (HOUR_MS - 1)), intervalQuery(T, offsetFromEvaluation), false);

/** When the range query evaluates the hour starting at `hourStartMs`, and back. */
export const hourEvaluatedAt = intervalEvaluationOf;
const hourOfEvaluation = (evalMs: number) => evalMs - intervalEvaluationOf(0);

/** `@` for a piece [start, end): evaluated at its last millisecond. */
const pinnedTo = (piece: Bucket) => ` @ ${((piece.endMs - 1) / 1000).toFixed(3)}`;

const finite = (value: number) => (Number.isFinite(value) ? value : 0);
const isAssetCategory = (category: string | undefined): category is AssetCategory => (ASSET_CATEGORIES as readonly string[]).includes(category ?? '');

/** Egress GiB by kind × its price (the exporter labels each pod's traffic internet / same_region / same_zone); null without counters. */
function networkCost(points: readonly VectorPoint[], lengthMs: number): number | null {
  const egress = points.filter((p) => p.labels.category === 'egress_bytes');
  if (egress.length === 0) return null;
  const price = (kind: string) => finite(points.find((p) => p.labels.category === `egress_price_${kind}`)?.value ?? 0);
  // `increase` over the piece less its last millisecond, extrapolated to that: scaled to the piece.
  const scale = lengthMs / (lengthMs - 1);
  let cost = 0;
  for (const point of egress) {
    const gib = (finite(point.value) * scale) / GIB;
    const { internet, same_region: sameRegion, same_zone: sameZone } = point.labels;
    if (internet === 'true') cost += gib * price('internet');
    else if (sameRegion === 'false') cost += gib * price('region');
    else if (sameZone === 'false') cost += gib * price('zone');
  }
  return cost;
}

const ASSET_KINDS: Partial<Record<AssetCategory, AssetCost['kind']>> = {
  cpu: 'node',
  ram: 'node',
  gpu: 'node',
  persistentVolumes: 'volume',
  loadBalancers: 'load-balancer',
};

/**
 * One piece's price × quantity × samples per asset, as assetCosts' points name them. A node or
 * volume whose provider id changed within the piece comes in once per id: it keeps the largest
 * value (what `max by` over its series gives) and the id of that point.
 */
class AssetSamples {
  private readonly byKey = new Map<string, AssetCost & { values: Partial<Record<AssetCategory, number>> }>();

  /** Records one point; returns what it adds to its category's sum (0 for a smaller duplicate). */
  add(category: AssetCategory, labels: Record<string, string>, value: number): number {
    const kind = ASSET_KINDS[category];
    if (kind === undefined) return value;
    const name = kind === 'node' ? labels.node : kind === 'volume' ? labels.persistentvolume : [labels.namespace, labels.service_name, labels.ingress_ip].join('/');
    if (name === undefined) return value;
    const key = `${kind}\0${name}`;
    let asset = this.byKey.get(key);
    if (!asset) {
      asset = { kind, name, providerId: '', cpu: 0, ram: 0, gpu: 0, cost: 0, values: {} };
      this.byKey.set(key, asset);
    }
    const before = asset.values[category];
    if (before !== undefined && before >= value) return 0;
    if (labels.provider_id) asset.providerId = labels.provider_id;
    asset.values[category] = value;
    return value - (before ?? 0);
  }

  /** The assets with money, priced at `intervalSeconds` per sample. */
  priced(intervalSeconds: number): AssetCost[] {
    const hours = intervalSeconds / 3600;
    const assets: AssetCost[] = [];
    for (const { kind, name, providerId, values } of this.byKey.values()) {
      const [cpu, ram, gpu] = [values.cpu ?? 0, values.ram ?? 0, values.gpu ?? 0].map((v) => finite(v * hours));
      const cost = kind === 'node' ? cpu + ram + gpu : finite((values.persistentVolumes ?? values.loadBalancers ?? 0) * hours);
      assets.push({ kind, name, providerId, cpu, ram, gpu, cost });
    }
    return assets;
  }
}

/**
 * One tenant's points of one piece, as a PieceCosts: samples priced at the piece's interval,
 * measured by the points or `knownIntervalSeconds`.
 */
export function pieceFromPoints(points: readonly VectorPoint[], piece: Bucket, knownIntervalSeconds?: number): PieceCosts {
  const costs = emptyPiece();
  const sampleCosts = { ...costs.costs };
  const assets = new AssetSamples();
  const measured: Partial<Record<IntervalSource, number>> = {};
  for (const point of points) {
    const { category } = point.labels;
    if (point.labels.interval_from !== undefined) {
      measured[point.labels.interval_from as IntervalSource] = point.value;
      continue;
    }
    if (isAssetCategory(category)) {
      // One object's price × quantity × samples: a NaN or infinite one is left out, and counted.
      if (Number.isFinite(point.value)) sampleCosts[category] += assets.add(category, point.labels, point.value);
      else costs.nonFinite[category] = (costs.nonFinite[category] ?? 0) + 1;
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
  costs.intervalSeconds = knownIntervalSeconds ?? scrapeIntervalSeconds(measured);
  if (costs.intervalSeconds === null && ASSET_CATEGORIES.some((c) => sampleCosts[c] !== 0)) costs.intervalAssumed = 1;
  const interval = costs.intervalSeconds ?? DEFAULT_SCRAPE_INTERVAL_SECONDS;
  for (const category of ASSET_CATEGORIES) costs.costs[category] = finite((sampleCosts[category] * interval) / 3600);
  costs.assets = assets.priced(interval);
  costs.network = networkCost(points, piece.endMs - piece.startMs);
  return costs;
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
 * hour, hourEvaluatedAt): every sample is read about once, however many hours. Every
 * (tenant, hour) gets a piece, empty when the cluster sent nothing then.
 */
export async function loadWholeHours(client: Promql, T: string, ids: readonly string[], fromMs: number, toMs: number): Promise<Map<string, Map<number, PieceCosts>>> {
  const result = new Map(ids.map((id) => [id, new Map<number, PieceCosts>()]));
  for (let start = fromMs; start < toMs; start += MAX_STEPS * HOUR_MS) {
    const end = Math.min(toMs, start + MAX_STEPS * HOUR_MS);
    const series = await client.range(hourQuery(T), hourEvaluatedAt(start), hourEvaluatedAt(end - HOUR_MS), HOUR_MS / 1000);
    // Regroup the matrix as points per (tenant, hour).
    const byHour = new Map<string, Map<number, VectorPoint[]>>();
    for (const s of series) {
      const tenant = s.labels.tenant_id;
      if (!result.has(tenant)) continue;
      const hours = byHour.get(tenant) ?? new Map<number, VectorPoint[]>();
      byHour.set(tenant, hours);
      for (const p of s.points) {
        const hourStart = hourOfEvaluation(p.time);
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
  /** Per tenant, the newest sample of the 5 minutes before `lastAtMs`. */
  lastSampleMs: Map<string, number>;
}

/** Per tenant, the scrape interval of rolled-up hours (by hour start), where one was measured. */
export type KnownIntervals = ReadonlyMap<string, ReadonlyMap<number, number>>;

/**
 * The hour whose interval prices a piece asked directly when it is known: its own once closed
 * (rolled up), else the hour before (an hour still open has no series present throughout it).
 */
export const intervalHourOf = (piece: Bucket, nowMs: number) => {
  const hour = hourStartOf(piece.startMs);
  return isHourClosed(hour, nowMs) ? hour : hour - HOUR_MS;
};

/**
 * What a range needs on every request: the pieces that are not rolled up (partial hours, hours
 * still open), each pinned to its own end with `@`, and the newest sample at `lastAtMs`. A
 * piece's interval is measured in the query unless `known` holds it for every tenant. Pieces of
 * closed hours (a range's partial first hour, long ago) go in a query of their own, without
 * their newest sample (found on demand when needed): a query whose selectors span a month makes
 * Prometheus 2.42 look every one of them up in every block of that month, three times the cost
 * of the two queries apart.
 */
/**
 * Direct pieces by the PromQL answers they were worked out from (kept as long as the result
 * cache keeps those answers), then by what else went into them.
 */
const NO_POINTS: readonly VectorPoint[] = [];
/** The direct pieces' queries by what they are built from. */
const builtQueries = new LRUCache<string, { recent: string; old: string }>({ max: 64 });
const derivedPieces = new WeakMap<readonly VectorPoint[], Map<string, { oldPoints: readonly VectorPoint[]; result: DirectPieces }>>();

export async function loadDirectPieces(
  client: Promql,
  T: string,
  ids: readonly string[],
  pieces: readonly Bucket[],
  lastAtMs: number,
  nowMs: number,
  known: KnownIntervals = new Map(),
): Promise<DirectPieces> {
  // Per piece, the hour whose stored interval prices it for every tenant, or undefined: measured.
  const knownHour = pieces.map((piece) => {
    const hour = intervalHourOf(piece, nowMs);
    return ids.every((id) => known.get(id)?.has(hour)) ? hour : undefined;
  });
  const part = (piece: Bucket, i: number, old: boolean) => {
    const measure = knownHour[i] === undefined;
    const hour = pinnedForPiece(piece, nowMs);
    const query = pieceQuery(T, piece.endMs - piece.startMs, pinnedTo(piece), measure ? intervalQuery(T, hour.at, hour.withAfter, hour.withHour) : '', !old);
    return `label_replace(${query}, "piece", "${i}", "", "")`;
  };
  const isOld = (piece: Bucket) => isHourClosed(hourStartOf(piece.startMs), nowMs);
  const old = pieces.map((piece, i) => ({ piece, i })).filter(({ piece }) => isOld(piece));
  const recent = pieces.map((piece, i) => ({ piece, i })).filter(({ piece }) => !isOld(piece));
  // The queries of a repeat are the same strings as before (not equal copies): a long string
  // is hashed once, and the result cache's lookups of it cost nothing after the first.
  const shape = pieces.map((piece, i) => `${piece.startMs}-${piece.endMs}-${knownHour[i] === undefined ? JSON.stringify(pinnedForPiece(piece, nowMs)) : 'k'}-${isOld(piece)}`).join(',');
  const queryKey = `${lastAtMs}\0${shape}\0${T}`;
  let queries = builtQueries.get(queryKey);
  if (!queries) {
    const at = ` @ ${(lastAtMs / 1000).toFixed(3)}`;
    const recentParts = [...recent.map(({ piece, i }) => part(piece, i, false)), tag(perMetric((metric) => `max by (tenant_id) (timestamp(${metric}{${T}}${at}))`), 'range_last_sample')];
    queries = { recent: recentParts.join(' or '), old: old.map(({ piece, i }) => part(piece, i, true)).join(' or ') };
    builtQueries.set(queryKey, queries);
  }
  const [recentPoints, oldPoints] = await Promise.all([
    client.instant(queries.recent, lastAtMs),
    old.length > 0 ? client.instant(queries.old, old[old.length - 1].piece.endMs - 1) : NO_POINTS,
  ]);
  // A repeat gets the same answers from the result cache (the same arrays): what was worked
  // out from them is reused, when the clusters, pieces and known intervals are the same too.
  const inputs = `${ids.join(',')}|${pieces.map((p) => `${p.startMs}-${p.endMs}`).join(',')}|${knownHour
    .map((hour) => (hour === undefined ? '' : ids.map((id) => known.get(id)!.get(hour)).join(',')))
    .join('|')}`;
  const kept = derivedPieces.get(recentPoints)?.get(inputs);
  if (kept && kept.oldPoints === oldPoints) return kept.result;
  const result: DirectPieces = { pieces: new Map(), lastSampleMs: new Map() };
  const byInputs = derivedPieces.get(recentPoints) ?? new Map<string, { oldPoints: readonly VectorPoint[]; result: DirectPieces }>();
  if (byInputs.size >= 8) byInputs.clear();
  byInputs.set(inputs, { oldPoints, result });
  derivedPieces.set(recentPoints, byInputs);
  for (const [id, mine] of groupByTenant([...recentPoints, ...oldPoints], ids)) {
    result.pieces.set(
      id,
      pieces.map((piece, i) => {
        const hour = knownHour[i];
        return pieceFromPoints(
          mine.filter((p) => p.labels.piece === String(i)),
          piece,
          hour === undefined ? undefined : known.get(id)!.get(hour),
        );
      }),
    );
    const last = mine.find((p) => p.labels.category === 'range_last_sample' && p.labels.piece === undefined);
    if (last && Number.isFinite(last.value)) result.lastSampleMs.set(id, Math.round(last.value * 1000));
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
