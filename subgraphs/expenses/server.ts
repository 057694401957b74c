import path from 'node:path';
import client from 'prom-client';
import type { Database } from '../../lib/db/database';
import type { ServiceServer } from '../../lib/http/listen';
import { createSubgraph } from '../../lib/graphql/subgraph-server';
import type { Logger } from '../../lib/log';
import type { ExpensesConfig } from './config';
import { buildExpensesContext, type ExpensesContext } from './context';
import { createFocusUpload } from './focus-upload';
import { resolvers } from './resolvers';

export const EXPENSES_SCHEMA = path.join(__dirname, '..', '..', 'schema', 'expenses.graphql');

export interface ExpensesDeps {
  config: ExpensesConfig;
  db: Database;
  logger: Logger;
}

/** The expenses subgraph, not listening yet. */
export async function createExpensesSubgraph({ config, db, logger }: ExpensesDeps): Promise<ServiceServer> {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const { server, internal, apollo } = await createSubgraph<ExpensesContext>({
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
    buildContext: buildExpensesContext(db, config.common),
    route: createFocusUpload({ db, secret: config.internalSecret, logger, maxBytes: config.importMaxBytes }),
  });
  return { server, internal, close: () => apollo.stop() };
}
