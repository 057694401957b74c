import { billLinkOf, clusterKey } from '../../lib/reconciliation/bill-links';

/*
 * What a bill row is linked to on the Kubernetes side: the resource it charges, the managed
 * cluster it is the fee of, or the cluster its tags name. Id and tag shapes as the providers
 * write them.
 */

const SUB = '/subscriptions/9ec51cfd-5ca7-4d76-8101-dd0a4abc5674';

describe('bill links', () => {
  it.each([
    ['an EC2 instance, tagged by EKS', 'i-0abc123def4567890', { 'eks:cluster-name': 'prod' }, { kind: 'resource', resourceKey: 'aws:instance:i-0abc123def4567890', clusterKey: 'aws:cluster:prod' }],
    ['an EBS volume made by the AWS cloud provider', 'vol-0fedcba9876543210', { 'kubernetes.io/cluster/Prod': 'owned' }, { kind: 'resource', resourceKey: 'aws:volume:vol-0fedcba9876543210', clusterKey: 'aws:cluster:prod' }],
    ['an untagged EC2 instance', 'arn:aws:ec2:us-east-1:123456789012:instance/i-0abc123def4567890', null, { kind: 'resource', resourceKey: 'aws:instance:i-0abc123def4567890', clusterKey: null }],
    ['the EKS cluster fee', 'arn:aws:eks:us-east-1:123456789012:cluster/Prod', null, { kind: 'management', resourceKey: null, clusterKey: 'aws:cluster:prod' }],
    ['the AKS cluster (any case)', `${SUB}/resourceGroups/RG/providers/Microsoft.ContainerService/managedClusters/AnalyticsEngine`, { env: 'prod' }, { kind: 'management', resourceKey: null, clusterKey: 'azure:cluster:analyticsengine' }],
    ['the GKE cluster', '//container.googleapis.com/projects/p-1/locations/us-central1/clusters/web', null, { kind: 'management', resourceKey: null, clusterKey: 'gcp:cluster:web' }],
    ['an AKS node pool scale set', `${SUB}/resourcegroups/mc_rg_aks_eastus/providers/microsoft.compute/virtualmachinescalesets/aks-pool-1-vmss`, { 'aks-managed-cluster-name': 'AKS' }, { kind: 'resource', resourceKey: `azure:scale-set:${SUB}/resourcegroups/mc_rg_aks_eastus/providers/microsoft.compute/virtualmachinescalesets/aks-pool-1-vmss`, clusterKey: 'azure:cluster:aks' }],
    ['an ELB made for a Service', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/a1b2/c3d4', { 'kubernetes.io/cluster/prod': 'owned', 'kubernetes.io/service-name': 'web/lb' }, { kind: 'load-balancer', resourceKey: null, clusterKey: 'aws:cluster:prod' }],
    ['the AKS load balancer', `${SUB}/resourcegroups/mc_rg/providers/microsoft.network/loadbalancers/kubernetes`, { 'aks-managed-cluster-name': 'aks' }, { kind: 'load-balancer', resourceKey: null, clusterKey: 'azure:cluster:aks' }],
    ['a GKE forwarding rule', 'projects/p-1/regions/us-central1/forwardingRules/a1b2', { 'goog-k8s-cluster-name': 'web' }, { kind: 'load-balancer', resourceKey: null, clusterKey: 'gcp:cluster:web' }],
    ['a NAT gateway tagged with the cluster', 'arn:aws:ec2:us-east-1:123456789012:natgateway/nat-0ab07f56223a89b19', { 'eks:cluster-name': 'prod' }, { kind: 'cluster', resourceKey: null, clusterKey: 'aws:cluster:prod' }],
  ])('%s', (_name, resourceId, tags, expected) => {
    expect(billLinkOf(resourceId, tags)).toEqual(expected);
  });

  it.each([
    ['an untagged load balancer (no cluster to give it to)', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/y', null],
    ['an SQS queue', 'arn:aws:sqs:us-west-2:347410479675:queue-i-032d64f2065481b12', { env: 'prod' }],
    ['a row without resource or tags', null, null],
    ['an empty cluster tag', null, { 'eks:cluster-name': ' ' }],
  ])('%s: no link', (_name, resourceId, tags) => {
    expect(billLinkOf(resourceId, tags)).toBeNull();
  });

  it('cluster keys ignore case and surrounding blanks', () => {
    expect(clusterKey('azure', ' AnalyticsEngine ')).toBe('azure:cluster:analyticsengine');
  });
});
