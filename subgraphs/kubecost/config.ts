import { loadCommonConfig, type CommonConfig } from '../../lib/config/common';
import { ConfigError, durationVar, intVar, portVar, stringVar, TIMEOUT_MAX_MS, TIMEOUT_MIN_MS, urlVar } from '../../lib/config/env';
import { internalPortVar, type ListenConfig } from '../../lib/config/listen';
import { loadInternalSecret } from '../../lib/internal-auth/secret';

type Env = Record<string, string | undefined>;

export interface KubecostConfig extends ListenConfig {
  common: CommonConfig;
  /** /graphql (called by the gateway) and /healthz. @default 4002 */
  port: number;
  /** @default 127.0.0.1 */
  host: string;
  /** /metrics, /readyz, /healthz. @default 14002 */
  internalPort: number;
  /** @default 127.0.0.1 */
  internalHost: string;
  /** Prometheus HTTP API of Thanos Query. @default http://127.0.0.1:9090 */
  thanosQueryUrl: string;
  /** Per PromQL request. @default 15s */
  queryTimeoutMs: number;
  /** Windows that ended longer ago than this are immutable and cached indefinitely (LRU). @default 10m */
  immutableAfterMs: number;
  /** Windows newer than that are cached this long at most (never over a minute). @default 60s */
  recentTtlMs: number;
  /** Result cache bound (JSON size of cached results); 0 disables the cache. @default 64 MiB */
  cacheBytes: number;
  /** How long which-cluster-is-whose is remembered; a deleted cluster disappears within it. @default 5s */
  directoryTtlMs: number;
  /** PromQL requests of one organization in the store at once; more wait their turn. @default 4 */
  organizationConcurrency: number;
  /**
   * Cluster-hours of raw metrics one GraphQL request may have the store read (hours already
   * rolled up are free); beyond it QUERY_TOO_EXPENSIVE. @default 200000 (200 clusters × 41 days)
   */
  queryBudgetClusterHours: number;
  /**
   * After each hour closes, every live cluster's closed hours this far back are rolled up
   * ahead of the queries; 0 turns the background pass off. @default 24h
   */
  rollupLookbackMs: number;
  internalSecret: string;
}

/** Results of windows that are still filling are at most a minute old. */
const MAX_RECENT_TTL_MS = 60_000;

export function loadKubecostConfig(env: Env = process.env): KubecostConfig {
  const common = loadCommonConfig(env);
  const port = portVar(env, 'KUBECOST_PORT', 4002);
  const recentTtlMs = durationVar(env, 'KUBECOST_RECENT_TTL', MAX_RECENT_TTL_MS);
  if (recentTtlMs > MAX_RECENT_TTL_MS) throw new ConfigError('KUBECOST_RECENT_TTL', `at most 60s, got ${recentTtlMs} ms`);
  const directoryTtlMs = durationVar(env, 'KUBECOST_DIRECTORY_TTL', 5_000);
  if (directoryTtlMs > 60_000) throw new ConfigError('KUBECOST_DIRECTORY_TTL', `at most 60s, got ${directoryTtlMs} ms`);
  return {
    common,
    port,
    host: stringVar(env, 'KUBECOST_HOST', '127.0.0.1'),
    internalPort: internalPortVar(env, 'KUBECOST_INTERNAL_PORT', 14002, port),
    internalHost: stringVar(env, 'KUBECOST_INTERNAL_HOST', '127.0.0.1'),
    thanosQueryUrl: urlVar(env, 'THANOS_QUERY_URL', 'http://127.0.0.1:9090'),
    queryTimeoutMs: durationVar(env, 'KUBECOST_QUERY_TIMEOUT', 15_000, TIMEOUT_MIN_MS, TIMEOUT_MAX_MS),
    immutableAfterMs: durationVar(env, 'KUBECOST_IMMUTABLE_AFTER', 10 * 60_000),
    recentTtlMs,
    cacheBytes: intVar(env, 'KUBECOST_CACHE_BYTES', 64 * 1024 * 1024, 0),
    directoryTtlMs,
    organizationConcurrency: intVar(env, 'KUBECOST_ORGANIZATION_CONCURRENCY', 4, 1),
    queryBudgetClusterHours: intVar(env, 'KUBECOST_QUERY_BUDGET', 200_000, 1),
    rollupLookbackMs: durationVar(env, 'KUBECOST_ROLLUP_LOOKBACK', 24 * 3_600_000, 0, 35 * 24 * 3_600_000),
    internalSecret: loadInternalSecret(common, env),
  };
}
