import type { VectorPoint } from '../promql/thanos-client';
import type { Owner, PodAllocation, Workloads } from './allocate';

/*
 * What one part of a range (a partial hour, a whole hour, a UTC day) holds for allocation, per
 * cluster, in a form that is plain JSON: the rollup store keeps closed parts as they are here.
 * A range's inputs are its parts merged in time order (mergeParts): costs and resource-hours
 * add up, and of owners and labels the latest part's win.
 */

/** `[namespace, pod, node, cpu, ram, gpu]`: what a pod was allocated on one node. */
export type OnNode = [string, string, string, number, number, number];
/** `[namespace, pod, persistentVolumes, network, cpuRequested, cpuUsed, ramRequested, ramUsed]`: what a pod has without a node. */
export type PerPod = [string, string, number, number, number, number, number, number];
/** `[namespace/object, kind, name]`. */
export type OwnerEntry = [string, string, string];

export interface PartInputs {
  onNodes: OnNode[];
  perPod: PerPod[];
  /** `[namespace, cost]`. */
  loadBalancers: Array<[string, number]>;
  podOwners: OwnerEntry[];
  replicaSetOwners: OwnerEntry[];
  jobOwners: OwnerEntry[];
  /** `[namespace/pod, labels]`, labels sanitised (`label_team`). */
  podLabels: Array<[string, Record<string, string>]>;
  /** `[namespace, labels]`. */
  namespaceLabels: Array<[string, Record<string, string>]>;
}

/** What mergeParts returns for a cluster: pods' allocations and the workloads' owners and labels. */
export interface AllocationInputs {
  pods: PodAllocation[];
  workloads: Workloads;
  loadBalancersByNamespace: Map<string, number>;
}

const GIB = 1073741824;
const finite = (value: number) => (Number.isFinite(value) ? value : 0);
const PER_POD: Record<string, 2 | 3 | 4 | 5 | 6 | 7> = { persistentVolumes: 2, network: 3, cpu_request: 4, cpu_usage: 5, ram_request: 6, ram_usage: 7 };

export const emptyPart = (): PartInputs => ({ onNodes: [], perPod: [], loadBalancers: [], podOwners: [], replicaSetOwners: [], jobOwners: [], podLabels: [], namespaceLabels: [] });

/** Kept per answer: a part answered from the result cache is the same arrays, and its inputs are built once. */
const built = new WeakMap<readonly VectorPoint[], WeakMap<readonly VectorPoint[], Map<string, PartInputs>>>();

/**
 * A part's inputs per cluster of `ids`, from the answers of podAllocationQuery and workloadsQuery
 * for it. The returned inputs may be shared: they must not be changed.
 */
export function partInputs(ids: readonly string[], podPoints: readonly VectorPoint[], workloadPoints: readonly VectorPoint[]): Map<string, PartInputs> {
  let byWorkloads = built.get(podPoints);
  const found = byWorkloads?.get(workloadPoints);
  if (found && ids.every((id) => found.has(id))) return found;
  const parts = new Map(ids.map((id) => [id, emptyPart()]));
  addPods(parts, podPoints);
  addWorkloads(parts, workloadPoints);
  if (!byWorkloads) {
    byWorkloads = new WeakMap();
    built.set(podPoints, byWorkloads);
  }
  byWorkloads.set(workloadPoints, parts);
  return parts;
}

