import { openDatabase } from '../../lib/db/open';
import { createLogger } from '../../lib/log';
import { runUntilSignal } from '../../lib/process/signals';
import { loadKubecostConfig } from './config';
import { startKubecostSubgraph } from './start';

async function main(): Promise<void> {
  const logger = createLogger('kubecost');
  const config = loadKubecostConfig();
  const { db } = await openDatabase(config.common);
  const subgraph = await startKubecostSubgraph({ config, db, logger });
  await runUntilSignal(logger, async () => {
    await subgraph.close();
    await db.close();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`kubecost: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
