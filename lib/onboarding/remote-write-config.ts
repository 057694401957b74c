import YAML from 'yaml';

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
  'kube_persistentvolumeclaim_info',
  'kube_pod_container_resource_requests',
  'kubecost_pod_network_egress_bytes_total',
  'container_cpu_usage_seconds_total',
  'container_memory_working_set_bytes',
];

export interface RemoteWriteTarget {
  url: string;
  username: string;
  password: string;
  /** Becomes `cluster_id` in the customer's external labels (Kubecost requires one per cluster). */
  clusterName: string;
}

function remoteWriteEntry(target: RemoteWriteTarget) {
  return {
    url: target.url,
    basic_auth: { username: target.username, password: target.password },
    // Prometheus 2.x drops batches answered 429 unless told to retry them.
    queue_config: { retry_on_http_429: true },
    write_relabel_configs: [{ source_labels: ['__name__'], regex: COST_METRIC_FAMILIES.join('|'), action: 'keep' }],
  };
}

/** A `remote_write` block to paste into any Prometheus or agent configuration. */
/**
 * Helm and Prometheus read YAML 1.1, where a bare yes, no, on, off, 1_000 or 2026-11-27 is not
 * a string: written for 1.1, such values are quoted.
 */
const YAML_1_1 = { version: '1.1' } as const;

export function prometheusRemoteWriteYaml(target: RemoteWriteTarget): string {
  return YAML.stringify({ remote_write: [remoteWriteEntry(target)] }, YAML_1_1);
}

/** Values for the Kubecost `cost-analyzer` chart's bundled Prometheus (`-f values.yaml`). */
export function kubecostHelmValuesYaml(target: RemoteWriteTarget): string {
  return YAML.stringify({
    prometheus: {
      server: {
        global: { external_labels: { cluster_id: target.clusterName } },
        remoteWrite: [remoteWriteEntry(target)],
      },
    },
  }, YAML_1_1);
}
