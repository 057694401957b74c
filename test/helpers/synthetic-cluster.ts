import {
  GIB,
  HOUR_MS,
  type EgressKind,
  type Lifetime,
  type SyntheticCluster,
} from '../../cli/demo/synthetic-cluster';

// The generator lives in cli/demo/ (the demo uses it too); tests import everything from here.
export * from '../../cli/demo/synthetic-cluster';

/*
 * The cost synthetic series stand for, computed analytically (without PromQL) so the query
 * layer can be checked against it; the conventions are in cli/demo/synthetic-cluster.ts.
 */

// ---------------------------------------------------------------------------------------------
// Analytic costs

export interface AnalyticClusterCosts {
  cpu: number;
  ram: number;
  gpu: number;
  persistentVolumes: number;
  /** null when the cluster has no egress metrics. */
  network: number | null;
  loadBalancers: number;
  clusterManagement: number;
  /**
   * How far `network` may be off: PromQL's `increase` extrapolates past the last sample before
   * a gap and before the first one after it by up to an interval (an hour's piece sees no
   * samples beyond its own), so each gap edge inside the window is known to an interval's bytes.
   */
  networkSlack: number;
}

export interface AnalyticNamespaceCosts {
  namespace: string;
  cpu: number;
  ram: number;
  gpu: number;
  persistentVolumes: number;
  loadBalancers: number;
}

/** Merged, sorted gaps. */
function mergedGaps(cluster: SyntheticCluster): Array<[number, number]> {
  const gaps = (cluster.gaps ?? []).map((g): [number, number] => [g.fromMs, g.toMs]).sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const gap of gaps) {
    const last = merged[merged.length - 1];
    if (last && gap[0] <= last[1]) last[1] = Math.max(last[1], gap[1]);
    else merged.push([...gap]);
  }
  return merged;
}

/**
 * Hours inside [fromMs, toMs) during which every one of `lives` exists, the cluster is
 * sending (its [startMs, endMs)) and no gap is open; `countGaps: false` ignores gaps.
 */
export function runningHours(cluster: SyntheticCluster, fromMs: number, toMs: number, lives: Lifetime[], countGaps = true): number {
  let lo = Math.max(fromMs, cluster.startMs);
  let hi = Math.min(toMs, cluster.endMs);
  for (const life of lives) {
    if (life.fromMs !== undefined) lo = Math.max(lo, life.fromMs);
    if (life.toMs !== undefined) hi = Math.min(hi, life.toMs);
  }
  if (hi <= lo) return 0;
  let ms = hi - lo;
  if (countGaps) for (const [g0, g1] of mergedGaps(cluster)) ms -= Math.max(0, Math.min(hi, g1) - Math.max(lo, g0));
  return ms / HOUR_MS;
}

function egressPrice(cluster: SyntheticCluster, kind: EgressKind): number {
  return kind === 'local' || !cluster.egress ? 0 : cluster.egress.prices[kind];
}

export function analyticClusterCosts(cluster: SyntheticCluster, fromMs: number, toMs: number): AnalyticClusterCosts {
  const hours = (...lives: Lifetime[]) => runningHours(cluster, fromMs, toMs, lives);
  const costs: AnalyticClusterCosts = { cpu: 0, ram: 0, gpu: 0, persistentVolumes: 0, network: null, loadBalancers: 0, clusterManagement: 0, networkSlack: 0 };
  for (const node of cluster.nodes) {
    const h = hours(node);
    costs.cpu += node.cpuPrice * node.cores * h;
    costs.ram += ((node.ramPrice * node.memoryBytes) / GIB) * h;
    costs.gpu += (node.gpuPrice ?? 0) * (node.gpuCount ?? 0) * h;
  }
  for (const volume of cluster.volumes ?? []) costs.persistentVolumes += ((volume.price * volume.capacityBytes) / GIB) * hours(volume);
  for (const lb of cluster.loadBalancers ?? []) costs.loadBalancers += lb.price * hours(lb);
  if (cluster.managementFee !== undefined) costs.clusterManagement = cluster.managementFee * hours();
  if (cluster.egress) {
    // Growth is counted per hour while the store holds the counters: what a counter grew by during
    // a gap (no samples) is not seen by any hour, as in Kubecost's ETL.
    const flows = cluster.egress.flows.filter((f) => runningHours(cluster, fromMs, toMs, [f], false) > 0);
    if (flows.length > 0) {
      costs.network = 0;
      const edges = mergedGaps(cluster)
        .flat()
        .filter((t) => t > fromMs && t < toMs).length;
      for (const flow of flows) {
        const perHour = (flow.bytesPerHour / GIB) * egressPrice(cluster, flow.kind);
        costs.network += perHour * runningHours(cluster, fromMs, toMs, [flow]);
        costs.networkSlack += (perHour * edges * cluster.intervalSeconds) / 3600;
      }
    }
  }
  return costs;
}

/** Allocation per namespace: containers at their node's prices, claims at their volume's price, load balancers by their namespace. */
export function analyticNamespaceCosts(cluster: SyntheticCluster, fromMs: number, toMs: number): Map<string, AnalyticNamespaceCosts> {
  const result = new Map<string, AnalyticNamespaceCosts>();
  const row = (namespace: string) => {
    let r = result.get(namespace);
    if (!r) {
      r = { namespace, cpu: 0, ram: 0, gpu: 0, persistentVolumes: 0, loadBalancers: 0 };
      result.set(namespace, r);
    }
    return r;
  };
  const hours = (...lives: Lifetime[]) => runningHours(cluster, fromMs, toMs, lives);
  for (const c of cluster.containers ?? []) {
    const node = cluster.nodes.find((n) => n.name === c.node);
    if (!node) throw new Error(`container ${c.pod}/${c.container} on unknown node ${c.node}`);
    const h = hours(c, node);
    const r = row(c.namespace);
    r.cpu += c.cores * node.cpuPrice * h;
    r.ram += ((c.memoryBytes / GIB) * node.ramPrice) * h;
    r.gpu += (c.gpus ?? 0) * (node.gpuPrice ?? 0) * h;
  }
  for (const claim of cluster.claims ?? []) {
    const volume = (cluster.volumes ?? []).find((v) => v.name === claim.volume);
    if (!volume) throw new Error(`claim ${claim.claim} on unknown volume ${claim.volume}`);
    row(claim.namespace).persistentVolumes += (claim.bytes / GIB) * volume.price * hours(claim, volume);
  }
  for (const lb of cluster.loadBalancers ?? []) row(lb.namespace).loadBalancers += lb.price * hours(lb);
  return result;
}
