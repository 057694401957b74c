import { loadCommonConfig, type CommonConfig } from '../../lib/config/common';
import { portVar, stringVar } from '../../lib/config/env';
import { loadInternalSecret } from '../../lib/internal-auth/secret';

type Env = Record<string, string | undefined>;

export interface ExpensesConfig {
  common: CommonConfig;
  /** @default 4001 */
  port: number;
  /** @default 127.0.0.1 */
  host: string;
  /** Verifies the gateway's signed context. */
  internalSecret: string;
}

export function loadExpensesConfig(env: Env = process.env): ExpensesConfig {
  const common = loadCommonConfig(env);
  return {
    common,
    port: portVar(env, 'EXPENSES_PORT', 4001),
    host: stringVar(env, 'EXPENSES_HOST', '127.0.0.1'),
    internalSecret: loadInternalSecret(common, env),
  };
}
