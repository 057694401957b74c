import { subquery, type Window } from './window';

/*
 * PromQL for OpenCost's asset model (REFERENCE.md §5): cost = average price over the window ×
 * average quantity × hours the object ran. Hours come from the samples themselves: each sample
 * of the object's price series stands for one scrape interval of its cluster, so the queries
 * return price × quantity × samples and the caller multiplies by interval / 3600 (see
 * scrape-interval.ts). `count_over_time` over the raw selector counts real samples only (no
 * stale markers, no 5-minute lookback carrying a vanished series forward), a gap without samples
 * costs nothing, and with the half-open range of window.ts the samples of adjacent windows
 * partition those of their union, so costs add up exactly. Each series is deduplicated with
 * `max by` before joining, so a series that the customer scrapes twice is not charged twice.
 * `T` is the tenant matcher.
 *
 * Why not integrate price × quantity point by point (`sum_over_time((price * capacity)[W:R])`)?
 * Prometheus evaluates a join inside a subquery at every step, which is an order of magnitude
 * slower than range functions over bare selectors. The two agree exactly for constant prices;
 * with changing prices this follows OpenCost, whose reference model averages the price over the
 * window too.
 */

const GIB = 1073741824;

export const ASSET_CATEGORIES = ['cpu', 'ram', 'gpu', 'persistentVolumes', 'loadBalancers', 'clusterManagement'] as const;
export type AssetCategory = (typeof ASSET_CATEGORIES)[number];

const tagAs = (label: string) => (expr: string, value: string) => `label_replace(${expr}, "${label}", "${value}", "", "")`;
const tag = tagAs('category');

/**
 * Every asset's price × quantity × samples over `[range]` ending at the evaluation time (or at
 * `at`, e.g. ` @ 1700000000.000`), one value per object and category (label `category`; a node
 * has cpu, ram and gpu, its samples counted once and shared). Per object rather than summed per
 * cluster: one NaN or ±Inf input would turn a PromQL sum into NaN, so the caller sums the finite
 * values and counts the objects it leaves out, without PromQL evaluating every selector twice.
 * A node's cpu and a volume's cost keep the `provider_id` of the price series (the cloud
 * resource, which the bill names): a node whose id changed within the range comes back once per
 * id, and the caller keeps the largest value, as `max by` would.
 */
export function assetCosts(T: string, range: string, at = ''): string {
  const avg = (metric: string, by: string) => `max by (${by}) (avg_over_time(${metric}{${T}}[${range}]${at}))`;
  const samples = (metric: string, by: string) => `max by (${by}) (count_over_time(${metric}{${T}}[${range}]${at}))`;
  const node = 'tenant_id, node';
  const pv = 'tenant_id, persistentvolume';
  const lb = 'tenant_id, namespace, service_name, ingress_ip';
  const perNode = [
    tag(`${avg('node_cpu_hourly_cost', `${node}, provider_id`)} * on (${node}) group_left () ${avg('kube_node_status_capacity_cpu_cores', node)}`, 'cpu'),
    tag(`${avg('node_ram_hourly_cost', node)} * on (${node}) ${avg('kube_node_status_capacity_memory_bytes', node)} / ${GIB}`, 'ram'),
    tag(`${avg('node_gpu_hourly_cost', node)} * on (${node}) ${avg('node_gpu_count', node)}`, 'gpu'),
  ].join(' or ');
  return [
    `(${perNode}) * on (${node}) group_left () ${samples('node_cpu_hourly_cost', node)}`,
    `${tag(`${avg('pv_hourly_cost', `${pv}, provider_id`)} * on (${pv}) group_left () ${avg('kube_persistentvolume_capacity_bytes', pv)} / ${GIB}`, 'persistentVolumes')} * on (${pv}) group_left () ${samples('pv_hourly_cost', pv)}`,
    `${tag(avg('kubecost_load_balancer_cost', lb), 'loadBalancers')} * on (${lb}) group_left () ${samples('kubecost_load_balancer_cost', lb)}`,
    `${tag(avg('kubecost_cluster_management_cost', 'tenant_id'), 'clusterManagement')} * on (tenant_id) group_left () ${samples('kubecost_cluster_management_cost', 'tenant_id')}`,
  ].join(' or ');
}

const integrate = (rate: string, window: Window) => `sum_over_time((${rate})${subquery(window)}) * ${window.resolutionSeconds / 3600}`;

/**
 * Namespace allocation, OpenCost style: allocated cores/bytes are max(request, usage) as the
 * exporter reports them, priced at the CPU/RAM/GPU price of the node the container ran on;
 * PV cost follows the claims pods hold; load balancers belong to their service's namespace.
 */
export function namespaceCostQuery(T: string, window: Window): string {
  const rates: Record<string, string> = {
    ...allocationRates(T, 'tenant_id, namespace'),
    loadBalancers: namespaceLoadBalancers(T),
  };
  return Object.entries(rates)
    .map(([category, rate]) => tag(integrate(rate, window), category))
    .join(' or ');
}

/**
 * Cost per hour of what containers were allocated (cpu, ram, gpu: at the prices of the node they
 * ran on, by `by`, and by node too with `byNode`) and of the volumes their pods claim
 * (persistentVolumes: by `by`).
 */