function addPods(parts: Map<string, PartInputs>, points: readonly VectorPoint[]): void {
  const onNodes = new Map<string, OnNode>();
  const perPod = new Map<string, PerPod>();
  const balancers = new Map<string, [string, number]>();
  const pod = (tenant: string, namespace: string, name: string) => {
    const key = `${tenant}\0${namespace}\0${name}`;
    let entry = perPod.get(key);
    if (!entry) {
      entry = [namespace, name, 0, 0, 0, 0, 0, 0];
      perPod.set(key, entry);
      parts.get(tenant)!.perPod.push(entry);
    }
    return entry;
  };
  // The part's egress prices, for the part's egress bytes.
  const prices = new Map<string, number>();
  const egress: VectorPoint[] = [];
  for (const point of points) {
    const tenant = point.labels.tenant_id;
    const part = parts.get(tenant);
    if (!part) continue;
    const namespace = point.labels.namespace ?? '';
    const category = point.labels.category;
    const value = finite(point.value);
    if (category.startsWith('egress_price_')) {
      prices.set(`${tenant}\0${category.slice('egress_price_'.length)}`, value);
    } else if (category === 'egress_bytes') {
      egress.push(point);
    } else if (category === 'loadBalancers') {
      const key = `${tenant}\0${namespace}`;
      const entry = balancers.get(key);
      if (entry) entry[1] += value;
      else {
        const added: [string, number] = [namespace, value];
        balancers.set(key, added);
        part.loadBalancers.push(added);
      }
    } else if (category === 'cpu' || category === 'ram' || category === 'gpu') {
      const name = point.labels.pod ?? '';
      const node = point.labels.node ?? '';
      const key = `${tenant}\0${namespace}\0${name}\0${node}`;
      let entry = onNodes.get(key);
      if (!entry) {
        entry = [namespace, name, node, 0, 0, 0];
        onNodes.set(key, entry);
        part.onNodes.push(entry);
      }
      entry[category === 'cpu' ? 3 : category === 'ram' ? 4 : 5] += value;
    } else if (category in PER_POD) {
      pod(tenant, namespace, point.labels.pod ?? '')[PER_POD[category]] += value;
    }
  }
  // Egress priced by kind, as the cluster's network cost is (pieces.ts): the weight of each pod's share.
  for (const point of egress) {
    const { tenant_id: tenant, namespace = '', pod_name: name = '', internet, same_region: sameRegion, same_zone: sameZone } = point.labels;
    const kind = internet === 'true' ? 'internet' : sameRegion === 'false' ? 'region' : sameZone === 'false' ? 'zone' : undefined;
    if (kind) pod(tenant, namespace, name)[PER_POD.network] += (finite(point.value) / GIB) * (prices.get(`${tenant}\0${kind}`) ?? 0);
  }
}

function addWorkloads(parts: Map<string, PartInputs>, points: readonly VectorPoint[]): void {
  const labelsOf = (labels: Record<string, string>) => Object.fromEntries(Object.entries(labels).filter(([name]) => name.startsWith('label_')));
  for (const { labels } of points) {
    const part = parts.get(labels.tenant_id);
    if (!part) continue;
    const ns = labels.namespace ?? '';
    // "<none>" is kube-state-metrics' owner of an object nobody owns.
    const owned = labels.owner_kind && labels.owner_kind !== '<none>';
    const owner = (object: string | undefined): OwnerEntry => [`${ns}/${object ?? ''}`, labels.owner_kind, labels.owner_name ?? ''];
    switch (labels.source) {
      case 'pod_owner':
        if (owned) part.podOwners.push(owner(labels.pod));
        break;
      case 'replicaset_owner':
        if (owned) part.replicaSetOwners.push(owner(labels.replicaset));
        break;
      case 'job_owner':
        if (owned) part.jobOwners.push(owner(labels.job_name));
        break;
      case 'pod_labels':
        part.podLabels.push([`${ns}/${labels.pod ?? ''}`, labelsOf(labels)]);
        break;
      case 'namespace_labels':
        part.namespaceLabels.push([ns, labelsOf(labels)]);
        break;
    }
  }
}

const emptyPod = (namespace: string, pod: string, node: string): PodAllocation => ({
  namespace,
  pod,
  node,
  cpu: 0,
  ram: 0,
  gpu: 0,
  persistentVolumes: 0,
  network: 0,
  cpuCoreHoursRequested: 0,
  cpuCoreHoursUsed: 0,
  ramByteHoursRequested: 0,
  ramByteHoursUsed: 0,
});

/**
 * Parts in time order summed into one: costs and resource-hours add up per pod (and node), load
 * balancers per namespace; of owners and labels, the latest part's win.
 */
