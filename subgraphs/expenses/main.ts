import { openDatabase } from '../../lib/db/open';
import { createLogger } from '../../lib/log';
import { runUntilSignal } from '../../lib/process/signals';
import { loadExpensesConfig } from './config';
import { startExpensesSubgraph } from './start';

async function main(): Promise<void> {
  const logger = createLogger('expenses');
  const config = loadExpensesConfig();
  const { db } = await openDatabase(config.common);
  const subgraph = await startExpensesSubgraph({ config, db, logger });
  await runUntilSignal(logger, async () => {
    await subgraph.close();
    await db.close();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`expenses: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
