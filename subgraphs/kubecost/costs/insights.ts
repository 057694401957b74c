import { IDLE_NAMESPACE, type ClusterCostData, type NamespaceCostData, type NamespaceUsage, type UnclaimedVolume } from './cluster-costs';

const HOURS_PER_MONTH = 730;
/** Requests below this share of use are worth right-sizing. */
const RIGHTSIZE_BELOW = 0.5;
/** Headroom kept above observed usage when suggesting a new request. */
const HEADROOM = 1.2;
/** Idle capacity above this share of node cost is worth a recommendation. */
const IDLE_ABOVE = 0.3;

/**
 * The idle row: node CPU/RAM/GPU cost minus what namespaces were allocated. When any node's
 * capacity is missing the asset side is unknown, so there is no idle row (no data) rather than
 * a negative one, or one that is merely clamped to 0 or understated.
 */
export function idleRow(cluster: ClusterCostData, namespaces: NamespaceCostData[]): NamespaceCostData | undefined {
  const asset = { cpu: cluster.breakdown.cpu, ram: cluster.breakdown.ram, gpu: cluster.breakdown.gpu };
  if (!cluster.capacityComplete || asset.cpu + asset.ram + asset.gpu <= 0) return undefined;
  const allocated = { cpu: 0, ram: 0, gpu: 0 };
  for (const ns of namespaces) {
    allocated.cpu += ns.cpu;
    allocated.ram += ns.ram;
    allocated.gpu += ns.gpu;
  }
  const cpu = Math.max(0, asset.cpu - allocated.cpu);
  const ram = Math.max(0, asset.ram - allocated.ram);
  const gpu = Math.max(0, asset.gpu - allocated.gpu);
  return { namespace: IDLE_NAMESPACE, cpu, ram, gpu, persistentVolumes: 0, loadBalancers: 0, totalCost: cpu + ram + gpu };
}

export interface EfficiencyData {
  cpu: number | null;
  ram: number | null;
  total: number | null;
}

export function efficiency(cluster: ClusterCostData, usage: NamespaceUsage[]): EfficiencyData | null {
  const ratio = (used: keyof NamespaceUsage, requested: keyof NamespaceUsage) => {
    let u = 0;
    let r = 0;
    let seen = false;
    for (const row of usage) {
      const a = row[used] as number | null;
      const b = row[requested] as number | null;
      if (a === null || b === null) continue;
      seen = true;
      u += a;
      r += b;
    }
    return seen && r > 0 ? u / r : null;
  };
  const cpu = ratio('cpuUsage', 'cpuRequest');
  const ram = ratio('ramUsage', 'ramRequest');
  if (cpu === null && ram === null) return null;
  const wCpu = cpu === null ? 0 : cluster.breakdown.cpu;
  const wRam = ram === null ? 0 : cluster.breakdown.ram;
  const total = wCpu + wRam > 0 ? ((cpu ?? 0) * wCpu + (ram ?? 0) * wRam) / (wCpu + wRam) : (cpu ?? ram);
  return { cpu, ram, total };
}

export interface Recommendation {
  kind: 'REQUEST_RIGHTSIZING' | 'UNCLAIMED_VOLUME' | 'IDLE_CAPACITY';
  target: string;
  monthlySavings: number;
  explanation: string;
}

const money = (value: number) => `$${value.toFixed(2)}`;
const pct = (value: number) => `${Math.round(value * 100)}%`;

export function savings(
  cluster: ClusterCostData,
  hours: number,
  namespaces: NamespaceCostData[],
  usage: NamespaceUsage[],
  unclaimed: UnclaimedVolume[],
): Recommendation[] {
  const out: Recommendation[] = [];
  const toMonth = HOURS_PER_MONTH / hours;
  for (const row of usage) {
    const ns = namespaces.find((n) => n.namespace === row.namespace);
    if (!ns) continue;
    let monthly = 0;
    const parts: string[] = [];
    for (const [resource, used, requested, cost] of [
      ['CPU', row.cpuUsage, row.cpuRequest, ns.cpu],
      ['memory', row.ramUsage, row.ramRequest, ns.ram],
    ] as const) {
      if (used === null || requested === null || requested <= 0 || used / requested >= RIGHTSIZE_BELOW) continue;
      const excessShare = (requested - used * HEADROOM) / requested;
      if (excessShare <= 0) continue;
      monthly += cost * excessShare * toMonth;
      parts.push(`${resource} requests are ${pct(used / requested)} used`);
    }
    if (monthly > 0.01) {
      out.push({
        kind: 'REQUEST_RIGHTSIZING',
        target: `namespace/${row.namespace}`,
        monthlySavings: monthly,
        explanation: `${parts.join('; ')}. Lowering requests to observed usage plus ${pct(HEADROOM - 1)} headroom saves about ${money(monthly)} a month.`,
      });
    }
  }
  for (const volume of unclaimed) {
    const monthly = volume.hourlyCost * HOURS_PER_MONTH;
    if (monthly <= 0.01) continue;
    out.push({
      kind: 'UNCLAIMED_VOLUME',
      target: `persistentvolume/${volume.persistentVolume}`,
      monthlySavings: monthly,
      explanation: `No pod claims this volume; deleting it (after a backup if needed) saves ${money(monthly)} a month.`,
    });
  }
  const idle = idleRow(cluster, namespaces);
  const nodeCost = cluster.breakdown.cpu + cluster.breakdown.ram + cluster.breakdown.gpu;
  if (idle && nodeCost > 0 && idle.totalCost / nodeCost > IDLE_ABOVE) {
    const monthly = idle.totalCost * toMonth;
    out.push({
      kind: 'IDLE_CAPACITY',
      target: 'cluster',
      monthlySavings: monthly,
      explanation: `${pct(idle.totalCost / nodeCost)} of node cost is allocated to no workload; fewer or smaller nodes could save up to ${money(monthly)} a month.`,
    });
  }
  return out.sort((a, b) => b.monthlySavings - a.monthlySavings);
}
