import { openDatabase } from '../lib/db/open';
import { createLogger } from '../lib/log';
import { runUntilSignal } from '../lib/process/signals';
import { loadGatewayConfig } from './config';
import { startGateway } from './start';

async function main(): Promise<void> {
  const logger = createLogger('gateway');
  const config = loadGatewayConfig();
  const { db } = await openDatabase(config.common);
  const gateway = await startGateway({ config, db, logger });
  await runUntilSignal(logger, async () => {
    await gateway.close();
    await db.close();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`gateway: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
