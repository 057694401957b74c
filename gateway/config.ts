import path from 'node:path';
import { loadCommonConfig, type CommonConfig } from '../lib/config/common';
import { ConfigError, durationVar, intVar, optionalStringVar, portVar, stringVar, TIMEOUT_MAX_MS, TIMEOUT_MIN_MS, urlVar } from '../lib/config/env';
import { internalPortVar, type ListenConfig } from '../lib/config/listen';
import { loadInternalSecret } from '../lib/internal-auth/secret';
import { SUPERGRAPH_FILE, type SubgraphName } from './supergraph/compose';

type Env = Record<string, string | undefined>;

export interface QueryLimits {
  /** Deepest field nesting an operation may have (fragments followed). @default 12 */
  maxDepth: number;
  /** Aliased fields per operation: aliases multiply work without growing the text much. @default 30 */
  maxAliases: number;
  /** Lexical tokens per document, enforced while parsing. @default 3000 */
  maxTokens: number;
  /** Request body bytes. @default 256 KiB */
  maxBodyBytes: number;
}

export interface GatewayConfig extends ListenConfig {
  common: CommonConfig;
  /** /graphql, GraphiQL, the dashboard, /healthz. @default 4000 */
  port: number;
  /** @default 127.0.0.1 */
  host: string;
  /** /metrics, /readyz, /healthz. @default 14000 */
  internalPort: number;
  /** @default 127.0.0.1 */
  internalHost: string;
  /** Signs the caller context sent to subgraphs. */
  internalSecret: string;
  /** The composed supergraph (`costgraph compose`); watched, reloaded on change. */
  supergraphFile: string;
  /** Per-subgraph URL overrides; the supergraph's URLs (local defaults) otherwise. */
  subgraphUrls: Partial<Record<SubgraphName, string>>;
  limits: QueryLimits;
  /** Schema introspection; on by default in local mode (no DATABASE_URL), off in production. */
  introspection: boolean;
  /** How long a token verdict is reused should change notices stop arriving. @default 30s */
  tokenCacheTtlMs: number;
  /** How often the database's credential change log is read (revocations reach every replica within it). @default 1s */
  tokenRevocationPollMs: number;
  /** Token verifications (scrypt) running at once; keep it below libuv's thread pool size (4). @default 2 */
  tokenVerifyConcurrency: number;
  /** Token verifications waiting for a slot; beyond it 429 RATE_LIMITED. @default 64 */
  tokenVerifyQueue: number;
  /** A subgraph request taking longer fails that subgraph's part of the answer. @default 20s */
  subgraphTimeoutMs: number;
  /** Open sockets per subgraph (bounded keep-alive pool). @default 64 */
  subgraphConnections: number;
  /** The largest FOCUS file accepted by POST /api/v1/organizations/{id}/imports/focus. @default 512 MiB */
  importMaxBytes: number;
  /** How long such an import may take, upload included. @default 10m */
  importTimeoutMs: number;
}

function boolVar(env: Env, name: string, fallback: boolean): boolean {
  const value = optionalStringVar(env, name);
  if (value === undefined) return fallback;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(name, `expected true or false, got "${value}"`);
}

export function loadGatewayConfig(env: Env = process.env): GatewayConfig {
  const common = loadCommonConfig(env);
  const tokenCacheTtlMs = durationVar(env, 'TOKEN_CACHE_TTL', 30_000);
  if (tokenCacheTtlMs > 60_000) throw new ConfigError('TOKEN_CACHE_TTL', 'at most 60s: revoked tokens must stop working within a minute');
  const subgraphUrls: Partial<Record<SubgraphName, string>> = {};
  if (optionalStringVar(env, 'EXPENSES_URL')) subgraphUrls.expenses = urlVar(env, 'EXPENSES_URL', '');
  if (optionalStringVar(env, 'KUBECOST_URL')) subgraphUrls.kubecost = urlVar(env, 'KUBECOST_URL', '');
  const port = portVar(env, 'GATEWAY_PORT', 4000);
  return {
    common,
    port,
    host: stringVar(env, 'GATEWAY_HOST', '127.0.0.1'),
    internalPort: internalPortVar(env, 'GATEWAY_INTERNAL_PORT', 14000, port),
    internalHost: stringVar(env, 'GATEWAY_INTERNAL_HOST', '127.0.0.1'),
    internalSecret: loadInternalSecret(common, env),
    supergraphFile: path.resolve(stringVar(env, 'SUPERGRAPH_FILE', SUPERGRAPH_FILE)),
    subgraphUrls,
    limits: {
      maxDepth: intVar(env, 'GRAPHQL_MAX_DEPTH', 12, 1, 100),
      maxAliases: intVar(env, 'GRAPHQL_MAX_ALIASES', 30, 0, 1000),
      maxTokens: intVar(env, 'GRAPHQL_MAX_TOKENS', 3000, 100, 100_000),
      maxBodyBytes: intVar(env, 'GRAPHQL_MAX_BODY_BYTES', 256 * 1024, 1024, 16 * 1024 * 1024),
    },
    introspection: boolVar(env, 'GRAPHQL_INTROSPECTION', !common.databaseUrl),
    tokenCacheTtlMs,
    tokenRevocationPollMs: durationVar(env, 'TOKEN_REVOCATION_POLL', 1_000, 100, 60_000),
    tokenVerifyConcurrency: intVar(env, 'TOKEN_VERIFY_CONCURRENCY', 2, 1, 64),
    tokenVerifyQueue: intVar(env, 'TOKEN_VERIFY_QUEUE', 64, 0, 100_000),
    subgraphTimeoutMs: durationVar(env, 'SUBGRAPH_TIMEOUT', 20_000, TIMEOUT_MIN_MS, TIMEOUT_MAX_MS),
    subgraphConnections: intVar(env, 'SUBGRAPH_CONNECTIONS', 64, 1, 10_000),
    importMaxBytes: intVar(env, 'GATEWAY_IMPORT_MAX_BYTES', 512 * 1024 * 1024, 1024),
    importTimeoutMs: durationVar(env, 'GATEWAY_IMPORT_TIMEOUT', 600_000, 1_000, 3_600_000),
  };
}
