import { RestError } from '../../lib/http/rest-errors';

/*
 * The REST bodies, in the seed's JSON (snake_case, Unix seconds), from the answers of the
 * persisted GraphQL operations. A part of an answer that failed is never a silent zero: a
 * failed Kubernetes part of `clean_expenses` leaves `k8s_costs` out and says so in `warning`;
 * an endpoint whose only part failed answers 503.
 */

export interface GraphQLAnswer {
  data?: Record<string, unknown> | null;
  errors?: ReadonlyArray<{ message: string; path?: ReadonlyArray<string | number>; extensions?: Record<string, unknown> }>;
}

interface Breakdown {
  cpu: number;
  ram: number;
  gpu: number;
  persistentVolumes: number;
  network: number | null;
  loadBalancers: number;
  clusterManagement: number;
}

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** The seed's category names. */
function categories(b: Breakdown) {
  return {
    cpu_cost: b.cpu,
    ram_cost: b.ram,
    gpu_cost: b.gpu,
    pv_cost: b.persistentVolumes,
    network_cost: b.network,
    load_balancer_cost: b.loadBalancers,
    management_cost: b.clusterManagement,
  };
}

/** Errors whose path starts with `prefix`. */
const errorsUnder = (answer: GraphQLAnswer, ...prefix: string[]) => (answer.errors ?? []).filter((e) => prefix.every((p, i) => e.path?.[i] === p));

/** An answer's first error as a REST refusal: not found stays 404, the rest is unavailable. */
function refusal(answer: GraphQLAnswer, what: string): RestError {
  const error = answer.errors?.[0];
  if (error?.extensions?.code === 'NOT_FOUND') return new RestError(404, 'OE0002', `${what} not found`, [what]);
  return new RestError(503, 'OE0003', error ? `${what}: ${error.message}` : `${what} is unavailable`, []);
}

interface CleanExpensesAnswer {
  organization: {
    id: string;
    costSummary: { cloudCost: number; kubernetesCost: number | null; overlap: number | null; totalCost: number | null };
    expenses: {
      totalCost: number;
      count: number;
      items: {
        nodes: Array<{
          id: string;
          cost: number;
          chargePeriodStart: string;
          chargePeriodEnd: string;
          serviceName: string | null;
          region: string | null;
          resourceType: string | null;
          resourceId: string | null;
          resourceName: string | null;
          cloudAccount: { id: string; name: string; type: string };
          kubernetesCluster: { id: string } | null;
        }>;
      };
    };
    kubernetesClusterIds: string[];
    kubernetesCosts: { totalCost: number; clusters: Array<{ cloudAccount: { id: string; name: string }; totalCost: number; breakdown: Breakdown }> } | null;
  } | null;
}

export function cleanExpensesBody(answer: GraphQLAnswer, request: { organizationId: string; start: number; end: number; limit: number; filtered: boolean }) {
  const organization = (answer.data as CleanExpensesAnswer | null | undefined)?.organization;
  if (!organization) {
    if (answer.errors?.length && answer.errors[0].extensions?.code !== 'NOT_FOUND') throw refusal(answer, 'Organization');
    throw new RestError(404, 'OE0002', `Organization ${request.organizationId} not found`, ['Organization', request.organizationId]);
  }
  if (errorsUnder(answer, 'organization', 'expenses').length > 0 || !organization.expenses) throw refusal({ errors: errorsUnder(answer, 'organization', 'expenses') }, 'Cloud expenses');
  const expenses = organization.expenses;
  const hasClusters = organization.kubernetesClusterIds.length > 0;
  const kubernetes = organization.kubernetesCosts;
  const kubernetesFailed = hasClusters && (kubernetes === null || errorsUnder(answer, 'organization', 'kubernetesCosts').length > 0 || organization.costSummary.totalCost === null);
  // Without filters, the total is the organization's (every dollar once); with filters, the
  // cloud rows that pass them plus the Kubernetes total.
  const kubernetesTotal = kubernetes && !kubernetesFailed ? kubernetes.totalCost : 0;
  const totalCost = kubernetesFailed ? expenses.totalCost : request.filtered ? expenses.totalCost + kubernetesTotal : (organization.costSummary.totalCost ?? expenses.totalCost);
  return {
    start_date: request.start,
    end_date: request.end,
    total_count: expenses.count,
    total_cost: totalCost,
    limit: request.limit,
    clean_expenses: expenses.items.nodes.map((item) => ({
      id: item.id,
      cloud_account_id: item.cloudAccount.id,
      cloud_account_name: item.cloudAccount.name,
      cloud_account_type: item.cloudAccount.type.toLowerCase(),
      service_name: item.serviceName,
      region: item.region,
      resource_type: item.resourceType,
      resource_id: item.resourceId,
      resource_name: item.resourceName,
      cost: item.cost,
      start_date: seconds(item.chargePeriodStart),
      end_date: seconds(item.chargePeriodEnd),
      kubernetes_cluster_id: item.kubernetesCluster?.id ?? null,
    })),
    ...(hasClusters && !kubernetesFailed && kubernetes
      ? {
          k8s_costs: {
            k8s_total_cost: kubernetes.totalCost,
            k8s_cost_breakdown: kubernetes.clusters.map((c) => {
              const { cpu_cost, ram_cost, gpu_cost, pv_cost, network_cost, load_balancer_cost, management_cost } = categories(c.breakdown);
              return {
                cloud_account_id: c.cloudAccount.id,
                cloud_account_name: c.cloudAccount.name,
                cost: c.totalCost,
                breakdown: { total_cost: c.totalCost, management_cost, cpu_cost, ram_cost, gpu_cost, pv_cost, network_cost, load_balancer_cost },
              };
            }),
          },
        }
      : {}),
    ...(kubernetesFailed ? { warning: 'Kubernetes costs are unavailable right now: total_cost is the cloud expenses alone and k8s_costs is left out' } : {}),
  };
}

