import type { CostBreakdown } from '../costs/cluster-costs';

/*
 * Allocation the way teams are charged: a cluster's cost split by namespace, controller, pod,
 * node or label (several at once), from what each pod was allocated on each node (OpenCost's
 * model: max of request and usage per container, at its node's prices, over the hours it ran).
 * What no pod was allocated goes to reserved rows, so the rows always add up to the cluster's
 * total:
 *
 * - `__idle__`: node CPU, RAM and GPU cost no pod was allocated. Never negative: when pods were
 *   allocated more than the nodes cost (over-commit, prices that moved within the window), each
 *   pod's share of that resource is scaled down to the node cost, and a warning says by how much.
 * - `__unmounted__`: volumes no pod claimed (scaled the same way when claims exceed the cost).
 * - `__cluster__`: the management fee, load balancers of namespaces without pods, and network
 *   cost when no pod's egress is known.
 *
 * The cluster's network cost goes to pods in proportion to their egress (bytes by kind × price).
 *
 * A namespace's load balancers are spread over its pods in proportion to their cost. Pods of
 * shared namespaces (kube-system, monitoring) are taken out of the rows and their cost spread
 * over the other rows in proportion to cost; so is idle (and `__cluster__`) with SHARE_BY_COST.
 * With HIDE the idle row is left out and returned beside the rows. Rows missing a label are
 * grouped as `__unallocated__`; beyond `top`, the smallest rows are summed into `__other__`.
 */

export type AllocationDimension = 'NAMESPACE' | 'CONTROLLER' | 'POD' | 'NODE' | 'LABEL';
export type IdleMode = 'SEPARATE' | 'SHARE_BY_COST' | 'HIDE';

export interface AllocationGroup {
  dimension: AllocationDimension;
  /** For LABEL: the label's key as written in Kubernetes (`app.kubernetes.io/name`). */
  labelKey?: string | null;
}

/** What one pod was allocated on one node over the window (money and resource-hours). */
export interface PodAllocation {
  namespace: string;
  pod: string;
  node: string;
  cpu: number;
  ram: number;
  gpu: number;
  persistentVolumes: number;
  /** Its egress priced by kind: its weight in the cluster's network cost. */
  network: number;
  cpuCoreHoursRequested: number;
  cpuCoreHoursUsed: number;
  ramByteHoursRequested: number;
  ramByteHoursUsed: number;
}

export interface Owner {
  kind: string;
  name: string;
}

