import { subquery, type Bucket, type Window } from './window';

/*
 * PromQL for OpenCost's asset model (REFERENCE.md §5): cost = average price over the window ×
 * average quantity × hours the object ran, where hours are the subquery points `[W:R]` at
 * which the object's price series existed × R/3600. A node that joins or leaves mid-window is
 * charged only for the points at which it existed. Each series is deduplicated with `max by`
 * before joining, so a series that the customer scrapes twice is not charged twice. `T` is the
 * tenant matcher.
 *
 * Why not integrate price × quantity point by point (`sum_over_time((price * capacity)[W:R])`)?
 * Prometheus evaluates a join inside a subquery at every step: for 100 clusters over 30 days
 * that took ~20 s, against ~2 s for range functions plus one subquery over a bare selector.
 * The two agree exactly for constant prices; with changing prices this follows OpenCost,
 * whose reference model averages the price over the window too.
 */

const GIB = 1073741824;

export const ASSET_CATEGORIES = ['cpu', 'ram', 'gpu', 'persistentVolumes', 'loadBalancers', 'clusterManagement'] as const;
export type AssetCategory = (typeof ASSET_CATEGORIES)[number];

const tag = (expr: string, category: string) => `label_replace(${expr}, "category", "${category}", "", "")`;

/**
 * Every asset category's cost per tenant over `[range]` ending at the evaluation time (or at
 * `at`, e.g. ` @ 1700000000.000`), as one vector labelled `category`. Node hours are computed
 * once and shared by CPU, RAM and GPU.
 */
export function assetCosts(T: string, range: string, resolutionSeconds: number, at = ''): string {
  const avg = (metric: string, by: string) => `max by (${by}) (avg_over_time(${metric}{${T}}[${range}]${at}))`;
  const hours = (metric: string, by: string) => `(max by (${by}) (count_over_time(${metric}{${T}}[${range}:${resolutionSeconds}s]${at})) * ${resolutionSeconds / 3600})`;
  const node = 'tenant_id, node';
  const pv = 'tenant_id, persistentvolume';
  const lb = 'tenant_id, namespace, service_name, ingress_ip';
  const perNode = [
    tag(`${avg('node_cpu_hourly_cost', node)} * on (${node}) ${avg('kube_node_status_capacity_cpu_cores', node)}`, 'cpu'),
    tag(`${avg('node_ram_hourly_cost', node)} * on (${node}) ${avg('kube_node_status_capacity_memory_bytes', node)} / ${GIB}`, 'ram'),
    tag(`${avg('node_gpu_hourly_cost', node)} * on (${node}) ${avg('node_gpu_count', node)}`, 'gpu'),
  ].join(' or ');
  return [
    `sum by (tenant_id, category) ((${perNode}) * on (${node}) group_left () ${hours('node_cpu_hourly_cost', node)})`,
    `sum by (tenant_id, category) (${tag(`${avg('pv_hourly_cost', pv)} * on (${pv}) ${avg('kube_persistentvolume_capacity_bytes', pv)} / ${GIB}`, 'persistentVolumes')} * on (${pv}) group_left () ${hours('pv_hourly_cost', pv)})`,
    `sum by (tenant_id, category) (${tag(avg('kubecost_load_balancer_cost', lb), 'loadBalancers')} * on (${lb}) group_left () ${hours('kubecost_load_balancer_cost', lb)})`,
    `sum by (tenant_id, category) (${tag(avg('kubecost_cluster_management_cost', 'tenant_id'), 'clusterManagement')} * on (tenant_id) group_left () ${hours('kubecost_cluster_management_cost', 'tenant_id')})`,
  ].join(' or ');
}

const integrate = (rate: string, window: Window) => `sum_over_time((${rate})${subquery(window)}) * ${window.resolutionSeconds / 3600}`;

/** Metrics whose presence means the cluster is sending cost data. */
const PRESENCE = ['node_cpu_hourly_cost', 'node_total_hourly_cost', 'kubecost_cluster_management_cost', 'kubecost_cluster_info', 'pv_hourly_cost'];

/**
 * Newest sample time per tenant among the presence metrics, in two parts:
 *
 * - exact: `timestamp()` of the raw series at the window's end, which sees the newest sample of
 *   a cluster still sending when the window closes (the usual case);
 * - otherwise (the cluster stopped, or paused, inside the window): the last subquery point at
 *   which any presence series existed, to the window's resolution.
 *
 * The fallback applies `timestamp()` to an aggregation, never to a bare selector: over a bare
 * selector Prometheus 2.x re-reads every series at every subquery step (hundreds of ms per
 * cluster-day), while an aggregation is evaluated once over the range. `timestamp()` also drops
 * the metric name, so each metric keeps its own `presence` label or `or` would merge them.
 */
const lastSampleTimestamps = (T: string, window: Window) => {
  const exact = PRESENCE.map((metric) => `label_replace(max by (tenant_id) (timestamp(${metric}{${T}})), "presence", "${metric}", "", "")`).join(' or ');
  const present = PRESENCE.map((metric) => `count by (tenant_id) (${metric}{${T}})`).join(' or ');
  return `max by (tenant_id) (${exact}) or max_over_time(timestamp(${present})${subquery(window)})`;
};

/**
 * Nodes that had a price in the window but never a CPU or memory capacity: their asset cost
 * is unknown (counted as 0), so idle cost cannot be known either. Cheap range functions only.
 */
