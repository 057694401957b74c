import { openDatabase } from '../lib/db/open';
import { runService } from '../lib/process/run-service';
import { loadIngestConfig } from './config';
import { startIngest } from './start';

/** Standalone ingest worker (production: one of several behind a load balancer). */
runService('ingest', async (logger, common) => {
  const config = loadIngestConfig();
  const { db } = await openDatabase(common);
  const ingest = await startIngest({ config, db, logger });
  return async () => {
    await ingest.close();
    await db.close();
  };
});
