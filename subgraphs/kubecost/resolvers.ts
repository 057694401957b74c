import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { isId } from '../../lib/accounts/ids';
import { checkRange, parseRepresentedRange, type DateRange } from '../../lib/graphql/date-range';
import { badInput, upstreamUnavailable } from '../../lib/graphql/errors';
import { DateTimeScalar } from '../../lib/graphql/scalars';
import { allocationOptions, clusterAllocation, organizationAllocation, type AllocationArgs, type ReportRow } from './allocation/report';
import type { ClusterCostData } from './costs/cluster-costs';
import { efficiency, idleRow, savings } from './costs/insights';
import type { MatchedAsset } from './reconciliation/bill-matches';
import { billedBreakdown, reconciliationOf } from './reconciliation/billed-basis';
import { seriesBucketCount } from './costs/window';
import type { KubecostContext } from './context';
import type { ClusterRangeKey } from './loaders';
import { ThanosError } from './promql/thanos-client';

interface ClusterCostParent extends ClusterRangeKey {}

const STEP_SECONDS = { HOUR: 3600, DAY: 86_400 } as const;
const MAX_POINTS = 1000;

/** Metrics-store failures become a typed error on the field that needed the data. */
async function fromStore<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ThanosError) throw upstreamUnavailable(error.message);
    throw error;
  }
}

const costs = (p: ClusterCostParent, ctx: KubecostContext): Promise<ClusterCostData> =>
  fromStore(async () => {
    const data = await ctx.loaders.clusterCosts.load(p);
    if (data.lastSampleAt) ctx.metrics.freshness.set({ cloud_account_id: p.id }, (Date.now() - data.lastSampleAt.getTime()) / 1000);
    return data;
  });

async function ownedIds(ids: readonly string[], ctx: KubecostContext): Promise<string[]> {
  const valid = ids.filter(isId);
  const owned = await ctx.loaders.ownedCluster.loadMany(valid);
  // A failed ownership lookup is an error, never "not owned": that would report zero cost.
  const failed = owned.find((o): o is Error => o instanceof Error);
  if (failed) throw failed;
  return valid.filter((_, i) => owned[i] === true);
}

interface CostSummaryRef {
  organizationId: unknown;
  from: unknown;
  to: unknown;
  cloudCost?: number;
  kubernetesClusterIds?: string[];
}
type CostSummaryParent = Omit<CostSummaryRef, 'from' | 'to'> & DateRange;

/** Sum over the organization's clusters; the same loader calls as `kubernetesCosts`, so one batch. */
async function kubernetesTotal(s: CostSummaryParent, ctx: KubecostContext): Promise<number> {
  const ids = await ownedIds(s.kubernetesClusterIds ?? [], ctx);
  const all = await Promise.all(ids.map((id) => costs({ id, from: s.from, to: s.to }, ctx)));
  return all.reduce((sum, c) => sum + c.totalCost, 0);
}

/** What the clusters' bill rows and the cost model both count (CostSummary.overlap). */
async function overlap(s: CostSummaryParent, ctx: KubecostContext): Promise<number> {
  const ids = await ownedIds(s.kubernetesClusterIds ?? [], ctx);
  const all = await Promise.all(ids.map((id) => reconciled({ id, from: s.from, to: s.to }, ctx)));
  return all.reduce((sum, r) => sum + r.estimatedCost, 0);
}

/** A cluster's bill matches, once its costs (and so its rolled-up hours) are computed. */
const reconciled = (p: ClusterCostParent, ctx: KubecostContext) =>
  fromStore(async () => {
    await costs(p, ctx);
    return reconciliationOf(await ctx.loaders.billMatches.load(p));
  });

