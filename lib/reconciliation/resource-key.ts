/*
 * A cloud resource named the same way whether a cluster's metrics or a FOCUS bill names it, so
 * that a Kubernetes asset (a node's `provider_id`, a volume's id) can be matched with the bill
 * rows that charge it. Each provider writes its ids in several forms (bare ids, ARNs, resource
 * paths in any case, URLs); its module (providers/) reduces every form to one key.
 */

export type CloudProvider = 'aws' | 'azure' | 'gcp' | 'oracle';

/** What the bill charges: an instance, a scale set (Azure bills its instances together), a disk. */
export type ResourceKind = 'instance' | 'scale-set' | 'volume';

export interface ResourceKey {
  provider: CloudProvider;
  kind: ResourceKind;
  /** Canonical id: equal for every form of the same resource. */
  id: string;
}

/** `provider:kind:id`, for maps. */
export const keyString = (key: ResourceKey) => `${key.provider}:${key.kind}:${key.id}`;

/** Reads the forms one provider writes; null when the text is not one of its resources it can match. */
export interface ProviderIds {
  provider: CloudProvider;
  /** A node's `provider_id` label, or a persistent volume's id or CSI volume handle. */
  fromCluster(id: string): ResourceKey | null;
  /** A FOCUS `ResourceId`. */
  fromBill(resourceId: string): ResourceKey | null;
}
