/**
 * The metric families the cost model reads (REFERENCE §4) plus cAdvisor usage for efficiency.
 * The ingest worker keeps only these by default, and the onboarding snippets ask the
 * customer's Prometheus to send only these, so nobody pays to ship series we would drop.
 */
export const COST_METRIC_FAMILIES: readonly string[] = [
  'node_cpu_hourly_cost',
  'node_ram_hourly_cost',
  'node_gpu_hourly_cost',
  'node_gpu_count',
  'node_total_hourly_cost',
  'kubecost_node_is_spot',
  'pv_hourly_cost',
  'kubecost_load_balancer_cost',
  'kubecost_cluster_management_cost',
  'kubecost_network_zone_egress_cost',
  'kubecost_network_region_egress_cost',
  'kubecost_network_internet_egress_cost',
  'container_cpu_allocation',
  'container_memory_allocation_bytes',
  'container_gpu_allocation',
  'pod_pvc_allocation',
  'kubecost_cluster_info',
  'kube_node_status_capacity_cpu_cores',
  'kube_node_status_capacity_memory_bytes',
  'kube_persistentvolume_capacity_bytes',
  // The volume's CSI handle (`csi_volume_handle`): the disk id a bill charges.
  'kube_persistentvolume_info',
  'kube_persistentvolumeclaim_info',
  'kube_pod_container_resource_requests',
  'kubecost_pod_network_egress_bytes_total',
  'container_cpu_usage_seconds_total',
  'container_memory_working_set_bytes',
  // kube-state-metrics' workload owners and labels: allocation by controller (a pod's
  // ReplicaSet's Deployment, a Job's CronJob) and by label (the pod's, else its namespace's).
  'kube_pod_owner',
  'kube_replicaset_owner',
  'kube_job_owner',
  'kube_pod_labels',
  'kube_namespace_labels',
];

/**
 * kube-state-metrics v2 writes `kube_pod_labels` and `kube_namespace_labels` with only the label
 * keys it is told to keep: without them, allocation by label finds every pod unallocated.
 */
export const LABELS_ALLOWLIST_NOTE =
  'kube-state-metrics v2 exports pod and namespace labels only for the keys listed in its --metric-labels-allowlist flag ' +
  "(e.g. --metric-labels-allowlist=pods=[team,app],namespaces=[team]); list the labels costs are charged by.";
