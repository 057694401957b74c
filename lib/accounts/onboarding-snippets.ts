import YAML from 'yaml';
import { COST_METRIC_FAMILIES, LABELS_ALLOWLIST_NOTE } from '../remote-write/cost-metrics';

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

/** The snippets' first line: what the customer must set beside them for allocation by label. */
const LABELS_COMMENT = `# ${LABELS_ALLOWLIST_NOTE}\n`;

export function prometheusRemoteWriteYaml(target: RemoteWriteTarget): string {
  return LABELS_COMMENT + YAML.stringify({ remote_write: [remoteWriteEntry(target)] }, YAML_1_1);
}

/** Values for the Kubecost `cost-analyzer` chart's bundled Prometheus (`-f values.yaml`). */
export function kubecostHelmValuesYaml(target: RemoteWriteTarget): string {
  return LABELS_COMMENT + YAML.stringify({
    prometheus: {
      server: {
        global: { external_labels: { cluster_id: target.clusterName } },
        remoteWrite: [remoteWriteEntry(target)],
      },
    },
  }, YAML_1_1);
}
