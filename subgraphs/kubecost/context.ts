import type { Database } from '../../lib/db/database';
import type { CallerContext } from '../../lib/internal-auth/signed-context';
import { createLoaders, type Loaders } from './loaders';
import type { ThanosClient } from './promql/thanos-client';
import type { KubecostMetrics } from './metrics';

export interface KubecostContext {
  caller: CallerContext;
  loaders: Loaders;
  metrics: KubecostMetrics;
}

export function buildKubecostContext(db: Database, client: ThanosClient, metrics: KubecostMetrics) {
  return (caller: CallerContext): KubecostContext => ({ caller, metrics, loaders: createLoaders(db, client, caller.organizationIds) });
}