/** kube-state-metrics' view of the workloads: owners and labels (keys sanitised: `label_team`). */
export interface Workloads {
  /** By `namespace/pod`. */
  podOwners: ReadonlyMap<string, Owner>;
  /** By `namespace/replicaset`. */
  replicaSetOwners: ReadonlyMap<string, Owner>;
  /** By `namespace/job`. */
  jobOwners: ReadonlyMap<string, Owner>;
  /** By `namespace/pod`. */
  podLabels: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** By namespace. */
  namespaceLabels: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

/** The cluster's asset costs over the same window (the breakdown of its total). */
export type ClusterTotals = CostBreakdown;

export interface AllocationOptions {
  by: readonly AllocationGroup[];
  idle: IdleMode;
  sharedNamespaces: readonly string[];
  top: number;
}

export interface AllocationKey {
  dimension: AllocationDimension;
  labelKey: string | null;
  value: string;
}

export interface AllocationRow {
  keys: AllocationKey[];
  /** The keys' values joined with " / ". */
  name: string;
  cpu: number;
  ram: number;
  gpu: number;
  persistentVolumes: number;
  loadBalancers: number;
  /** Egress cost (its pods' share of the cluster's network cost, by their egress); null when the cluster reports no network cost. */
  network: number | null;
  /** Idle, cluster-level and shared namespaces' cost spread onto this row (the management fee in the cluster row). */
  shared: number;
  totalCost: number;
  cpuCoreHoursRequested: number;
  cpuCoreHoursUsed: number;
  ramByteHoursRequested: number;
  ramByteHoursUsed: number;
}

export interface Allocation {
  rows: AllocationRow[];
  /** Node cost no pod was allocated (whatever the mode: with HIDE, not in any row). */
  idleCost: number;
  /** The rows' sum: the cluster's total, less idle with HIDE. */
  totalCost: number;
  warnings: string[];
}

export const IDLE = '__idle__';
export const UNMOUNTED = '__unmounted__';
export const CLUSTER = '__cluster__';
export const UNALLOCATED = '__unallocated__';
export const OTHER = '__other__';
/** Shared namespaces' pods, when there is no other row to spread them over. */
export const SHARED = '__shared__';
const RESERVED = new Set([IDLE, UNMOUNTED, CLUSTER, OTHER, SHARED]);

const rowTotal = (r: AllocationRow) => r.cpu + r.ram + r.gpu + r.persistentVolumes + r.loadBalancers + (r.network ?? 0) + r.shared;

/** kube-state-metrics' name for a Kubernetes label key: `label_` and the key with every character outside [a-zA-Z0-9_] as `_`. */
export const sanitisedLabel = (key: string) => `label_${key.replace(/[^a-zA-Z0-9_]/g, '_')}`;

/** The pod's controller, `namespace/kind/name`: a ReplicaSet's Deployment, a Job's CronJob; a bare pod itself. */
export function controllerOf(workloads: Workloads, namespace: string, pod: string): string {
  const owner = workloads.podOwners.get(`${namespace}/${pod}`);
  if (!owner) return `${namespace}/pod/${pod}`;
  const parent =
    owner.kind === 'ReplicaSet' ? workloads.replicaSetOwners.get(`${namespace}/${owner.name}`) : owner.kind === 'Job' ? workloads.jobOwners.get(`${namespace}/${owner.name}`) : undefined;
  const controller = parent ?? owner;
  return `${namespace}/${controller.kind.toLowerCase()}/${controller.name}`;
}

function keyValue(group: AllocationGroup, pod: PodAllocation, workloads: Workloads): string {
  switch (group.dimension) {
    case 'NAMESPACE':
      return pod.namespace;
    case 'POD':
      return `${pod.namespace}/${pod.pod}`;
    case 'NODE':
      return pod.node || UNALLOCATED;
    case 'CONTROLLER':
      return controllerOf(workloads, pod.namespace, pod.pod);
    case 'LABEL': {
      const label = sanitisedLabel(group.labelKey ?? '');
      return workloads.podLabels.get(`${pod.namespace}/${pod.pod}`)?.[label] || workloads.namespaceLabels.get(pod.namespace)?.[label] || UNALLOCATED;
    }
  }
}

const emptyRow = (keys: AllocationKey[]): AllocationRow => ({
  keys,
  name: keys.map((k) => k.value).join(' / '),
  cpu: 0,
  ram: 0,
  gpu: 0,
  persistentVolumes: 0,
  loadBalancers: 0,
  network: null,
  shared: 0,
  totalCost: 0,
  cpuCoreHoursRequested: 0,
  cpuCoreHoursUsed: 0,
  ramByteHoursRequested: 0,
  ramByteHoursUsed: 0,
});

/** An empty row named `name` for every dimension (idle, unmounted, cluster, other, shared). */
export const reservedRow = (name: string, by: readonly AllocationGroup[]): AllocationRow => ({
  ...emptyRow(by.map((g) => ({ dimension: g.dimension, labelKey: g.labelKey ?? null, value: name }))),
  name,
});

/** Adds `from`'s money and resource-hours into `row`. */
export function addInto(row: AllocationRow, from: AllocationRow): void {
  row.cpu += from.cpu;
  row.ram += from.ram;
  row.gpu += from.gpu;
  row.persistentVolumes += from.persistentVolumes;
  row.loadBalancers += from.loadBalancers;
  if (from.network !== null) row.network = (row.network ?? 0) + from.network;
  row.shared += from.shared;
  row.totalCost += from.totalCost;
  row.cpuCoreHoursRequested += from.cpuCoreHoursRequested;
  row.cpuCoreHoursUsed += from.cpuCoreHoursUsed;
  row.ramByteHoursRequested += from.ramByteHoursRequested;
  row.ramByteHoursUsed += from.ramByteHoursUsed;
}

/** Spreads `amount` over `rows` in proportion to their cost (evenly when none has any). */
function spread(rows: AllocationRow[], amount: number): void {
  if (amount === 0 || rows.length === 0) return;
  const base = rows.reduce((sum, r) => sum + r.totalCost, 0);
  for (const row of rows) {
    const part = base > 0 ? (amount * row.totalCost) / base : amount / rows.length;
    row.shared += part;
  }
  for (const row of rows) row.totalCost = rowTotal(row);
}

const percent = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;

export function allocate(
  pods: readonly PodAllocation[],
  workloads: Workloads,
  totals: ClusterTotals,
  loadBalancersByNamespace: ReadonlyMap<string, number>,
  options: AllocationOptions,
): Allocation {
  const warnings: string[] = [];
  // Each resource's allocations scaled to what the nodes (volumes) cost, when they exceed it.
  const scale: Record<'cpu' | 'ram' | 'gpu' | 'persistentVolumes', number> = { cpu: 1, ram: 1, gpu: 1, persistentVolumes: 1 };
  const names = { cpu: 'CPU', ram: 'RAM', gpu: 'GPU', persistentVolumes: 'persistent volume' } as const;
  for (const category of ['cpu', 'ram', 'gpu', 'persistentVolumes'] as const) {
    const allocated = pods.reduce((sum, p) => sum + p[category], 0);
    if (allocated > totals[category] && allocated > 0) {
      scale[category] = totals[category] / allocated;
      warnings.push(
        totals[category] > 0
          ? `pods were allocated ${percent(allocated / totals[category] - 1)} more ${names[category]} cost than the cluster's assets cost (over-commit, or prices that changed within the range): their ${names[category]} cost is scaled to the assets' cost, and nothing of it is idle`
          : `pods were allocated ${names[category]} cost, but the cluster's assets cost nothing for it (capacity or price metrics missing): their ${names[category]} cost is left out`,
      );
    }
  }
  const egress = pods.reduce((sum, p) => sum + p.network, 0);
  const networkScale = totals.network !== null && egress > 0 ? totals.network / egress : 0;
  const podCost = (p: PodAllocation) => p.cpu * scale.cpu + p.ram * scale.ram + p.gpu * scale.gpu + p.persistentVolumes * scale.persistentVolumes;
  // Load balancers: spread over their namespace's pods by cost; a namespace without pods leaves them to the cluster row.
  const namespaceCost = new Map<string, number>();
  const namespacePods = new Map<string, number>();
  for (const p of pods) {
    namespaceCost.set(p.namespace, (namespaceCost.get(p.namespace) ?? 0) + podCost(p));
    namespacePods.set(p.namespace, (namespacePods.get(p.namespace) ?? 0) + 1);
  }
  let unplacedLoadBalancers = totals.loadBalancers;
  const placed = new Map<string, number>();
  for (const [namespace, cost] of loadBalancersByNamespace) {
    if (!namespacePods.has(namespace) || cost <= 0) continue;
    placed.set(namespace, cost);
    unplacedLoadBalancers -= cost;
  }
  if (unplacedLoadBalancers < 0) {
    // The per-namespace load balancer costs exceed the asset total (a service counted twice): scale them to it.
    const factor = totals.loadBalancers / (totals.loadBalancers - unplacedLoadBalancers);
    for (const [namespace, cost] of placed) placed.set(namespace, cost * factor);
    unplacedLoadBalancers = 0;
  }

  const shared = new Set(options.sharedNamespaces);
  const rows = new Map<string, AllocationRow>();
  const sharedPool = emptyRow([]);
  for (const p of pods) {
    const keys = options.by.map((g) => ({ dimension: g.dimension, labelKey: g.dimension === 'LABEL' ? (g.labelKey ?? null) : null, value: keyValue(g, p, workloads) }));
    const cost = podCost(p);
    const nsCost = namespaceCost.get(p.namespace) ?? 0;
    const balancers = placed.get(p.namespace) ?? 0;
    const contribution = emptyRow(keys);
    contribution.cpu = p.cpu * scale.cpu;
    contribution.ram = p.ram * scale.ram;
    contribution.gpu = p.gpu * scale.gpu;
    contribution.persistentVolumes = p.persistentVolumes * scale.persistentVolumes;
    contribution.network = totals.network === null ? null : p.network * networkScale;
    contribution.loadBalancers = balancers === 0 ? 0 : nsCost > 0 ? (balancers * cost) / nsCost : balancers / (namespacePods.get(p.namespace) ?? 1);
    contribution.totalCost = rowTotal(contribution);
    contribution.cpuCoreHoursRequested = p.cpuCoreHoursRequested;
    contribution.cpuCoreHoursUsed = p.cpuCoreHoursUsed;
    contribution.ramByteHoursRequested = p.ramByteHoursRequested;
    contribution.ramByteHoursUsed = p.ramByteHoursUsed;
    if (shared.has(p.namespace)) {
      addInto(sharedPool, contribution);
      continue;
    }
    const id = keys.map((k) => k.value).join('\u0000');
    const row = rows.get(id);
    if (row) addInto(row, contribution);
    else rows.set(id, contribution);
  }

  const allocatedOf = (category: 'cpu' | 'ram' | 'gpu' | 'persistentVolumes') => pods.reduce((sum, p) => sum + p[category] * scale[category], 0);
  // What was scaled to its cost left nothing over (not the rounding noise of the scaling).
  const unallocated = (category: 'cpu' | 'ram' | 'gpu' | 'persistentVolumes') => {
    const left = totals[category] - allocatedOf(category);
    // Less than summing's rounding (a billionth of the total) is nothing left.
    return scale[category] < 1 || left <= totals[category] * 1e-9 ? 0 : left;
  };
  const idle = emptyRow([]);
  idle.cpu = unallocated('cpu');
  idle.ram = unallocated('ram');
  idle.gpu = unallocated('gpu');
  idle.totalCost = idle.cpu + idle.ram + idle.gpu;
  const unmountedCost = unallocated('persistentVolumes');
  // Network the pods' egress does not account for (none known): the cluster's.
  const unattributedNetwork = totals.network !== null && networkScale === 0 ? totals.network : 0;
  const clusterCost = totals.clusterManagement + unplacedLoadBalancers + unattributedNetwork;

  const ordinary = [...rows.values()];
  const reserved: AllocationRow[] = [];
  // Shared namespaces first (over the ordinary rows' own cost), then idle and the cluster's own
  // cost; with nothing to spread over, each stays a row of its own.
  if (ordinary.length > 0) spread(ordinary, sharedPool.totalCost);
  else if (sharedPool.totalCost > 0) {
    const row = reservedRow(SHARED, options.by);
    addInto(row, sharedPool);
    reserved.push(row);
  }
  if (unmountedCost > 0) {
    const row = reservedRow(UNMOUNTED, options.by);
    row.persistentVolumes = unmountedCost;
    row.totalCost = unmountedCost;
    reserved.push(row);
  }
  if (options.idle === 'SHARE_BY_COST' && ordinary.length > 0) {
    spread(ordinary, idle.totalCost + clusterCost);
  } else {
    if (options.idle !== 'HIDE' && idle.totalCost > 0) {
      const row = reservedRow(IDLE, options.by);
      Object.assign(row, { cpu: idle.cpu, ram: idle.ram, gpu: idle.gpu, totalCost: idle.totalCost });
      reserved.push(row);
    }
    if (clusterCost > 0) {
      const row = reservedRow(CLUSTER, options.by);
      row.loadBalancers = unplacedLoadBalancers;
      row.network = totals.network === null ? null : unattributedNetwork;
      row.shared = totals.clusterManagement;
      row.totalCost = rowTotal(row);
      reserved.push(row);
    }
  }

  ordinary.sort((a, b) => b.totalCost - a.totalCost || a.name.localeCompare(b.name));
  const kept = ordinary.slice(0, options.top);
  if (ordinary.length > options.top) {
    const other = reservedRow(OTHER, options.by);
    for (const row of ordinary.slice(options.top)) addInto(other, row);
    kept.push(other);
  }
  const all = [...kept, ...reserved];
  return { rows: all, idleCost: idle.totalCost, totalCost: all.reduce((sum, r) => sum + r.totalCost, 0), warnings };
}

/** Whether a row is one of the reserved ones (idle, unmounted, cluster, other). */
export const isReserved = (row: AllocationRow) => row.keys.length > 0 && RESERVED.has(row.keys[0].value);
