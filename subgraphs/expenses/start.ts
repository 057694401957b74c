import path from 'node:path';
import client from 'prom-client';
import type { Database } from '../../lib/db/database';
import { closeServer, listen } from '../../lib/graphql/http-server';
import { createSubgraph } from '../../lib/graphql/subgraph-server';
import type { Logger } from '../../lib/log';
import type { RunningSubgraph } from '../kubecost/start';
import type { ExpensesConfig } from './config';
import { buildExpensesContext, type ExpensesContext } from './context';
import { resolvers } from './resolvers';

export const EXPENSES_SCHEMA = path.join(__dirname, '..', '..', 'schema', 'expenses.graphql');

export async function startExpensesSubgraph(deps: { config: ExpensesConfig; db: Database; logger: Logger }): Promise<RunningSubgraph> {
  const { config, db, logger } = deps;
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const { server, apollo } = await createSubgraph<ExpensesContext>({
    name: 'expenses',
    schemaFile: EXPENSES_SCHEMA,
    resolvers,
    secret: config.internalSecret,
    logger,
    registry,
    ready: async () => {
      try {
        await db.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    buildContext: buildExpensesContext(db, config.common.publicIngestUrl),
  });
  const base = await listen(server, config.port, config.host);
  logger.info({ url: `${base}/graphql` }, 'expenses subgraph listening');
  return {
    url: `${base}/graphql`,
    close: async () => {
      await closeServer(server);
      await apollo.stop();
    },
  };
}