export const resolvers: GraphQLResolverMap<KubecostContext> = {
  DateTime: DateTimeScalar,
  Organization: {
    // Organizations outside the caller's scope resolve to null, exactly like unknown ones.
    __resolveReference: (ref: { id: string; kubernetesClusterIds?: string[] }, ctx: KubecostContext) =>
      ctx.caller.organizationIds.includes(ref.id) ? ref : null,
    kubernetesCosts: async (org: { id: string; kubernetesClusterIds?: string[] }, args: { range: DateRange }, ctx: KubecostContext) => {
      const { from, to } = checkRange(args.range);
      // The ids come from the expenses subgraph; ownership is still checked here, server-side.
      const ids = await ownedIds(org.kubernetesClusterIds ?? [], ctx);
      const clusters = await Promise.all(ids.map((id) => costs({ id, from, to }, ctx).then((data) => ({ key: { id, from, to }, data }))));
      clusters.sort((a, b) => b.data.totalCost - a.data.totalCost || a.key.id.localeCompare(b.key.id));
      return { totalCost: clusters.reduce((sum, c) => sum + c.data.totalCost, 0), clusters: clusters.map((c) => c.key) };
    },
  },
  KubernetesCostReport: {
    allocation: (report: { clusters: ClusterCostParent[] }, args: AllocationArgs, ctx: KubecostContext) =>
      fromStore(async () => {
        const options = allocationOptions(args);
        const clusters = await Promise.all(
          report.clusters.map(async (p) => {
            const [cluster, inputs] = await Promise.all([costs(p, ctx), ctx.loaders.allocation.load(p)]);
            return { id: p.id, cluster, inputs };
          }),
        );
        return organizationAllocation(clusters, options);
      }),
  },
  AllocationRow: {
    cluster: (row: ReportRow) => (row.clusterId ? { __typename: 'CloudAccount', id: row.clusterId } : null),
  },
  CostSummary: {
    __resolveReference: (ref: CostSummaryRef, ctx: KubecostContext) => {
      if (!isId(ref.organizationId) || !ctx.caller.organizationIds.includes(ref.organizationId)) return null;
      return { ...ref, ...parseRepresentedRange(ref.from, ref.to) };
    },
    kubernetesCost: (s: CostSummaryParent, _: unknown, ctx: KubecostContext) => kubernetesTotal(s, ctx),
    overlap: (s: CostSummaryParent, _: unknown, ctx: KubecostContext) => overlap(s, ctx),
    totalCost: async (s: CostSummaryParent, _: unknown, ctx: KubecostContext) => {
      const [kubernetes, counted] = await Promise.all([kubernetesTotal(s, ctx), overlap(s, ctx)]);
      return (s.cloudCost ?? 0) + kubernetes - counted;
    },
  },
  CloudAccount: {
    __resolveReference: (ref: { id: string }) => ref,
    kubernetesCost: async (account: { id: string }, args: { range: DateRange }, ctx: KubecostContext): Promise<ClusterCostParent | null> => {
      const { from, to } = checkRange(args.range);
      const [owned] = await ownedIds([account.id], ctx);
      return owned ? { id: owned, from, to } : null;
    },
  },
  ReconciledAsset: {
    kind: (a: MatchedAsset) => a.kind.toUpperCase(),
    billedCost: (a: MatchedAsset) => a.billed,
    estimatedCost: (a: MatchedAsset) => a.estimated,
  },
  ClusterCost: {
    cloudAccount: (p: ClusterCostParent) => ({ __typename: 'CloudAccount', id: p.id }),
    totalCost: async (p: ClusterCostParent, _: unknown, ctx: KubecostContext) => (await costs(p, ctx)).totalCost,
    breakdown: async (p: ClusterCostParent, args: { basis?: 'ESTIMATED' | 'BILLED' }, ctx: KubecostContext) => {
      const { breakdown } = await costs(p, ctx);
      // Matching the bill learns names and handles from the store: its failures are typed too.
      return args.basis === 'BILLED' ? fromStore(async () => billedBreakdown(breakdown, await ctx.loaders.billMatches.load(p))) : breakdown;
    },
    reconciliation: async (p: ClusterCostParent, _: unknown, ctx: KubecostContext) => {
      const [cluster, reconciliation] = await Promise.all([costs(p, ctx), reconciled(p, ctx)]);
      return { ...reconciliation, coverage: cluster.totalCost > 0 ? reconciliation.estimatedCost / cluster.totalCost : null };
    },
    lastSampleAt: async (p: ClusterCostParent, _: unknown, ctx: KubecostContext) => (await costs(p, ctx)).lastSampleAt,
    hasData: async (p: ClusterCostParent, _: unknown, ctx: KubecostContext) => (await costs(p, ctx)).lastSampleAt !== null,
    warnings: async (p: ClusterCostParent, _: unknown, ctx: KubecostContext) => (await costs(p, ctx)).warnings,
    allocation: (p: ClusterCostParent, args: AllocationArgs, ctx: KubecostContext) =>
      fromStore(async () => {
        const options = allocationOptions(args);
        const [cluster, inputs] = await Promise.all([costs(p, ctx), ctx.loaders.allocation.load(p)]);
        return clusterAllocation(p.id, cluster, inputs, options);
      }),
    namespaces: (p: ClusterCostParent, args: { top?: number | null }, ctx: KubecostContext) =>
      fromStore(async () => {
        if (args.top !== null && args.top !== undefined && (!Number.isInteger(args.top) || args.top < 1 || args.top > 1000)) {
          throw badInput('top must be between 1 and 1000', 'top');
        }
        const [cluster, namespaces] = await Promise.all([costs(p, ctx), ctx.loaders.namespaceCosts.load(p)]);
        const sorted = [...namespaces].sort((a, b) => b.totalCost - a.totalCost || a.namespace.localeCompare(b.namespace));
        const idle = idleRow(cluster, namespaces);
        return [...sorted.slice(0, args.top ?? sorted.length), ...(idle ? [idle] : [])];
      }),
    series: (p: ClusterCostParent, args: { step: keyof typeof STEP_SECONDS }, ctx: KubecostContext) => {
      const stepSeconds = STEP_SECONDS[args.step];
      const points = seriesBucketCount(p.from.getTime(), p.to.getTime(), stepSeconds * 1000);
      if (points > MAX_POINTS) throw badInput(`series would have ${points} points; at most ${MAX_POINTS} (use a larger step or a shorter range)`, 'step');
      return fromStore(() => ctx.loaders.series.load({ ...p, stepSeconds }));
    },
    efficiency: (p: ClusterCostParent, _: unknown, ctx: KubecostContext) =>
      fromStore(async () => {
        // Both loads start in the same tick, so each batches across clusters and they overlap.
        const [cluster, usage] = await Promise.all([costs(p, ctx), ctx.loaders.usage.load(p)]);
        return efficiency(cluster, usage);
      }),
    savings: (p: ClusterCostParent, _: unknown, ctx: KubecostContext) =>
      fromStore(async () => {
        const [cluster, namespaces, usage, unclaimed] = await Promise.all([
          costs(p, ctx),
          ctx.loaders.namespaceCosts.load(p),
          ctx.loaders.usage.load(p),
          ctx.loaders.unclaimedVolumes.load(p),
        ]);
        return savings(cluster, (p.to.getTime() - p.from.getTime()) / 3_600_000, namespaces, usage, unclaimed);
      }),
  },
};