export function sumParts(parts: readonly PartInputs[]): PartInputs {
  if (parts.length === 1) return parts[0];
  const onNodes = new Map<string, OnNode>();
  const perPod = new Map<string, PerPod>();
  const loadBalancers = new Map<string, [string, number]>();
  const podOwners = new Map<string, OwnerEntry>();
  const replicaSetOwners = new Map<string, OwnerEntry>();
  const jobOwners = new Map<string, OwnerEntry>();
  const podLabels = new Map<string, Record<string, string>>();
  const namespaceLabels = new Map<string, Record<string, string>>();
  for (const part of parts) {
    for (const entry of part.onNodes) {
      const key = `${entry[0]}\0${entry[1]}\0${entry[2]}`;
      const sum = onNodes.get(key);
      if (!sum) onNodes.set(key, [...entry]);
      else for (const i of [3, 4, 5] as const) sum[i] += entry[i];
    }
    for (const entry of part.perPod) {
      const key = `${entry[0]}\0${entry[1]}`;
      const sum = perPod.get(key);
      if (!sum) perPod.set(key, [...entry]);
      else for (const i of [2, 3, 4, 5, 6, 7] as const) sum[i] += entry[i];
    }
    for (const [namespace, cost] of part.loadBalancers) {
      const sum = loadBalancers.get(namespace);
      if (sum) sum[1] += cost;
      else loadBalancers.set(namespace, [namespace, cost]);
    }
    for (const entry of part.podOwners) podOwners.set(entry[0], entry);
    for (const entry of part.replicaSetOwners) replicaSetOwners.set(entry[0], entry);
    for (const entry of part.jobOwners) jobOwners.set(entry[0], entry);
    for (const [key, labels] of part.podLabels) podLabels.set(key, { ...podLabels.get(key), ...labels });
    for (const [namespace, labels] of part.namespaceLabels) namespaceLabels.set(namespace, { ...namespaceLabels.get(namespace), ...labels });
  }
  return {
    onNodes: [...onNodes.values()],
    perPod: [...perPod.values()],
    loadBalancers: [...loadBalancers.values()],
    podOwners: [...podOwners.values()],
    replicaSetOwners: [...replicaSetOwners.values()],
    jobOwners: [...jobOwners.values()],
    podLabels: [...podLabels],
    namespaceLabels: [...namespaceLabels],
  };
}

/**
 * A range's inputs from its parts in time order (sumParts). A pod's volumes, requests, usage and
 * egress (which have no node) go to the node it cost the most on over the range, or to a row
 * without a node when it ran on none.
 */
export function mergeParts(parts: readonly PartInputs[]): AllocationInputs {
  const sum = sumParts(parts);
  const nodesOf = new Map<string, PodAllocation[]>();
  const pods: PodAllocation[] = [];
  for (const [namespace, pod, node, cpu, ram, gpu] of sum.onNodes) {
    const row = { ...emptyPod(namespace, pod, node), cpu, ram, gpu };
    pods.push(row);
    const key = `${namespace}\0${pod}`;
    const rows = nodesOf.get(key);
    if (rows) rows.push(row);
    else nodesOf.set(key, [row]);
  }
  for (const [namespace, pod, persistentVolumes, network, cpuRequested, cpuUsed, ramRequested, ramUsed] of sum.perPod) {
    const onNodes = nodesOf.get(`${namespace}\0${pod}`) ?? [];
    let target = onNodes.reduce<PodAllocation | undefined>((best, r) => (!best || r.cpu + r.ram + r.gpu > best.cpu + best.ram + best.gpu ? r : best), undefined);
    if (!target) {
      // Seen only through its claims, requests or egress: no node.
      target = emptyPod(namespace, pod, '');
      pods.push(target);
    }
    target.persistentVolumes += persistentVolumes;
    target.network += network;
    target.cpuCoreHoursRequested += cpuRequested;
    target.cpuCoreHoursUsed += cpuUsed;
    target.ramByteHoursRequested += ramRequested;
    target.ramByteHoursUsed += ramUsed;
  }
  const owners = (entries: readonly OwnerEntry[]) => new Map(entries.map(([key, kind, name]): [string, Owner] => [key, { kind, name }]));
  return {
    pods,
    workloads: {
      podOwners: owners(sum.podOwners),
      replicaSetOwners: owners(sum.replicaSetOwners),
      jobOwners: owners(sum.jobOwners),
      podLabels: new Map(sum.podLabels),
      namespaceLabels: new Map(sum.namespaceLabels),
    },
    loadBalancersByNamespace: new Map(sum.loadBalancers),
  };
}
