import YAML from 'yaml';
import { kubecostHelmValuesYaml, prometheusRemoteWriteYaml } from '../../lib/accounts/onboarding-snippets';
import { decodeWriteRequest, encodeWriteRequest } from '../../lib/remote-write/codec';
import { COST_METRIC_FAMILIES } from '../../lib/remote-write/cost-metrics';
import { processWriteRequest } from '../../ingest/pipeline/process';

/*
 * The series allocation by controller and label needs (kube-state-metrics' owners and labels,
 * shaped as its documentation gives them) pass ingest's allow-list, and the onboarding
 * snippets ask for them and say what kube-state-metrics must be told.
 */

const TENANT = '5f0c3a52-6f7e-4c55-9d0e-2b7a9c1d4e21';
const NOW = Date.UTC(2026, 11, 1);
const FAMILIES = ['kube_pod_owner', 'kube_replicaset_owner', 'kube_job_owner', 'kube_pod_labels', 'kube_namespace_labels'];

const series = [
  { __name__: 'kube_pod_owner', namespace: 'web', pod: 'web-7d9f-abcde', uid: 'u1', owner_kind: 'ReplicaSet', owner_name: 'web-7d9f', owner_is_controller: 'true' },
  { __name__: 'kube_replicaset_owner', namespace: 'web', replicaset: 'web-7d9f', owner_kind: 'Deployment', owner_name: 'web', owner_is_controller: 'true' },
  { __name__: 'kube_job_owner', namespace: 'batch', job_name: 'report-29101', owner_kind: 'CronJob', owner_name: 'report', owner_is_controller: 'true' },
  { __name__: 'kube_pod_labels', namespace: 'web', pod: 'web-7d9f-abcde', uid: 'u1', label_team: 'checkout', label_app_kubernetes_io_name: 'web' },
  { __name__: 'kube_namespace_labels', namespace: 'web', label_team: 'storefront' },
  // Not a cost family: dropped.
  { __name__: 'kube_pod_status_phase', namespace: 'web', pod: 'web-7d9f-abcde', phase: 'Running' },
];

describe('metrics for allocation by controller and label', () => {
  it('are on the allow-list, and ingest keeps them with the tenant stamped', () => {
    expect(COST_METRIC_FAMILIES).toEqual(expect.arrayContaining(FAMILIES));
    const raw = encodeWriteRequest(
      series.map((labels) => ({
        labels: Object.entries(labels)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([name, value]) => ({ name, value })),
        samples: [{ timestamp: NOW, value: 1 }],
      })),
      [],
    );
    const result = processWriteRequest(raw, TENANT, {
      allowList: new Set(COST_METRIC_FAMILIES),
      minTimestamp: NOW - 86_400_000,
      maxTimestamp: NOW + 600_000,
      maxLabelsPerSeries: 30,
      maxLabelNameLength: 128,
      maxLabelValueLength: 1024,
    });
    const kept = decodeWriteRequest(result.encoded!).timeseries.map((s) => Object.fromEntries(s.labels.map((l) => [l.name, l.value])));
    expect(kept.map((s) => s.__name__).sort()).toEqual([...FAMILIES].sort());
    expect(kept.every((s) => s.tenant_id === TENANT)).toBe(true);
    expect(kept.find((s) => s.__name__ === 'kube_pod_labels')).toMatchObject({ label_team: 'checkout' });
  });

  it('the onboarding snippets keep them and say that kube-state-metrics keeps only allow-listed label keys', () => {
    const target = { url: 'https://ingest.example.com/api/v1/write', username: TENANT, password: 'secret', clusterName: 'prod' };
    for (const snippet of [prometheusRemoteWriteYaml(target), kubecostHelmValuesYaml(target)]) {
      expect(snippet.split('\n')[0]).toMatch(/^# kube-state-metrics v2 exports pod and namespace labels only for the keys listed in its --metric-labels-allowlist/);
      const regex = JSON.stringify(YAML.parse(snippet)).match(/"regex":"([^"]+)"/)![1];
      for (const family of FAMILIES) expect(new RegExp(`^(?:${regex})$`).test(family)).toBe(true);
    }
  });
});
