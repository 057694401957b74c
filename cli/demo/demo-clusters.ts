import { GIB, type SyntheticCluster, type SyntheticContainer, type SyntheticWorkloads } from './synthetic-cluster';

const DAY_MS = 86_400_000;

/** On-demand prices of the kind Kubecost's AWS pricing reports ($ per core-hour, per GiB-hour). */
const M5 = { cpuPrice: 0.031611, ramPrice: 0.004237 };
const C5 = { cpuPrice: 0.02925, ramPrice: 0.0039 };

function workload(namespace: string, node: string, index: number, cores: number, memoryGiB: number, usage: number): SyntheticContainer {
  return {
    namespace,
    pod: `${namespace}-${index}`,
    container: namespace === 'kube-system' ? 'coredns' : 'app',
    node,
    cores,
    memoryBytes: memoryGiB * GIB,
    requestCores: cores,
    requestMemoryBytes: memoryGiB * GIB,
    // Requests are generous: usage is a fraction of them, which the savings view points out.
    usageCores: cores * usage,
    usageMemoryBytes: memoryGiB * GIB * Math.min(1, usage + 0.2),
  };
}

/** Which team pays for each demo namespace (a pod label; the platform's namespaces carry it as a namespace label). */
const TEAMS: Record<string, string> = { web: 'storefront', api: 'storefront', payments: 'payments', data: 'data', batch: 'data', ml: 'ml' };
const PLATFORM = ['monitoring', 'kube-system', 'ingress-nginx'];

/**
 * kube-state-metrics' view of the demo's pods: Deployments through ReplicaSets, the data
 * StatefulSet, the batch pod a CronJob's Job; a `team` label on each application pod and on
 * the platform's namespaces (allocation by controller and by label).
 */
export function demoWorkloads(containers: readonly SyntheticContainer[]): SyntheticWorkloads {
  const workloads: Required<SyntheticWorkloads> = { podOwners: [], replicaSetOwners: [], jobOwners: [], labels: [] };
  for (const c of containers) {
    const life = { fromMs: c.fromMs, toMs: c.toMs };
    if (c.namespace === 'data') workloads.podOwners.push({ namespace: c.namespace, object: c.pod, kind: 'StatefulSet', name: 'data', ...life });
    else if (c.namespace === 'batch') {
      workloads.podOwners.push({ namespace: c.namespace, object: c.pod, kind: 'Job', name: 'nightly-report-1', ...life });
      workloads.jobOwners.push({ namespace: c.namespace, object: 'nightly-report-1', kind: 'CronJob', name: 'nightly-report', ...life });
    } else {
      const replicaSet = `${c.namespace}-7c9d8f`;
      workloads.podOwners.push({ namespace: c.namespace, object: c.pod, kind: 'ReplicaSet', name: replicaSet, ...life });
      if (!workloads.replicaSetOwners.some((o) => o.namespace === c.namespace)) workloads.replicaSetOwners.push({ namespace: c.namespace, object: replicaSet, kind: 'Deployment', name: c.namespace });
    }
    if (TEAMS[c.namespace]) workloads.labels.push({ namespace: c.namespace, pod: c.pod, labels: { team: TEAMS[c.namespace], 'app.kubernetes.io/name': c.namespace }, ...life });
  }
  for (const namespace of PLATFORM) workloads.labels.push({ namespace, labels: { team: 'platform' } });
  return workloads;
}

/** The demo's EC2 instance and EBS volume ids (made up, in the providers' shapes). */
export const ec2 = (zone: string, n: number) => `aws:///${zone}/i-0de${n.toString(16).padStart(14, '0')}`;
export const ebs = (n: number) => `vol-0de${n.toString(16).padStart(14, '0')}`;

/** Where a demo cluster's history sits in time. */
export interface DemoWindow {
  tenantId: string;
  /** The end of the window written now (its last scrape is one interval before). */
  endMs: number;
  /**
   * A fixed point of the cluster's history (its first demo run): events and counter origins
   * hang on it rather than on `endMs`, so a later run rewrites the overlap with equal values.
   */
  anchorMs: number;
}

export interface DemoCluster {
  name: string;
  /** Builds the cluster's metrics once its cloud account (tenant) exists. */
  build(window: DemoWindow): SyntheticCluster;
}

/** The first 14 days of a demo cluster, and counters that started a day before them. */
function base({ tenantId, endMs, anchorMs }: DemoWindow) {
  return { tenantId, startMs: endMs - 14 * DAY_MS, endMs, intervalSeconds: 300 as const, counterOriginMs: anchorMs - 15 * DAY_MS };
}

/**
 * Three clusters of different sizes over the last 14 days: a production cluster with a GPU
 * node and a node that left half-way (as seen from the first run), a staging cluster, and a
 * small dev cluster with an unclaimed volume. Five-minute scrapes keep the demo quick to write.
 */
