import type { ProviderIds, ResourceKey } from '../resource-key';

/*
 * Oracle Cloud names every resource by its OCID (`ocid1.<type>.<realm>.[region].<unique>`), in
 * the cluster (an OKE node's provider_id, a block volume's handle) and in the bill alike.
 */

const OCID = /^ocid\d+\.([a-z0-9]+)\.[a-z0-9]+\.[a-z0-9-]*\.[a-z0-9]+$/;

function fromOcid(text: string): ResourceKey | null {
  const lower = text.trim().toLowerCase();
  const match = OCID.exec(lower);
  if (!match) return null;
  const type = match[1];
  if (type === 'instance') return { provider: 'oracle', kind: 'instance', id: lower };
  if (type === 'volume' || type === 'bootvolume') return { provider: 'oracle', kind: 'volume', id: lower };
  return null;
}

export const oracle: ProviderIds = { provider: 'oracle', fromCluster: fromOcid, fromBill: fromOcid };
