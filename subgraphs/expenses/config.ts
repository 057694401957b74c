import { loadCommonConfig, type CommonConfig } from '../../lib/config/common';
import { intVar, portVar, stringVar } from '../../lib/config/env';
import { internalPortVar, type ListenConfig } from '../../lib/config/listen';
import { loadInternalSecret } from '../../lib/internal-auth/secret';

type Env = Record<string, string | undefined>;

export interface ExpensesConfig extends ListenConfig {
  common: CommonConfig;
  /** /graphql (called by the gateway) and /healthz. @default 4001 */
  port: number;
  /** @default 127.0.0.1 */
  host: string;
  /** /metrics, /readyz, /healthz. @default 14001 */
  internalPort: number;
  /** @default 127.0.0.1 */
  internalHost: string;
  /** Verifies the gateway's signed context. */
  internalSecret: string;
  /** The largest FOCUS file imported over HTTP (EXPENSES_IMPORT_MAX_BYTES). @default 512 MiB */
  importMaxBytes: number;
}

export function loadExpensesConfig(env: Env = process.env): ExpensesConfig {
  const common = loadCommonConfig(env);
  const port = portVar(env, 'EXPENSES_PORT', 4001);
  return {
    common,
    port,
    host: stringVar(env, 'EXPENSES_HOST', '127.0.0.1'),
    internalPort: internalPortVar(env, 'EXPENSES_INTERNAL_PORT', 14001, port),
    internalHost: stringVar(env, 'EXPENSES_INTERNAL_HOST', '127.0.0.1'),
    internalSecret: loadInternalSecret(common, env),
    importMaxBytes: intVar(env, 'EXPENSES_IMPORT_MAX_BYTES', 512 * 1024 * 1024, 1024),
  };
}
