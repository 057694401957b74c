import { openDatabase } from '../../lib/db/open';
import { runService } from '../../lib/process/run-service';
import { loadKubecostConfig } from './config';
import { startKubecostSubgraph } from './start';

runService('kubecost', async (logger) => {
  const config = loadKubecostConfig();
  const { db } = await openDatabase(config.common);
  const subgraph = await startKubecostSubgraph({ config, db, logger });
  return async () => {
    await subgraph.close();
    await db.close();
  };
});
