import type { CommonConfig } from '../lib/config/common';
import type { Database } from '../lib/db/database';
import { listMigrations, migrate } from '../lib/db/migrate';
import { openDatabase } from '../lib/db/open';
import { PostgresDatabase } from '../lib/db/postgres';
import { CliError } from './errors';

/**
 * How long a service started against PostgreSQL waits for the migration Job before giving up.
 * Long enough for the Job of the same release to finish (it starts at the same time), short
 * enough that a forgotten migration shows up as a failing rollout rather than a silent hang.
 */
export const SCHEMA_WAIT_MS = 120_000;
const SCHEMA_POLL_MS = 2_000;

/** Migration versions this build knows that the database has not applied yet. */
export async function pendingMigrations(db: Database): Promise<number[]> {
  const known = listMigrations().map((migration) => migration.version);
  const [table] = await db.query<{ present: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
  if (!table?.present) return known;
  const applied = new Set((await db.query<{ version: number }>('SELECT version FROM schema_migrations')).map((row) => row.version));
  return known.filter((version) => !applied.has(version));
}

/**
 * The database a long-running service uses. With PostgreSQL the service never migrates: the
 * migration Job (`costgraph migrate`) does, once per release, with the privileges to change the
 * schema, so replicas starting together do not each take the migration lock and a rolling
 * upgrade cannot half-apply a migration from inside a serving pod. The service waits for the
 * schema it was built for instead. Migrations only ever add (columns, tables, indexes), so a
 * database ahead of this build is fine: old replicas keep serving while the new ones start.
 *
 * Without DATABASE_URL (local mode) the embedded database is opened as everywhere else: its
 * owning process applies pending migrations itself, because no Job exists there.
 */
export async function openServiceDatabase(common: Pick<CommonConfig, 'databaseUrl' | 'dataDir'>, waitMs = SCHEMA_WAIT_MS): Promise<Database> {
  if (!common.databaseUrl) return (await openDatabase(common)).db;
  const db = new PostgresDatabase({ connectionString: common.databaseUrl });
  try {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const pending = await pendingMigrations(db);
      if (pending.length === 0) return db;
      if (Date.now() >= deadline) {
        throw new CliError(`the database lacks migration${pending.length > 1 ? 's' : ''} ${pending.join(', ')}: run "costgraph migrate" (the migration Job) first`);
      }
      await new Promise((resolve) => setTimeout(resolve, SCHEMA_POLL_MS));
    }
  } catch (error) {
    await db.close();
    throw error;
  }
}

export interface MigrationResult {
  /** Versions this run applied (empty when the schema was up to date). */
  applied: number[];
  /** The newest version the database has now. */
  version: number;
}

/** Applies pending migrations and says what it did; what the migration Job runs. */
export async function migrateDatabase(common: Pick<CommonConfig, 'databaseUrl' | 'dataDir'>): Promise<MigrationResult> {
  if (common.databaseUrl) {
    const db = new PostgresDatabase({ connectionString: common.databaseUrl, maxConnections: 1 });
    try {
      const applied = await migrate(db);
      return { applied, version: await schemaVersion(db) };
    } finally {
      await db.close();
    }
  }
  // Opening the embedded database migrates it (by its owner); what was pending before is unknown
  // once it is open, so the answer is what is there now.
  const { db } = await openDatabase(common);
  try {
    const applied = await migrate(db);
    return { applied, version: await schemaVersion(db) };
  } finally {
    await db.close();
  }
}

async function schemaVersion(db: Database): Promise<number> {
  const [row] = await db.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
  return row?.version ?? 0;
}