export const DEMO_CLUSTERS: DemoCluster[] = [
  {
    name: 'prod-eu-west-1',
    build: (window) => {
      const leftAt = window.anchorMs - 7 * DAY_MS;
      const nodes = [
        ...[1, 2, 3, 4].map((n) => ({ name: `ip-10-0-1-${n}.eu-west-1.compute.internal`, providerId: ec2(`eu-west-1${'abc'[n % 3]}`, n), ...M5, cores: 8, memoryBytes: 32 * GIB, instanceType: 'm5.2xlarge' })),
        { name: 'ip-10-0-2-9.eu-west-1.compute.internal', providerId: ec2('eu-west-1b', 9), ...M5, cores: 8, memoryBytes: 32 * GIB, instanceType: 'm5.2xlarge', toMs: leftAt },
        { name: 'ip-10-0-3-7.eu-west-1.compute.internal', providerId: ec2('eu-west-1c', 37), cpuPrice: 0.0319, ramPrice: 0.0043, gpuPrice: 0.526, gpuCount: 1, cores: 4, memoryBytes: 16 * GIB, instanceType: 'g4dn.xlarge' },
      ];
      const node = (i: number) => nodes[i].name;
      return {
        ...base(window),
        nodes,
        info: { provider: 'AWS', id: 'prod-eu-west-1' },
        volumes: [
          { name: 'pvc-postgres-0', providerId: ebs(1), price: 0.000137, capacityBytes: 500 * GIB },
          { name: 'pvc-kafka-0', providerId: ebs(2), price: 0.000137, capacityBytes: 1000 * GIB },
          { name: 'pvc-prometheus', providerId: ebs(3), price: 0.000137, capacityBytes: 200 * GIB },
        ],
        loadBalancers: [
          { namespace: 'ingress-nginx', service: 'ingress-nginx-controller', ip: '34.240.11.8', price: 0.0225 },
          { namespace: 'payments', service: 'payments-public', ip: '34.240.11.9', price: 0.0225 },
        ],
        managementFee: 0.1,
        containers: [
          workload('web', node(0), 1, 2, 4, 0.35),
          workload('web', node(1), 2, 2, 4, 0.4),
          workload('api', node(1), 1, 3, 6, 0.55),
          workload('api', node(2), 2, 3, 6, 0.5),
          workload('payments', node(2), 1, 2, 8, 0.7),
          workload('data', node(3), 1, 4, 16, 0.8),
          { ...workload('batch', node(4), 1, 6, 24, 0.9), toMs: leftAt },
          { ...workload('ml', node(5), 1, 2, 8, 0.6), gpus: 1 },
          workload('monitoring', node(3), 1, 1, 6, 0.5),
          workload('kube-system', node(0), 1, 0.5, 1, 0.2),
        ],
        claims: [
          { namespace: 'data', pod: 'data-1', claim: 'postgres-data', volume: 'pvc-postgres-0', bytes: 500 * GIB },
          { namespace: 'data', pod: 'data-1', claim: 'kafka-data', volume: 'pvc-kafka-0', bytes: 1000 * GIB },
          { namespace: 'monitoring', pod: 'monitoring-1', claim: 'prometheus-data', volume: 'pvc-prometheus', bytes: 200 * GIB },
        ],
        egress: {
          prices: { internet: 0.09, region: 0.02, zone: 0.01 },
          flows: [
            { namespace: 'web', pod: 'web-1', kind: 'internet', bytesPerHour: 2 * GIB },
            { namespace: 'api', pod: 'api-1', kind: 'zone', bytesPerHour: 5 * GIB },
            { namespace: 'data', pod: 'data-1', kind: 'region', bytesPerHour: 1 * GIB },
          ],
        },
      };
    },
  },
  {
    name: 'staging-us-east-1',
    build: (window) => {
      const nodes = [1, 2, 3].map((n) => ({ name: `ip-10-1-0-${n}.ec2.internal`, providerId: ec2('us-east-1a', 100 + n), ...C5, cores: 4, memoryBytes: 8 * GIB, instanceType: 'c5.xlarge' }));
      return {
        ...base(window),
        info: { provider: 'AWS', id: 'staging-us-east-1' },
        nodes,
        volumes: [{ name: 'pvc-staging-db', price: 0.000137, capacityBytes: 100 * GIB }],
        loadBalancers: [{ namespace: 'ingress-nginx', service: 'ingress-nginx-controller', ip: '3.91.20.4', price: 0.0225 }],
        managementFee: 0.1,
        containers: [
          workload('web', nodes[0].name, 1, 1, 2, 0.2),
          workload('api', nodes[1].name, 1, 2, 4, 0.3),
          workload('data', nodes[2].name, 1, 2, 4, 0.4),
        ],
        claims: [{ namespace: 'data', pod: 'data-1', claim: 'db', volume: 'pvc-staging-db', bytes: 100 * GIB }],
      };
    },
  },
  {
    name: 'dev-sandbox',
    build: (window) => ({
      ...base(window),
      nodes: [{ name: 'dev-node-1', ...C5, cores: 4, memoryBytes: 16 * GIB, instanceType: 'c5.xlarge' }],
      // Nobody claims this volume any more: a savings recommendation.
      volumes: [{ name: 'pvc-old-experiment', price: 0.000137, capacityBytes: 250 * GIB }],
      containers: [workload('dev', 'dev-node-1', 1, 1, 2, 0.1)],
    }),
  },
];
