import { GIB, type SyntheticCluster } from './synthetic-cluster';

/*
 * The demo organization's AWS bill for its clusters, as FOCUS rows: what makes the dashboard's
 * reconciliation real. The production cluster's nodes (under a compute savings plan: 28% below
 * the on-demand prices Kubecost reports), disks, load balancers and EKS fee are billed day by
 * day; the staging cluster only for its EKS fee (its nodes belong to an account whose bill is
 * not imported); the dev cluster not at all.
 */

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const ACCOUNT = '210987654321';
const SAVINGS_PLAN = 0.72;

const HEADER = 'BilledCost,EffectiveCost,ListCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceCategory,ProviderName,SubAccountId,SubAccountName,RegionId,ServiceName,ResourceId,ResourceType,Tags';

const money = (value: number) => value.toFixed(10);
const quoted = (text: string) => `"${text.replace(/"/g, '""')}"`;

interface Life {
  fromMs?: number;
  toMs?: number;
}

/** Hours of [d, d + 1 day) the object lived. */
const hoursIn = (life: Life, dayMs: number) => Math.max(0, Math.min(dayMs + DAY_MS, life.toMs ?? Infinity) - Math.max(dayMs, life.fromMs ?? -Infinity)) / HOUR_MS;

/** The bill of the demo's days [fromDayMs, toDayMs), for the clusters by their demo names. */
export function demoBillCsv(clusters: ReadonlyMap<string, SyntheticCluster>, fromDayMs: number, toDayMs: number): string {
  const rows: string[] = [HEADER];
  const row = (dayMs: number, list: number, billed: number, region: string, service: string, category: string, resourceId: string, type: string, tags: Record<string, string> | null) =>
    rows.push(
      [money(billed), money(billed), money(list), 'USD', new Date(dayMs).toISOString(), new Date(dayMs + DAY_MS).toISOString(), 'Usage', category, 'AWS', ACCOUNT, 'demo-production', region, quoted(service), quoted(resourceId), quoted(type), tags ? quoted(JSON.stringify(tags)) : ''].join(','),
    );
  const prod = clusters.get('prod-eu-west-1');
  const staging = clusters.get('staging-us-east-1');
  for (let day = fromDayMs; day < toDayMs; day += DAY_MS) {
    if (prod) {
      const tags = { 'eks:cluster-name': 'prod-eu-west-1' };
      for (const node of prod.nodes) {
        const hours = hoursIn(node, day);
        if (hours === 0 || !node.providerId) continue;
        const list = (node.cpuPrice * node.cores + (node.ramPrice * node.memoryBytes) / GIB + (node.gpuPrice ?? 0) * (node.gpuCount ?? 0)) * hours;
        row(day, list, list * SAVINGS_PLAN, 'eu-west-1', 'Amazon Elastic Compute Cloud', 'Compute', node.providerId.slice(node.providerId.lastIndexOf('/') + 1), node.instanceType ?? 'Instance', tags);
      }
      for (const volume of prod.volumes ?? []) {
        const hours = hoursIn(volume, day);
        if (hours === 0 || !volume.providerId) continue;
        const cost = ((volume.price * volume.capacityBytes) / GIB) * hours;
        row(day, cost, cost, 'eu-west-1', 'Amazon Elastic Compute Cloud', 'Storage', `arn:aws:ec2:eu-west-1:${ACCOUNT}:volume/${volume.providerId}`, 'Volume', tags);
      }
      (prod.loadBalancers ?? []).forEach((lb, i) => {
        const cost = lb.price * hoursIn(lb, day);
        const resource = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:loadbalancer/net/${lb.service}/0de${i}`;
        if (cost > 0) row(day, cost, cost, 'eu-west-1', 'Elastic Load Balancing', 'Networking', resource, 'LoadBalancer', { 'kubernetes.io/cluster/prod-eu-west-1': 'owned', 'kubernetes.io/service-name': `${lb.namespace}/${lb.service}` });
      });
    }
    for (const [cluster, region] of [[prod, 'eu-west-1'], [staging, 'us-east-1']] as const) {
      if (!cluster?.info || cluster.managementFee === undefined) continue;
      const fee = cluster.managementFee * 24;
      row(day, fee, fee, region, 'Amazon Elastic Kubernetes Service', 'Compute', `arn:aws:eks:${region}:${ACCOUNT}:cluster/${cluster.info.id}`, 'Cluster', null);
    }
  }
  return rows.join('\n') + '\n';
}
