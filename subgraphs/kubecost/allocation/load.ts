import { costWindow, seriesBuckets, type Bucket, type Window } from '../costs/window';
import { podAllocationQuery, workloadsQuery } from '../costs/queries';
import type { QueryBudget } from '../costs/query-budget';
import { tenantSelector } from '../promql/matchers';
import type { Promql, VectorPoint } from '../promql/thanos-client';
import type { Owner, PodAllocation, Workloads } from './allocate';

/** What allocation needs of one cluster beside its totals: pods' allocations and the workloads' owners and labels. */
export interface AllocationInputs {
  pods: PodAllocation[];
  workloads: Workloads;
  loadBalancersByNamespace: Map<string, number>;
}

const finite = (value: number) => (Number.isFinite(value) ? value : 0);
const GIB = 1073741824;

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * The parts a range is asked in: cut at every UTC midnight, and at the first and last whole
 * hour. A rolling window then moves only its two partial hours every minute; the whole hours
 * beside them change once an hour, and the days between never.
 */
export function allocationParts(fromMs: number, toMs: number): Bucket[] {
  const cuts = new Set([fromMs, toMs, Math.ceil(fromMs / HOUR_MS) * HOUR_MS, Math.floor(toMs / HOUR_MS) * HOUR_MS]);
  for (const day of seriesBuckets(fromMs, toMs, DAY_MS)) cuts.add(day.startMs);
  const sorted = [...cuts].filter((ms) => ms >= fromMs && ms <= toMs).sort((a, b) => a - b);
  return sorted.slice(1).map((endMs, i) => ({ startMs: sorted[i], endMs }));
}

/**
 * Every cluster's pods (per pod and node) and workloads over [from, to), in two PromQL requests
 * per part of the range (allocationParts) for all the clusters, whatever dimensions are asked:
 * grouping happens in allocate.ts. Every part is integrated at the whole range's resolution, so
 * the parts' points are exactly the range's and their sums add up to it; a part that ended is
 * the same query on every request, which the result cache keeps, so a rolling window asks the
 * store only for its partial first and last hours.
 */
export async function loadAllocationInputs(client: Promql, ids: readonly string[], from: Date, to: Date, budget?: QueryBudget): Promise<Map<string, AllocationInputs>> {
  const whole = costWindow(from, to);
  // Integrated point by point over the whole range: every hour is asked of PromQL (or its cache).
  budget?.charge(ids.length * whole.hours);
  const T = tenantSelector(ids);
  const parts = allocationParts(whole.fromMs, whole.toMs).map(
    (part): Window => ({ fromMs: part.startMs, toMs: part.endMs, evalMs: part.endMs - 1, range: `${part.endMs - part.startMs - 1}ms`, resolutionSeconds: whole.resolutionSeconds, hours: (part.endMs - part.startMs) / HOUR_MS }),
  );
  const answers = await Promise.all(parts.map((part) => Promise.all([client.instant(podAllocationQuery(T, part), part.evalMs), client.instant(workloadsQuery(T, part), part.evalMs)])));
  const result = new Map<string, AllocationInputs>(ids.map((id) => [id, { pods: [], workloads: emptyWorkloads(), loadBalancersByNamespace: new Map() }]));
  const pods = new PodAccumulator(result);
  for (const [podPoints] of answers) pods.add(podPoints);
  pods.finish();
  // In time order: a later part's owner or label wins.
  addWorkloads(result, answers.flatMap(([, workloadPoints]) => workloadPoints));
  return result;
}

