/**
 * Child process of bench/gateway.ts and bench/fleet.ts: both subgraphs on free ports, against the
 * PostgreSQL database and Prometheus named in the environment. Prints one JSON line with their
 * URLs and the kubecost subgraph's internal origin (/metrics).
 */
import { loadCommonConfig } from '../../lib/config/common';
import { openDatabase } from '../../lib/db/open';
import { silentLogger } from '../../lib/log';
import { loadExpensesConfig } from '../../subgraphs/expenses/config';
import { startExpensesSubgraph } from '../../subgraphs/expenses/start';
import { loadKubecostConfig } from '../../subgraphs/kubecost/config';
import { startKubecostSubgraph } from '../../subgraphs/kubecost/start';
import { profileOnSignal } from './profile-on-signal';

async function main(): Promise<void> {
  profileOnSignal('subgraphs');
  const env = { ...process.env, EXPENSES_PORT: '0', EXPENSES_INTERNAL_PORT: '0', KUBECOST_PORT: '0', KUBECOST_INTERNAL_PORT: '0' };
  const common = loadCommonConfig(env);
  const { db } = await openDatabase(common);
  const expenses = await startExpensesSubgraph({ config: loadExpensesConfig(env), db, logger: silentLogger });
  const kubecost = await startKubecostSubgraph({ config: loadKubecostConfig(env), db, logger: silentLogger });
  process.stdout.write(`${JSON.stringify({ expenses: expenses.url, kubecost: kubecost.url, kubecostInternal: kubecost.internalUrl })}\n`);
  process.on('SIGTERM', () => void Promise.all([expenses.close(), kubecost.close()]).finally(() => db.close().finally(() => process.exit(0))));
}

main().catch((error: unknown) => {
  process.stderr.write(`bench services: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
