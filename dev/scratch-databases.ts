import crypto from 'node:crypto';
import pg from 'pg';
import { migrate } from '../lib/db/migrate';
import { PgliteDatabase } from '../lib/db/pglite';
import { PostgresDatabase } from '../lib/db/postgres';

/** The PostgreSQL server of this machine (and CI's): trust auth, user postgres. */
export const LOCAL_POSTGRES_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ScratchPostgres {
  db: PostgresDatabase;
  /** Its connection string, for other processes. */
  url: string;
  /** Closes the connections and drops the database with everything it stored. */
  drop(): Promise<void>;
}

async function asAdmin(adminUrl: string, sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** A fresh, migrated database of its own on a shared PostgreSQL server (tests, benchmarks). */
export async function createScratchPostgres(adminUrl = LOCAL_POSTGRES_ADMIN_URL, prefix = 'costgraph_scratch'): Promise<ScratchPostgres> {
  const name = `${prefix}_${crypto.randomBytes(6).toString('hex')}`;
  await asAdmin(adminUrl, `CREATE DATABASE ${name}`);
  const url = adminUrl.replace(/\/[^/]*$/, `/${name}`);
  const db = new PostgresDatabase({ connectionString: url });
  await migrate(db);
  return {
    db,
    url,
    drop: async () => {
      await db.close();
      await asAdmin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** A migrated PGlite database: in memory, or file-backed under `dir` as in local mode. */
export async function createScratchPglite(dir?: string): Promise<PgliteDatabase> {
  const db = await PgliteDatabase.open(dir);
  await migrate(db);
  return db;
}
