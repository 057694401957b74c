import type { ProviderIds, ResourceKey } from '../resource-key';

/*
 * Virtual machines, scale sets and managed disks, named by their resource path
 * (`/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Compute/…`), which Azure
 * treats as case-insensitive and writes in either case. Nodes carry `azure:///` + the path; an
 * AKS node in a scale set is `…/virtualMachineScaleSets/<set>/virtualMachines/<n>`, but the bill
 * charges the scale set: such a node is keyed by its set, whose cost its nodes share. Volumes
 * (the Azure Disk CSI driver's handle) are the disk's path.
 */

const PATH = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.compute\/(virtualmachinescalesets|virtualmachines|disks)\/([^/]+)(?:\/virtualmachines\/[^/]+)?\/?$/;

function fromPath(path: string): ResourceKey | null {
  const match = PATH.exec(path.trim().toLowerCase());
  if (!match) return null;
  const [, subscription, group, type, name] = match;
  const id = `/subscriptions/${subscription}/resourcegroups/${group}/providers/microsoft.compute/${type}/${name}`;
  const kind = type === 'virtualmachinescalesets' ? 'scale-set' : type === 'disks' ? 'volume' : 'instance';
  return { provider: 'azure', kind, id };
}

export const azure: ProviderIds = {
  provider: 'azure',
  fromCluster(id) {
    return fromPath(id.trim().replace(/^azure:\/\//i, ''));
  },
  fromBill(resourceId) {
    return fromPath(resourceId);
  },
};
