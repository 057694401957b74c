import type { Database } from '../../lib/db/database';
import type { CallerContext } from '../../lib/internal-auth/signed-context';
import { createLoaders, type Loaders } from './loaders';

export interface ExpensesContext {
  caller: CallerContext;
  db: Database;
  loaders: Loaders;
  publicIngestUrl: string;
  /** When a cluster's last accepted write makes it stale (INGEST_STALE_AFTER). */
  ingestStaleAfterMs: number;
}

export function buildExpensesContext(db: Database, settings: { publicIngestUrl: string; ingestStaleAfterMs: number }) {
  return (caller: CallerContext): ExpensesContext => ({ caller, db, ...settings, loaders: createLoaders(db, caller.organizationIds) });
}