const capacityMissing = (T: string, window: Window) => {
  const priced = `max by (tenant_id, node) (max_over_time(node_cpu_hourly_cost{${T}}[${window.range}]))`;
  const lacking = ['kube_node_status_capacity_cpu_cores', 'kube_node_status_capacity_memory_bytes'].map(
    (capacity) => `(${priced} unless on (tenant_id, node) max by (tenant_id, node) (max_over_time(${capacity}{${T}}[${window.range}])))`,
  );
  return `count by (tenant_id) (${lacking.join(' or ')})`;
};

/**
 * One instant query for a batch of clusters: every asset category's cost, the last sample
 * time, and the network inputs (egress bytes by kind and the three egress prices).
 */
export function clusterCostQuery(T: string, window: Window): string {
  const parts = [assetCosts(T, window.range, window.resolutionSeconds)];
  parts.push(tag(`max by (tenant_id) (${lastSampleTimestamps(T, window)})`, 'last_sample'));
  parts.push(tag(capacityMissing(T, window), 'capacity_missing'));
  parts.push(
    tag(`sum by (tenant_id, internet, same_zone, same_region) (increase(kubecost_pod_network_egress_bytes_total{${T}}[${window.range}]))`, 'egress_bytes'),
  );
  for (const kind of ['internet', 'region', 'zone']) {
    parts.push(tag(`max by (tenant_id) (avg_over_time(kubecost_network_${kind}_egress_cost{${T}}[${window.range}]))`, `egress_price_${kind}`));
  }
  return parts.join(' or ');
}

/**
 * Namespace allocation, OpenCost style: allocated cores/bytes are max(request, usage) as the
 * exporter reports them, priced at the CPU/RAM/GPU price of the node the container ran on;
 * PV cost follows the claims pods hold; load balancers belong to their service's namespace.
 */
export function namespaceCostQuery(T: string, window: Window): string {
  const alloc = (metric: string, price: string, scale = '') =>
    `sum by (tenant_id, namespace) (sum by (tenant_id, namespace, node) (${metric}{${T}}) * on (tenant_id, node) group_left () max by (tenant_id, node) (${price}{${T}})${scale})`;
  const rates: Record<string, string> = {
    cpu: alloc('container_cpu_allocation', 'node_cpu_hourly_cost'),
    ram: alloc('container_memory_allocation_bytes', 'node_ram_hourly_cost', ` / ${GIB}`),
    gpu: alloc('container_gpu_allocation', 'node_gpu_hourly_cost'),
    persistentVolumes: `sum by (tenant_id, namespace) (max by (tenant_id, namespace, persistentvolume) (pod_pvc_allocation{${T}}) * on (tenant_id, persistentvolume) group_left () max by (tenant_id, persistentvolume) (pv_hourly_cost{${T}}) / ${GIB})`,
    loadBalancers: `sum by (tenant_id, namespace) (max by (tenant_id, namespace, service_name, ingress_ip) (kubecost_load_balancer_cost{${T}}))`,
  };
  return Object.entries(rates)
    .map(([category, rate]) => tag(integrate(rate, window), category))
    .join(' or ');
}

/**
 * Usage against requests per namespace over the window (cAdvisor usage, kube-state-metrics
 * requests), for efficiency and right-sizing: core-hours and byte-hours. Integrated, not
 * averaged: `avg_over_time` averages only over the points where a namespace existed, so a
 * namespace that ran for an hour would weigh as much as one that ran all month.
 */
export function efficiencyQuery(T: string, window: Window): string {
  const hours = (expr: string) => integrate(expr, window);
  const parts: Record<string, string> = {
    cpu_usage: `sum by (tenant_id, namespace) (rate(container_cpu_usage_seconds_total{${T}, container!="", container!="POD"}[5m]))`,
    cpu_request: `sum by (tenant_id, namespace) (kube_pod_container_resource_requests{${T}, resource="cpu"})`,
    ram_usage: `sum by (tenant_id, namespace) (container_memory_working_set_bytes{${T}, container!="", container!="POD"})`,
    ram_request: `sum by (tenant_id, namespace) (kube_pod_container_resource_requests{${T}, resource="memory"})`,
  };
  return Object.entries(parts)
    .map(([category, expr]) => tag(hours(expr), category))
    .join(' or ');
}

/** Persistent volumes that exist at the window's end but no pod claims: their hourly cost. */
export function unclaimedVolumesQuery(T: string): string {
  return `max by (tenant_id, persistentvolume) (pv_hourly_cost{${T}}) * on (tenant_id, persistentvolume) (max by (tenant_id, persistentvolume) (kube_persistentvolume_capacity_bytes{${T}}) unless on (tenant_id, persistentvolume) max by (tenant_id, persistentvolume) (pod_pvc_allocation{${T}})) / ${GIB}`;
}

/** Asset costs per bucket of `stepSeconds`, as a range query evaluated at each bucket's last millisecond. */
export function seriesQuery(T: string, stepSeconds: number, resolutionSeconds: number): string {
  return assetCosts(T, `${stepSeconds * 1000 - 1}ms`, resolutionSeconds);
}

/**
 * Asset costs of clipped buckets in one instant query: each bucket's selectors are pinned to
 * the bucket's last millisecond with `@` and tagged with its position in `buckets`.
 */
export function seriesPartialQuery(T: string, buckets: readonly Bucket[], resolutionSeconds: number): string {
  return buckets
    .map(
      (bucket, i) =>
        `label_replace(${assetCosts(T, `${bucket.endMs - bucket.startMs - 1}ms`, resolutionSeconds, ` @ ${((bucket.endMs - 1) / 1000).toFixed(3)}`)}, "bucket", "${i}", "", "")`,
    )
    .join(' or ');
}
