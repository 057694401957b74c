import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { GraphQLError } from 'graphql';
import { sendingState, type IngestStatus } from '../../lib/accounts/ingest-status';
import type { CloudAccount, CloudAccountType, Organization } from '../../lib/accounts/types';
import { listItems, type CostType, type ExpenseDimension, type ExpenseItem, type ExpenseOrder, type ExpenseScope } from './data/queries';
import { DateTimeScalar } from '../../lib/graphql/scalars';
import type { DateRange } from '../../lib/graphql/date-range';
import { badInput, ErrorCode } from '../../lib/graphql/errors';
import type { CallerContext } from '../../lib/internal-auth/signed-context';
import { createKubernetesCluster, deleteCloudAccount, rotateClusterCredential, type ClusterConnection } from '../../lib/accounts/kubernetes-clusters';
import { checkFirst, toAccountType, toScope, type ExpenseFilterInput } from './args';
import { accessResolvers, ROLE_NAMES } from './access-resolvers';
import { costSummaryResolvers } from './cost-summary';
import { requireOrganization, typed } from './resolver-guards';
import type { ExpensesContext } from './context';

const PROVIDER_NAMES: Record<CloudAccountType, string> = {
  aws: 'AWS',
  azure: 'Microsoft',
  gcp: 'Google Cloud',
  oracle: 'Oracle',
  alibaba: 'Alibaba Cloud',
  kubernetes: 'Kubernetes',
};

interface ReportParent {
  scope: ExpenseScope;
}

/** An API token belongs to exactly one organization; a context without one names no viewer. */
function viewer(caller: CallerContext) {
  const [organizationId] = caller.organizationIds;
  if (caller.organizationIds.length !== 1) throw new GraphQLError('this caller is not one API token', { extensions: { code: ErrorCode.FORBIDDEN } });
  return { organizationId, role: ROLE_NAMES[caller.role] };
}

function connection(c: ClusterConnection) {
  return { ...c, cloudAccount: c.cloudAccount };
}

export const resolvers: GraphQLResolverMap<ExpensesContext> = {
  DateTime: DateTimeScalar,
  Query: {
    organizations: async (_: unknown, __: unknown, ctx: ExpensesContext) => {
      const loaded = await ctx.loaders.organization.loadMany(ctx.caller.organizationIds);
      // A failed lookup fails the field; silently dropping it would show an empty list.
      const failed = loaded.find((org): org is Error => org instanceof Error);
      if (failed) throw failed;
      return loaded.filter((org): org is Organization => !!org);
    },
    organization: (_: unknown, args: { id: string }, ctx: ExpensesContext) => ctx.loaders.organization.load(args.id),
    cloudAccount: (_: unknown, args: { id: string }, ctx: ExpensesContext) => ctx.loaders.cloudAccount.load(args.id),
    viewer: (_: unknown, __: unknown, ctx: ExpensesContext) => viewer(ctx.caller),
  },
  Mutation: {
    createKubernetesCluster: (_: unknown, args: { organizationId: string; name: string }, ctx: ExpensesContext) =>
      typed(async () => connection(await createKubernetesCluster(ctx.db, requireOrganization(ctx, args.organizationId), args.name, ctx.publicIngestUrl))),
    rotateClusterCredential: (_: unknown, args: { cloudAccountId: string }, ctx: ExpensesContext) =>
      typed(async () => connection(await rotateClusterCredential(ctx.db, args.cloudAccountId, ctx.publicIngestUrl, ctx.caller.organizationIds))),
    deleteCloudAccount: (_: unknown, args: { id: string }, ctx: ExpensesContext) =>
      typed(() => deleteCloudAccount(ctx.db, args.id, ctx.caller.organizationIds)),
    ...accessResolvers.Mutation,
  },
  Organization: {
    __resolveReference: (ref: { id: string }, ctx: ExpensesContext) => ctx.loaders.organization.load(ref.id),
    cloudAccounts: async (org: Organization, args: { type?: string | null }, ctx: ExpensesContext) => {
      const type = toAccountType(args.type);
      const accounts = await ctx.loaders.accountsOfOrganization.load(org.id);
      return type ? accounts.filter((a) => a.type === type) : accounts;
    },
    kubernetesClusterIds: async (org: Organization, _: unknown, ctx: ExpensesContext) =>
      (await ctx.loaders.accountsOfOrganization.load(org.id)).filter((a) => a.type === 'kubernetes').map((a) => a.id),
    expenses: (org: Organization, args: { range: DateRange; filter?: ExpenseFilterInput | null; costType: CostType }): ReportParent => ({
      scope: toScope(org.id, args.range, args.filter, args.costType),
    }),
    costSummary: costSummaryResolvers.organizationField,
    ...accessResolvers.Organization,
  },
  CostSummary: costSummaryResolvers.entity,
  CloudAccount: {
    __resolveReference: (ref: { id: string }, ctx: ExpensesContext) => ctx.loaders.cloudAccount.load(ref.id),
    type: (account: CloudAccount) => account.type.toUpperCase(),
    provider: (account: CloudAccount) => PROVIDER_NAMES[account.type],
    organization: (account: CloudAccount, _: unknown, ctx: ExpensesContext) => ctx.loaders.organization.load(account.organizationId),
    ingestStatus: (account: CloudAccount, _: unknown, ctx: ExpensesContext) =>
      account.type === 'kubernetes' && ctx.caller.organizationIds.includes(account.organizationId) ? ctx.loaders.ingestStatus.load(account.id) : null,
  },
  IngestStatus: {
    state: (status: IngestStatus, _: unknown, ctx: ExpensesContext) => sendingState(status, Date.now(), ctx.ingestStaleAfterMs).toUpperCase(),
  },
  ExpenseReport: {
    totalCost: async (report: ReportParent, _: unknown, ctx: ExpensesContext) => (await typed(() => ctx.loaders.summary.load(report.scope))).totalCost,
    count: async (report: ReportParent, _: unknown, ctx: ExpensesContext) => (await typed(() => ctx.loaders.summary.load(report.scope))).count,
    items: (report: ReportParent, args: { first: number; after?: string | null; orderBy: ExpenseOrder }, ctx: ExpensesContext) =>
      typed(async () => {
        const page = await listItems(ctx.db, report.scope, { first: checkFirst(args.first), after: args.after ?? undefined, orderBy: args.orderBy });
        return { nodes: page.items, pageInfo: { endCursor: page.endCursor, hasNextPage: page.hasNextPage } };
      }),
    breakdown: (report: ReportParent, args: { by: ExpenseDimension; tagKey?: string | null }, ctx: ExpensesContext) => {
      if (args.by === 'TAG' && !args.tagKey) throw badInput('breakdown by TAG needs tagKey', 'tagKey');
      return typed(() => ctx.loaders.breakdown.load(report.scope, args.by, args.tagKey ?? undefined));
    },
  },
  Expense: {
    cloudAccount: (item: ExpenseItem, _: unknown, ctx: ExpensesContext) => ctx.loaders.cloudAccount.load(item.cloudAccountId),
    kubernetesCluster: (item: ExpenseItem, _: unknown, ctx: ExpensesContext) => (item.kubernetesClusterId ? ctx.loaders.cloudAccount.load(item.kubernetesClusterId) : null),
    // The same value as the REGION breakdown key, COALESCE(region_id, region_name).
    region: (item: ExpenseItem) => item.regionId ?? item.regionName,
    tags: (item: ExpenseItem) => Object.entries(item.tags ?? {}).map(([key, value]) => ({ key, value: String(value) })),
  },
};
