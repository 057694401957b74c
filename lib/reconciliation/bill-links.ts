import { billedResourceKey } from './resource-keys';
import { keyString, type CloudProvider } from './resource-key';

/*
 * What a bill row can be matched with on the Kubernetes side, read once when the row is
 * imported: the cloud resource it charges (a node's machine or scale set, a volume's disk), and
 * the cluster it belongs to, from the cluster's own resource (the managed control plane) or
 * from the tags the providers put on what a cluster creates.
 */

/**
 * - `resource`: a machine, scale set or disk (matched with a cluster's nodes and volumes by key);
 * - `management`: the managed cluster itself (EKS, AKS, GKE): its fee;
 * - `load-balancer`: a load balancer a cluster created (tagged with it);
 * - `cluster`: anything else tagged with a cluster (node root disks, NAT, snapshots...): it
 *   belongs to the cluster, but the cost model estimates nothing like it.
 */
export type BillLinkKind = 'resource' | 'management' | 'load-balancer' | 'cluster';

export interface BillLink {
  kind: BillLinkKind;
  /** keyString of the resource (kind `resource`), else null. */
  resourceKey: string | null;
  /** clusterKey of the cluster the row names, when it names one. */
  clusterKey: string | null;
}

/** `provider:cluster:name`, the name in lower case (Azure's names are case-insensitive, and people type them in any case). */
export const clusterKey = (provider: CloudProvider, name: string) => `${provider}:cluster:${name.trim().toLowerCase()}`;

/** A managed cluster's own resource id: its fee and add-ons are billed to it. */
const MANAGED_CLUSTERS: ReadonlyArray<readonly [CloudProvider, RegExp]> = [
  ['aws', /^arn:aws(?:-cn|-us-gov)?:eks:[a-z0-9-]*:\d*:cluster\/([^/]+)$/i],
  ['azure', /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.containerservice\/managedclusters\/([^/]+)\/?$/i],
  ['gcp', /^(?:\/\/container\.googleapis\.com\/)?projects\/[^/]+\/(?:locations|zones)\/[^/]+\/clusters\/([^/]+)$/i],
];

const LOAD_BALANCERS: ReadonlyArray<readonly [CloudProvider, RegExp]> = [
  ['aws', /^arn:aws(?:-cn|-us-gov)?:elasticloadbalancing:/i],
  ['azure', /\/providers\/microsoft\.network\/loadbalancers\//i],
  ['gcp', /\/forwardingrules\//i],
  ['oracle', /^ocid1\.(?:loadbalancer|networkloadbalancer)\./i],
];

/** Tags that name the cluster a resource was created for, by provider. */
function taggedCluster(tags: Readonly<Record<string, unknown>>): [CloudProvider, string] | null {
  for (const [key, value] of Object.entries(tags)) {
    const text = typeof value === 'string' ? value.trim() : '';
    switch (key) {
      case 'eks:cluster-name':
      case 'alpha.eksctl.io/cluster-name':
      case 'aws:eks:cluster-name':
        if (text) return ['aws', text];
        break;
      case 'aks-managed-cluster-name':
        if (text) return ['azure', text];
        break;
      case 'goog-k8s-cluster-name':
        if (text) return ['gcp', text];
        break;
      default:
        // kubernetes.io/cluster/<name>: owned | shared, on what the AWS cloud provider creates.
        if (key.startsWith('kubernetes.io/cluster/') && key.length > 'kubernetes.io/cluster/'.length) return ['aws', key.slice('kubernetes.io/cluster/'.length)];
    }
  }
  return null;
}

/** What a bill row with this `ResourceId` and `Tags` (parsed; null when none) is linked to; null when nothing. */
export function billLinkOf(resourceId: string | null, tags: Readonly<Record<string, unknown>> | null): BillLink | null {
  const id = resourceId?.trim() ?? '';
  const tagged = tags ? taggedCluster(tags) : null;
  const tagKey = tagged ? clusterKey(...tagged) : null;
  if (id) {
    const resource = billedResourceKey(id);
    if (resource) return { kind: 'resource', resourceKey: keyString(resource), clusterKey: tagKey };
    for (const [provider, pattern] of MANAGED_CLUSTERS) {
      const match = pattern.exec(id);
      if (match) return { kind: 'management', resourceKey: null, clusterKey: clusterKey(provider, decodeURIComponent(match[1])) };
    }
    if (tagKey && LOAD_BALANCERS.some(([, pattern]) => pattern.test(id))) return { kind: 'load-balancer', resourceKey: null, clusterKey: tagKey };
  }
  return tagKey ? { kind: 'cluster', resourceKey: null, clusterKey: tagKey } : null;
}
