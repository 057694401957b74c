import { openDatabase } from '../lib/db/open';
import { runService } from '../lib/process/run-service';
import { loadGatewayConfig } from './config';
import { startGateway } from './start';

runService('gateway', async (logger) => {
  const config = loadGatewayConfig();
  const { db } = await openDatabase(config.common);
  const gateway = await startGateway({ config, db, logger });
  return async () => {
    await gateway.close();
    await db.close();
  };
});
