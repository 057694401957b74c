import type { Database } from '../../lib/db/database';
import type { CallerContext } from '../../lib/internal-auth/signed-context';
import { createLoaders, type Loaders } from './loaders';

export interface ExpensesContext {
  caller: CallerContext;
  db: Database;
  loaders: Loaders;
  publicIngestUrl: string;
}

export function buildExpensesContext(db: Database, publicIngestUrl: string) {
  return (caller: CallerContext): ExpensesContext => ({ caller, db, publicIngestUrl, loaders: createLoaders(db, caller.organizationIds) });
}
