import DataLoader from 'dataloader';
import { loadAllocationInputs, type AllocationInputs } from './allocation/load';
import type { AllocationPartStore } from './allocation/part-store';
import type { ClusterDirectory } from './cluster-directory';
import {
  loadClusterCosts,
  loadCostSeries,
  loadNamespaceCosts,
  loadNamespaceUsage,
  loadUnclaimedVolumes,
  type ClusterCostData,
  type CostPointData,
  type NamespaceCostData,
  type NamespaceUsage,
  type UnclaimedVolume,
} from './costs/cluster-costs';
import type { QueryBudget } from './costs/query-budget';
import type { Promql } from './promql/thanos-client';
import type { BillMatches } from './reconciliation/bill-matches';
import type { Reconciler } from './reconciliation/reconciler';
import type { RollupStore } from './rollups/rollup-store';

/** A cluster and a range, the unit every cost loader batches by. */
export interface ClusterRangeKey {
  id: string;
  from: Date;
  to: Date;
  /** Only for series. */
  stepSeconds?: number;
}

const keyOf = (k: ClusterRangeKey) => `${k.id}|${k.from.getTime()}|${k.to.getTime()}|${k.stepSeconds ?? ''}`;

/**
 * Groups keys by range and asks once per range for all its clusters, so the number of
 * PromQL requests does not grow with the number of clusters. A failed request fails every
 * key of its group (each field then carries the error), nothing else.
 */
function rangeBatched<T>(load: (ids: string[], sample: ClusterRangeKey) => Promise<Map<string, T>>) {
  return new DataLoader<ClusterRangeKey, T, string>(
    async (keys) => {
      const groups = new Map<string, ClusterRangeKey[]>();
      for (const key of keys) {
        const group = `${key.from.getTime()}|${key.to.getTime()}|${key.stepSeconds ?? ''}`;
        groups.set(group, [...(groups.get(group) ?? []), key]);
      }
      const results = new Map<string, T | Error>();
      await Promise.all(
        [...groups.values()].map(async (group) => {
          const ids = [...new Set(group.map((k) => k.id))];
          try {
            const loaded = await load(ids, group[0]);
            for (const key of group) results.set(keyOf(key), loaded.get(key.id) as T);
          } catch (error) {
            for (const key of group) results.set(keyOf(key), error as Error);
          }
        }),
      );
      return keys.map((key) => results.get(keyOf(key)) as T | Error);
    },
    { cacheKeyFn: keyOf },
  );
}

/** The store as one request sees it: its organization's gate on PromQL, its own budget. */
export interface RequestSources {
  promql: Promql;
  rollups: RollupStore;
  allocationParts: AllocationPartStore;
  budget: QueryBudget;
  reconciler: Reconciler;
}

export function createLoaders(directory: ClusterDirectory, { promql: client, rollups, allocationParts, budget, reconciler }: RequestSources, organizationIds: readonly string[]) {
  const allowed = new Set(organizationIds);
  return {
    /** True only for live Kubernetes accounts of the caller's organizations. */
    ownedCluster: new DataLoader<string, boolean>(async (ids) =>
      (await directory.organizationsOf(ids)).map((organizationId) => organizationId !== null && allowed.has(organizationId)),
    ),
    clusterCosts: rangeBatched<ClusterCostData>((ids, k) => loadClusterCosts(client, ids, k.from, k.to, { rollups, budget })),
    namespaceCosts: rangeBatched<NamespaceCostData[]>((ids, k) => loadNamespaceCosts(client, ids, k.from, k.to, budget)),
    usage: rangeBatched<NamespaceUsage[]>((ids, k) => loadNamespaceUsage(client, ids, k.from, k.to, budget)),
    unclaimedVolumes: rangeBatched<UnclaimedVolume[]>((ids, k) => loadUnclaimedVolumes(client, ids, k.to)),
    /** Clusters matched with their organization's bill; each organization's clusters together. */
    billMatches: rangeBatched<BillMatches>(async (ids, k) => {
      const organizations = await directory.organizationsOf(ids);
      const byOrganization = new Map<string, string[]>();
      ids.forEach((id, i) => {
        const organization = organizations[i];
        if (organization !== null && allowed.has(organization)) byOrganization.set(organization, [...(byOrganization.get(organization) ?? []), id]);
      });
      const results = await Promise.all([...byOrganization].map(([organization, mine]) => reconciler.matches(client, organization, mine, k.from, k.to)));
      return new Map(results.flatMap((result) => [...result]));
    }),
    /** Pods, workloads and load balancers for allocation: closed parts kept, the rest two PromQL requests per part for every cluster of the request. */
    allocation: rangeBatched<AllocationInputs>((ids, k) => loadAllocationInputs(client, ids, k.from, k.to, { parts: allocationParts, rollups, budget })),
    series: rangeBatched<CostPointData[]>((ids, k) => loadCostSeries(client, ids, k.from, k.to, k.stepSeconds!, { rollups, budget })),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
