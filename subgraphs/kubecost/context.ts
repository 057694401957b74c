import type { CallerContext } from '../../lib/internal-auth/signed-context';
import type { ClusterDirectory } from './cluster-directory';
import { QueryBudget } from './costs/query-budget';
import { createLoaders, type Loaders } from './loaders';
import type { KubecostMetrics } from './metrics';
import type { OrganizationGates } from './promql/organization-gates';
import type { ThanosClient } from './promql/thanos-client';
import type { Reconciler } from './reconciliation/reconciler';
import type { RollupStore } from './rollups/rollup-store';
import type { AllocationPartStore } from './allocation/part-store';

export interface KubecostContext {
  caller: CallerContext;
  loaders: Loaders;
  metrics: KubecostMetrics;
}

export interface KubecostSources {
  directory: ClusterDirectory;
  client: ThanosClient;
  rollups: RollupStore;
  allocationParts: AllocationPartStore;
  reconciler: Reconciler;
  /** PromQL concurrency per organization. */
  gates: OrganizationGates;
  /** Cluster-hours of raw metrics one request may read. */
  budgetClusterHours: number;
  metrics: KubecostMetrics;
}

export function buildKubecostContext({ directory, client, rollups, allocationParts, reconciler, gates, budgetClusterHours, metrics }: KubecostSources) {
  return (caller: CallerContext): KubecostContext => ({
    caller,
    metrics,
    loaders: createLoaders(
      directory,
      { promql: client.gated(gates.gate(caller.organizationIds)), rollups, allocationParts, reconciler, budget: new QueryBudget(budgetClusterHours) },
      caller.organizationIds,
    ),
  });
}
