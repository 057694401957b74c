import { Argument, type Command } from 'commander';
import type { Database } from '../../lib/db/database';
import { createLogger, type Logger } from '../../lib/log';
import { runUntilSignal } from '../../lib/process/signals';
import { loadGatewayConfig } from '../../gateway/config';
import { startGateway } from '../../gateway/start';
import { loadIngestConfig } from '../../ingest/config';
import { startIngest } from '../../ingest/start';
import { loadExpensesConfig } from '../../subgraphs/expenses/config';
import { startExpensesSubgraph } from '../../subgraphs/expenses/start';
import { loadKubecostConfig } from '../../subgraphs/kubecost/config';
import { startKubecostSubgraph } from '../../subgraphs/kubecost/start';
import { loadCliConfig, print } from '../context';
import { migrateDatabase, openServiceDatabase } from '../service-database';

interface Running {
  close(): Promise<void>;
}

/**
 * One long-running service per process, as production runs them (`node dist/cli/main.js serve
 * gateway`). Each entry reads the service's own typed config before anything is opened, so a
 * misconfigured pod fails at once with the variable's name.
 */
const SERVICES: Record<string, (db: () => Promise<Database>, logger: Logger) => Promise<Running>> = {
  ingest: async (db, logger) => {
    const config = loadIngestConfig();
    return startIngest({ config, db: await db(), logger });
  },
  gateway: async (db, logger) => {
    const config = loadGatewayConfig();
    return startGateway({ config, db: await db(), logger });
  },
  expenses: async (db, logger) => {
    const config = loadExpensesConfig();
    return startExpensesSubgraph({ config, db: await db(), logger });
  },
  kubecost: async (db, logger) => {
    const config = loadKubecostConfig();
    return startKubecostSubgraph({ config, db: await db(), logger });
  },
};

export const SERVICE_NAMES = Object.keys(SERVICES);

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('run one service until SIGTERM (production: one per pod; the database must be migrated)')
    .addArgument(new Argument('<service>', 'the service to run').choices(SERVICE_NAMES))
    .action(async (name: string) => {
      const common = loadCliConfig();
      const logger = createLogger(name, { level: common.logLevel, format: common.logFormat });
      let db: Database | undefined;
      const open = async () => (db = await openServiceDatabase(common));
      let service: Running;
      try {
        service = await SERVICES[name](open, logger);
      } catch (error) {
        await db?.close();
        throw error;
      }
      await runUntilSignal(logger, async () => {
        await service.close();
        await db?.close();
      });
    });

  program
    .command('migrate')
    .description('apply pending database migrations and exit (the migration Job of a release)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const result = await migrateDatabase(loadCliConfig());
      const what = result.applied.length ? `applied ${result.applied.join(', ')}` : 'nothing to apply';
      print(Boolean(options.json), { ...result }, `database schema at version ${result.version} (${what})`);
    });
}