interface ClusterAnswer<T> {
  cloudAccount: { id: string; type: string; kubernetesCost: T | null } | null;
}

/** The cluster's part of an answer, or the refusal: an account that is no cluster is not found. */
function clusterPart<T>(answer: GraphQLAnswer, cloudAccountId: string): T {
  const account = (answer.data as ClusterAnswer<T> | null | undefined)?.cloudAccount;
  const notFound = () => new RestError(404, 'OE0002', `Cloud account ${cloudAccountId} not found`, ['Cloud account', cloudAccountId]);
  if (!account) throw answer.errors?.length && answer.errors[0].extensions?.code !== 'NOT_FOUND' ? refusal(answer, 'Cloud account') : notFound();
  if (account.type !== 'KUBERNETES') throw notFound();
  if (!account.kubernetesCost || (answer.errors?.length ?? 0) > 0) throw refusal(answer, 'Kubernetes costs');
  return account.kubernetesCost;
}

export function clusterCostsBody(answer: GraphQLAnswer, request: { cloudAccountId: string; start: number; end: number }) {
  const cost = clusterPart<{ totalCost: number; breakdown: Breakdown }>(answer, request.cloudAccountId);
  return { cloud_account_id: request.cloudAccountId, start_date: request.start, end_date: request.end, total_cost: cost.totalCost, breakdown: categories(cost.breakdown) };
}

export function metricsBody(answer: GraphQLAnswer, request: { cloudAccountId: string; start: number; end: number; step: number }) {
  const { series } = clusterPart<{ series: Array<{ start: string; totalCost: number; breakdown: Breakdown }> }>(answer, request.cloudAccountId);
  const byCategory: Record<string, Array<[number, number | null]>> = { total_cost: [] };
  for (const point of series) {
    const at = seconds(point.start);
    byCategory.total_cost.push([at, point.totalCost]);
    for (const [name, value] of Object.entries(categories(point.breakdown))) (byCategory[name] ??= []).push([at, value]);
  }
  return { cloud_account_id: request.cloudAccountId, start_date: request.start, end_date: request.end, step: request.step, series: byCategory };
}

export function savingsBody(answer: GraphQLAnswer, request: { cloudAccountId: string; start: number; end: number }) {
  const { savings } = clusterPart<{ savings: Array<{ kind: string; target: string; monthlySavings: number; explanation: string }> }>(answer, request.cloudAccountId);
  return {
    cloud_account_id: request.cloudAccountId,
    start_date: request.start,
    end_date: request.end,
    total_saving: savings.reduce((sum, s) => sum + s.monthlySavings, 0),
    recommendations: savings.map((s) => ({
      type: s.kind.toLowerCase(),
      resource: s.target,
      namespace: s.target.startsWith('namespace/') ? s.target.slice('namespace/'.length) : null,
      saving: s.monthlySavings,
      details: s.explanation,
    })),
  };
}
