import { loadCommonConfig, type CommonConfig } from '../../lib/config/common';
import { durationVar, intVar, portVar, stringVar, urlVar } from '../../lib/config/env';
import { loadInternalSecret } from '../../lib/internal-auth/secret';

type Env = Record<string, string | undefined>;

export interface KubecostConfig {
  common: CommonConfig;
  /** @default 4002 */
  port: number;
  /** @default 127.0.0.1 */
  host: string;
  /** Prometheus HTTP API of Thanos Query. @default http://127.0.0.1:9090 */
  thanosQueryUrl: string;
  /** Per PromQL request. @default 15s */
  queryTimeoutMs: number;
  /** Windows that ended longer ago than this are immutable and cached indefinitely (LRU). @default 10m */
  immutableAfterMs: number;
  /** Result cache bound. @default 64 MiB */
  cacheBytes: number;
  internalSecret: string;
}

export function loadKubecostConfig(env: Env = process.env): KubecostConfig {
  const common = loadCommonConfig(env);
  return {
    common,
    port: portVar(env, 'KUBECOST_PORT', 4002),
    host: stringVar(env, 'KUBECOST_HOST', '127.0.0.1'),
    thanosQueryUrl: urlVar(env, 'THANOS_QUERY_URL', 'http://127.0.0.1:9090'),
    queryTimeoutMs: durationVar(env, 'KUBECOST_QUERY_TIMEOUT', 15_000),
    immutableAfterMs: durationVar(env, 'KUBECOST_IMMUTABLE_AFTER', 10 * 60_000),
    cacheBytes: intVar(env, 'KUBECOST_CACHE_BYTES', 64 * 1024 * 1024, 0),
    internalSecret: loadInternalSecret(common, env),
  };
}