function emptyWorkloads(): Workloads {
  return { podOwners: new Map(), replicaSetOwners: new Map(), jobOwners: new Map(), podLabels: new Map(), namespaceLabels: new Map() };
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

/** Sums the parts' per-pod answers into each cluster's pods. */
class PodAccumulator {
  /** Each pod's rows, one per node it ran on. */
  private readonly nodesOf = new Map<string, PodAllocation[]>();
  /** Per pod, what has no node (its volumes, requests and usage, priced egress): added to its costliest node at the end. */
  private readonly perPod = new Map<string, Record<string, number>>();

  constructor(private readonly result: Map<string, AllocationInputs>) {}

  add(points: readonly VectorPoint[]): void {
    // The part's egress prices, for the part's egress bytes.
    const prices = new Map<string, number>();
    const egress: VectorPoint[] = [];
    for (const point of points) {
      const tenant = point.labels.tenant_id;
      const inputs = this.result.get(tenant);
      if (!inputs) continue;
      const namespace = point.labels.namespace ?? '';
      const pod = point.labels.pod ?? '';
      const key = `${tenant}\0${namespace}\0${pod}`;
      const category = point.labels.category;
      const value = finite(point.value);
      if (category.startsWith('egress_price_')) {
        prices.set(`${tenant}\0${category.slice('egress_price_'.length)}`, value);
      } else if (category === 'egress_bytes') {
        egress.push(point);
      } else if (category === 'loadBalancers') {
        inputs.loadBalancersByNamespace.set(namespace, (inputs.loadBalancersByNamespace.get(namespace) ?? 0) + value);
      } else if (category === 'cpu' || category === 'ram' || category === 'gpu') {
        const node = point.labels.node ?? '';
        const rows = this.nodesOf.get(key) ?? [];
        let row = rows.find((r) => r.node === node);
        if (!row) {
          row = emptyPod(namespace, pod, node);
          rows.push(row);
          this.nodesOf.set(key, rows);
          inputs.pods.push(row);
        }
        row[category] += value;
      } else {
        this.addToPod(key, category, value);
      }
    }
    // Egress priced by kind, as the cluster's network cost is (pieces.ts): the weight of each pod's share.
    for (const point of egress) {
      const { tenant_id: tenant, namespace = '', pod_name: pod = '', internet, same_region: sameRegion, same_zone: sameZone } = point.labels;
      const kind = internet === 'true' ? 'internet' : sameRegion === 'false' ? 'region' : sameZone === 'false' ? 'zone' : undefined;
      if (kind) this.addToPod(`${tenant}\0${namespace}\0${pod}`, 'network', (finite(point.value) / GIB) * (prices.get(`${tenant}\0${kind}`) ?? 0));
    }
  }

  private addToPod(key: string, category: string, value: number): void {
    const values = this.perPod.get(key) ?? {};
    values[category] = (values[category] ?? 0) + value;
    this.perPod.set(key, values);
  }

  /** Puts what has no node on each pod's costliest node (or a row without a node). */
  finish(): void {
    for (const [key, values] of this.perPod) {
      const [tenant, namespace, pod] = key.split('\0');
      const rows = this.nodesOf.get(key) ?? [];
      let target = rows.reduce<PodAllocation | undefined>((best, r) => (!best || r.cpu + r.ram + r.gpu > best.cpu + best.ram + best.gpu ? r : best), undefined);
      if (!target) {
        // Seen only through its claims, requests or egress: no node.
        target = emptyPod(namespace, pod, '');
        this.result.get(tenant)!.pods.push(target);
      }
      target.persistentVolumes += values.persistentVolumes ?? 0;
      target.network += values.network ?? 0;
      target.cpuCoreHoursRequested += values.cpu_request ?? 0;
      target.cpuCoreHoursUsed += values.cpu_usage ?? 0;
      target.ramByteHoursRequested += values.ram_request ?? 0;
      target.ramByteHoursUsed += values.ram_usage ?? 0;
    }
  }
}

function addWorkloads(result: Map<string, AllocationInputs>, points: readonly VectorPoint[]): void {
  const built = new Map<string, { podOwners: Map<string, Owner>; replicaSetOwners: Map<string, Owner>; jobOwners: Map<string, Owner>; podLabels: Map<string, Record<string, string>>; namespaceLabels: Map<string, Record<string, string>> }>();
  const owner = (labels: Record<string, string>): Owner | undefined =>
    // "<none>" is kube-state-metrics' owner of an object nobody owns.
    labels.owner_kind && labels.owner_kind !== '<none>' ? { kind: labels.owner_kind, name: labels.owner_name ?? '' } : undefined;
  const labelsOf = (labels: Record<string, string>) => Object.fromEntries(Object.entries(labels).filter(([name]) => name.startsWith('label_')));
  const setIf = (map: Map<string, Owner>, key: string, value: Owner | undefined) => value && map.set(key, value);
  for (const { labels } of points) {
    const tenant = labels.tenant_id;
    if (!result.has(tenant)) continue;
    let w = built.get(tenant);
    if (!w) {
      w = { podOwners: new Map(), replicaSetOwners: new Map(), jobOwners: new Map(), podLabels: new Map(), namespaceLabels: new Map() };
      built.set(tenant, w);
    }
    const ns = labels.namespace ?? '';
    switch (labels.source) {
      case 'pod_owner':
        setIf(w.podOwners, `${ns}/${labels.pod}`, owner(labels));
        break;
      case 'replicaset_owner':
        setIf(w.replicaSetOwners, `${ns}/${labels.replicaset}`, owner(labels));
        break;
      case 'job_owner':
        setIf(w.jobOwners, `${ns}/${labels.job_name}`, owner(labels));
        break;
      case 'pod_labels':
        w.podLabels.set(`${ns}/${labels.pod}`, { ...w.podLabels.get(`${ns}/${labels.pod}`), ...labelsOf(labels) });
        break;
      case 'namespace_labels':
        w.namespaceLabels.set(ns, { ...w.namespaceLabels.get(ns), ...labelsOf(labels) });
        break;
    }
  }
  for (const [tenant, workloads] of built) result.get(tenant)!.workloads = workloads;
}
