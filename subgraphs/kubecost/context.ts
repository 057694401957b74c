import type { CallerContext } from '../../lib/internal-auth/signed-context';
import type { ClusterDirectory } from './cluster-directory';
import { createLoaders, type Loaders } from './loaders';
import type { ThanosClient } from './promql/thanos-client';
import type { KubecostMetrics } from './metrics';
import type { RollupStore } from './rollups/rollup-store';

export interface KubecostContext {
  caller: CallerContext;
  loaders: Loaders;
  metrics: KubecostMetrics;
}

export function buildKubecostContext(directory: ClusterDirectory, client: ThanosClient, rollups: RollupStore, metrics: KubecostMetrics) {
  return (caller: CallerContext): KubecostContext => ({ caller, metrics, loaders: createLoaders(directory, client, rollups, caller.organizationIds) });
}
