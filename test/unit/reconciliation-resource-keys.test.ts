import { parse } from 'csv-parse/sync';
import { keyString, type ResourceKey } from '../../lib/reconciliation/resource-key';
import { billedResourceKey, clusterResourceKey } from '../../lib/reconciliation/resource-keys';
import { fixture } from '../helpers/fixtures';

/*
 * Every form a provider writes for the same resource reduces to one key, on the cluster's side
 * (node provider_id, volume handle) and the bill's (FOCUS ResourceId). Shapes as the providers
 * and their Kubernetes integrations write them.
 */

const SUB = '/subscriptions/9ec51cfd-5ca7-4d76-8101-dd0a4abc5674';

const same: Array<[string, string, string[], ResourceKey]> = [
  [
    'AWS EC2 node',
    'aws:///us-east-1a/i-0abc123def4567890',
    ['i-0abc123def4567890', 'arn:aws:ec2:us-east-1:123456789012:instance/i-0abc123def4567890', 'I-0ABC123DEF4567890'],
    { provider: 'aws', kind: 'instance', id: 'i-0abc123def4567890' },
  ],
  ['AWS EC2 node, short id', 'aws:///eu-west-1b/i-0123abcd', ['i-0123abcd', 'arn:aws-cn:ec2:cn-north-1:123456789012:instance/i-0123abcd'], { provider: 'aws', kind: 'instance', id: 'i-0123abcd' }],
  [
    'AWS EBS volume (CSI handle)',
    'vol-0fedcba9876543210',
    ['vol-0fedcba9876543210', 'arn:aws-us-gov:ec2:us-gov-west-1:123456789012:volume/vol-0fedcba9876543210'],
    { provider: 'aws', kind: 'volume', id: 'vol-0fedcba9876543210' },
  ],
  ['AWS EBS volume (in-tree)', 'aws://us-east-1a/vol-0fedcba9876543210', ['vol-0fedcba9876543210'], { provider: 'aws', kind: 'volume', id: 'vol-0fedcba9876543210' }],
  [
    'Azure AKS node in a scale set (billed per set)',
    `azure://${SUB}/resourceGroups/MC_rg_aks_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-12345678-vmss/virtualMachines/3`,
    [
      `${SUB}/resourcegroups/mc_rg_aks_westeurope/providers/microsoft.compute/virtualmachinescalesets/aks-nodepool1-12345678-vmss`,
      `${SUB.toUpperCase()}/RESOURCEGROUPS/MC_RG_AKS_WESTEUROPE/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINESCALESETS/AKS-NODEPOOL1-12345678-VMSS`,
      `${SUB}/resourceGroups/MC_rg_aks_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-12345678-vmss/virtualMachines/3`,
    ],
    { provider: 'azure', kind: 'scale-set', id: `${SUB}/resourcegroups/mc_rg_aks_westeurope/providers/microsoft.compute/virtualmachinescalesets/aks-nodepool1-12345678-vmss` },
  ],
  [
    'Azure node as a plain VM',
    `azure://${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/aks-agent-0`,
    [`${SUB}/resourcegroups/rg/providers/microsoft.compute/virtualmachines/aks-agent-0`],
    { provider: 'azure', kind: 'instance', id: `${SUB}/resourcegroups/rg/providers/microsoft.compute/virtualmachines/aks-agent-0` },
  ],
  [
    'Azure managed disk (CSI handle)',
    `${SUB}/resourceGroups/MC_rg/providers/Microsoft.Compute/disks/pvc-6a1b2c3d-aaaa-bbbb-cccc-1234567890ab`,
    [`${SUB}/resourcegroups/mc_rg/providers/microsoft.compute/disks/pvc-6a1b2c3d-aaaa-bbbb-cccc-1234567890ab`],
    { provider: 'azure', kind: 'volume', id: `${SUB}/resourcegroups/mc_rg/providers/microsoft.compute/disks/pvc-6a1b2c3d-aaaa-bbbb-cccc-1234567890ab` },
  ],
  [
    'Google Compute Engine node',
    'gce://guestbook-227502/us-central1-a/gke-kc-demo-default-pool-1a2b3c4d-x7k9',
    [
      '//compute.googleapis.com/projects/guestbook-227502/zones/us-central1-a/instances/gke-kc-demo-default-pool-1a2b3c4d-x7k9',
      'projects/guestbook-227502/zones/us-central1-a/instances/gke-kc-demo-default-pool-1a2b3c4d-x7k9',
      'https://www.googleapis.com/compute/v1/projects/guestbook-227502/zones/us-central1-a/instances/gke-kc-demo-default-pool-1a2b3c4d-x7k9',
    ],
    { provider: 'gcp', kind: 'instance', id: 'guestbook-227502/zones/us-central1-a/instances/gke-kc-demo-default-pool-1a2b3c4d-x7k9' },
  ],
  [
    'Google persistent disk (CSI handle), regional',
    'projects/guestbook-227502/regions/us-central1/disks/pvc-0c1d2e3f',
    ['//compute.googleapis.com/projects/guestbook-227502/regions/us-central1/disks/pvc-0c1d2e3f'],
    { provider: 'gcp', kind: 'volume', id: 'guestbook-227502/regions/us-central1/disks/pvc-0c1d2e3f' },
  ],
  [
    'Oracle OKE node',
    'ocid1.instance.oc1.phx.anyhqljrdsqlhbicxkrxepiwynwfigxnvbzvimunzi1jtgqxhq2skchut8uq',
    ['ocid1.instance.oc1.phx.anyhqljrdsqlhbicxkrxepiwynwfigxnvbzvimunzi1jtgqxhq2skchut8uq', 'OCID1.INSTANCE.OC1.PHX.ANYHQLJRDSQLHBICXKRXEPIWYNWFIGXNVBZVIMUNZI1JTGQXHQ2SKCHUT8UQ'],
    { provider: 'oracle', kind: 'instance', id: 'ocid1.instance.oc1.phx.anyhqljrdsqlhbicxkrxepiwynwfigxnvbzvimunzi1jtgqxhq2skchut8uq' },
  ],
  [
    'Oracle block volume',
    'ocid1.volume.oc1.iad.abuwcljt3xyz',
    ['ocid1.volume.oc1.iad.abuwcljt3xyz'],
    { provider: 'oracle', kind: 'volume', id: 'ocid1.volume.oc1.iad.abuwcljt3xyz' },
  ],
];