function allocationRates(T: string, by: string, byNode = false): Record<string, string> {
  const alloc = (metric: string, price: string, scale = '') =>
    `sum by (${byNode ? `${by}, node` : by}) (sum by (${by}, node) (${metric}{${T}}) * on (tenant_id, node) group_left () max by (tenant_id, node) (${price}{${T}})${scale})`;
  return {
    cpu: alloc('container_cpu_allocation', 'node_cpu_hourly_cost'),
    ram: alloc('container_memory_allocation_bytes', 'node_ram_hourly_cost', ` / ${GIB}`),
    gpu: alloc('container_gpu_allocation', 'node_gpu_hourly_cost'),
    persistentVolumes: `sum by (${by}) (max by (${by}, persistentvolume) (pod_pvc_allocation{${T}}) * on (tenant_id, persistentvolume) group_left () max by (tenant_id, persistentvolume) (pv_hourly_cost{${T}}) / ${GIB})`,
  };
}

/**
 * Allocation per pod, the finest grain every dimension is grouped from: cpu, ram and gpu cost by
 * pod and node; volume cost by pod; requested and used core-hours and byte-hours by pod; egress
 * bytes by pod; and load balancers by namespace. One query for every cluster of the request,
 * whatever the dimensions asked.
 */
export function podAllocationQuery(T: string, window: Window): string {
  const pod = 'tenant_id, namespace, pod';
  const parts: Record<string, string> = {
    ...allocationRates(T, pod, true),
    ...usageRates(T, pod),
    // By namespace: a service's load balancer belongs to no pod.
    loadBalancers: namespaceLoadBalancers(T),
  };
  // Egress bytes per pod and kind over the window, and the prices: the caller weighs each pod's
  // share of the cluster's network cost by them.
  const egress = `max by (tenant_id, namespace, pod_name, internet, same_zone, same_region) (increase(kubecost_pod_network_egress_bytes_total{${T}}[${window.range}]))`;
  const prices = ['internet', 'region', 'zone'].map((kind) => tag(`max by (tenant_id) (avg_over_time(kubecost_network_${kind}_egress_cost{${T}}[${window.range}]))`, `egress_price_${kind}`));
  return [
    ...Object.entries(parts).map(([category, rate]) => tag(integrate(rate, window), category)),
    tag(egress, 'egress_bytes'),
    ...prices,
  ].join(' or ');
}

/**
 * kube-state-metrics' owners and labels seen in the window (each series as last seen): pod →
 * ReplicaSet or Job → Deployment or CronJob, and pod and namespace labels (`label_*`), tagged
 * by `source`.
 */
export function workloadsQuery(T: string, window: Window): string {
  const seen = (metric: string) => `last_over_time(${metric}{${T}}[${window.range}])`;
  const owners = (metric: string, object: string) => `max by (tenant_id, namespace, ${object}, owner_kind, owner_name) (${seen(metric)})`;
  const source = tagAs('source');
  return [
    source(owners('kube_pod_owner', 'pod'), 'pod_owner'),
    source(owners('kube_replicaset_owner', 'replicaset'), 'replicaset_owner'),
    source(owners('kube_job_owner', 'job_name'), 'job_owner'),
    source(seen('kube_pod_labels'), 'pod_labels'),
    source(seen('kube_namespace_labels'), 'namespace_labels'),
  ].join(' or ');
}

/**
 * Usage against requests per namespace over the window (cAdvisor usage, kube-state-metrics
 * requests), for efficiency and right-sizing: core-hours and byte-hours. Integrated, not
 * averaged: `avg_over_time` averages only over the points where a namespace existed, so a
 * namespace that ran for an hour would weigh as much as one that ran all month.
 */
export function efficiencyQuery(T: string, window: Window): string {
  return Object.entries(usageRates(T, 'tenant_id, namespace'))
    .map(([category, expr]) => tag(integrate(expr, window), category))
    .join(' or ');
}

/** Used and requested CPU cores and memory bytes by `by` (cAdvisor usage, kube-state-metrics requests). */
function usageRates(T: string, by: string): Record<string, string> {
  return {
    cpu_usage: `sum by (${by}) (rate(container_cpu_usage_seconds_total{${T}, container!="", container!="POD"}[5m]))`,
    cpu_request: `sum by (${by}) (kube_pod_container_resource_requests{${T}, resource="cpu"})`,
    ram_usage: `sum by (${by}) (container_memory_working_set_bytes{${T}, container!="", container!="POD"})`,
    ram_request: `sum by (${by}) (kube_pod_container_resource_requests{${T}, resource="memory"})`,
  };
}

/** Load balancers' cost per hour by namespace (each service's counted once). */
const namespaceLoadBalancers = (T: string) => `sum by (tenant_id, namespace) (max by (tenant_id, namespace, service_name, ingress_ip) (kubecost_load_balancer_cost{${T}}))`;

/** Persistent volumes that exist at the window's end but no pod claims: their hourly cost. */
export function unclaimedVolumesQuery(T: string): string {
  return `max by (tenant_id, persistentvolume) (pv_hourly_cost{${T}}) * on (tenant_id, persistentvolume) (max by (tenant_id, persistentvolume) (kube_persistentvolume_capacity_bytes{${T}}) unless on (tenant_id, persistentvolume) max by (tenant_id, persistentvolume) (pod_pvc_allocation{${T}})) / ${GIB}`;
}
