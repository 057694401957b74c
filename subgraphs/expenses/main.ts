import { openDatabase } from '../../lib/db/open';
import { runService } from '../../lib/process/run-service';
import { loadExpensesConfig } from './config';
import { startExpensesSubgraph } from './start';

runService('expenses', async (logger) => {
  const config = loadExpensesConfig();
  const { db } = await openDatabase(config.common);
  const subgraph = await startExpensesSubgraph({ config, db, logger });
  return async () => {
    await subgraph.close();
    await db.close();
  };
});
