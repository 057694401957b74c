import { aws } from './providers/aws';
import { azure } from './providers/azure';
import { gcp } from './providers/gcp';
import { oracle } from './providers/oracle';
import type { ProviderIds, ResourceKey } from './resource-key';

const PROVIDERS: readonly ProviderIds[] = [aws, azure, gcp, oracle];

/** The resource a cluster's id names (node provider_id, volume id or handle), whichever provider's it is. */
export function clusterResourceKey(id: string): ResourceKey | null {
  for (const provider of PROVIDERS) {
    const key = provider.fromCluster(id);
    if (key) return key;
  }
  return null;
}

/** The resource a FOCUS `ResourceId` names, when it is one a cluster asset can be. */
export function billedResourceKey(resourceId: string): ResourceKey | null {
  for (const provider of PROVIDERS) {
    const key = provider.fromBill(resourceId);
    if (key) return key;
  }
  return null;
}