describe('resource keys: the cluster and the bill name a resource the same way', () => {
  it.each(same)('%s', (_name, clusterId, billIds, expected) => {
    expect(clusterResourceKey(clusterId)).toEqual(expected);
    for (const billId of billIds) expect({ billId, key: billedResourceKey(billId) }).toEqual({ billId, key: expected });
  });

  it.each([
    ['a Fargate pod "node"', 'aws:///us-east-1a/fargate-ip-10-0-1-2.ec2.internal'],
    ['a kind/minikube node', 'kind://docker/kind/kind-control-plane'],
    ['an empty label', ''],
    ['an Azure AKS cluster itself', `${SUB}/resourcegroups/analyticsengine/providers/microsoft.containerservice/managedclusters/analyticsengine`],
    ['an Azure storage account', `${SUB}/resourcegroups/rg/providers/microsoft.storage/storageaccounts/2b7e6ef8d799420f9aafb807`],
    ['an AWS NAT gateway ARN', 'arn:aws:ec2:ap-south-1:365499461711:natgateway/nat-0ab07f56223a89b19'],
    ['an AWS ARN whose name merely contains an instance id', 'arn:aws:sqs:us-west-2:347410479675:queue-i-032d64f2065481b12'],
    ['an Oracle VNIC', 'ocid1.vnic.oc1.us-sanjose-1.abzwuljrh7sz626rwwhjqybqkbwp8cx8rgjwdiwmuxgqzo9umfjyotiyax7a'],
    ['a Google regional "instance" (no such thing)', 'projects/p/regions/us-central1/instances/x'],
  ])('%s matches nothing', (_name, id) => {
    expect(clusterResourceKey(id)).toBeNull();
    expect(billedResourceKey(id)).toBeNull();
  });

  it('keys print as provider:kind:id', () => {
    expect(keyString({ provider: 'aws', kind: 'instance', id: 'i-0123abcd' })).toBe('aws:instance:i-0123abcd');
  });

  it("the FOCUS fixture's instances and volumes are keyed, everything else is not", () => {
    const rows = parse(fixture('focus', 'focus-1.0-sample.csv'), { columns: true, bom: true }) as Array<Record<string, string>>;
    const keyed = rows.filter((row) => row.ResourceId).map((row) => ({ row, key: billedResourceKey(row.ResourceId) }));
    // Oracle instances (the fixture's OCIDs have their digits changed, not their shape).
    const oracleInstances = keyed.filter(({ row }) => row.ProviderName === 'Oracle' && row.ResourceType === 'instance');
    expect(oracleInstances.length).toBeGreaterThan(0);
    for (const { key } of oracleInstances) expect(key).toMatchObject({ provider: 'oracle', kind: 'instance' });
    // Bare EC2 instance and EBS volume ids are keyed as AWS resources (the fixture's hex digits
    // are partly replaced by letters, so only the ones still hex qualify); nothing else is.
    // The AKS cluster's node pool is billed as its scale set.
    const providerName = { aws: 'AWS', azure: 'Microsoft', gcp: 'Google Cloud', oracle: 'Oracle' } as const;
    const kindOf = (id: string) => (/^(i-|ocid\d+\.instance\.)/.test(id) ? 'instance' : /virtualmachinescalesets/i.test(id) ? 'scale-set' : 'volume');
    for (const { row, key } of keyed) {
      if (key === null) continue;
      expect({ id: row.ResourceId, provider: row.ProviderName, kind: kindOf(row.ResourceId) }).toEqual({ id: row.ResourceId, provider: providerName[key.provider], kind: key.kind });
    }
    expect(keyed.filter(({ key }) => key?.provider === 'aws').length).toBeGreaterThan(0);
    expect(keyed.filter(({ key }) => key?.kind === 'scale-set').length).toBeGreaterThan(0);
  });
});
