import { loadCommonConfig } from '../lib/config/common';
import { openDatabase } from '../lib/db/open';
import { createLogger } from '../lib/log';
import { runUntilSignal } from '../lib/process/signals';
import { loadIngestConfig } from './config';
import { startIngest } from './start';

/** Standalone ingest worker (production: one of several behind a load balancer). */
async function main(): Promise<void> {
  const logger = createLogger('ingest');
  const common = loadCommonConfig();
  const config = loadIngestConfig();
  const { db } = await openDatabase(common);
  const ingest = await startIngest({ config, db, logger });
  await runUntilSignal(logger, async () => {
    await ingest.close();
    await db.close();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`ingest: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
