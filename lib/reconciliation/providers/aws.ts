import type { ProviderIds, ResourceKey } from '../resource-key';

/*
 * EC2 instances and EBS volumes. Clusters write `aws:///us-east-1a/i-0abc…` (the node's
 * provider_id; older in-tree volumes `aws://us-east-1a/vol-0abc…`) or the bare volume id (the
 * EBS CSI driver's volume handle); bills write the bare id or the resource's ARN
 * (`arn:aws:ec2:us-east-1:123456789012:instance/i-0abc…`, also in the aws-cn and aws-us-gov
 * partitions).
 */

const INSTANCE = /^i-[0-9a-f]{8,17}$/;
const VOLUME = /^vol-[0-9a-f]{8,17}$/;
const ARN = /^arn:aws(?:-cn|-us-gov)?:ec2:[a-z0-9-]*:\d*:(instance|volume)\/([^/]+)$/;

function fromId(id: string): ResourceKey | null {
  const lower = id.toLowerCase();
  if (INSTANCE.test(lower)) return { provider: 'aws', kind: 'instance', id: lower };
  if (VOLUME.test(lower)) return { provider: 'aws', kind: 'volume', id: lower };
  return null;
}

export const aws: ProviderIds = {
  provider: 'aws',
  fromCluster(id) {
    const text = id.trim();
    // aws:///<zone>/<id> (nodes), aws://<zone>/<id> (in-tree volumes), or the bare id.
    const match = /^aws:\/\/\/?(?:[a-z0-9-]*\/)?([^/]+)$/i.exec(text);
    return fromId(match ? match[1] : text);
  },
  fromBill(resourceId) {
    const text = resourceId.trim();
    const arn = ARN.exec(text.toLowerCase());
    if (arn) return fromId(arn[2]);
    return fromId(text);
  },
};
