import { spawnSync } from 'node:child_process';
import type { Database } from '../../lib/db/database';
import { createScratchPglite, createScratchPostgres, LOCAL_POSTGRES_ADMIN_URL } from '../../dev/scratch-databases';

/** The PostgreSQL server of this machine (and CI's): trust auth, user postgres. */
export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? LOCAL_POSTGRES_ADMIN_URL;

export interface TestDatabase {
  db: Database;
  /** A connection string for other processes (PostgreSQL only). */
  url?: string;
  drop(): Promise<void>;
}

export interface Backend {
  name: 'pglite' | 'postgres';
  create(): Promise<TestDatabase>;
}

/** Synchronous, because jest needs the list of backends while it collects tests. */
function postgresAnswers(): boolean {
  const probe = `const pg=require('pg');const c=new pg.Client({connectionString:process.argv[1],connectionTimeoutMillis:2000});c.connect().then(()=>c.query('SELECT 1')).then(()=>process.exit(0),()=>process.exit(1))`;
  return spawnSync(process.execPath, ['-e', probe, POSTGRES_ADMIN_URL], { timeout: 5000, cwd: __dirname }).status === 0;
}

/** A fresh, migrated database of its own on the shared PostgreSQL server. */
export async function createPostgresDatabase(): Promise<TestDatabase> {
  const scratch = await createScratchPostgres(POSTGRES_ADMIN_URL, 'costgraph_test');
  return { db: scratch.db, url: scratch.url, drop: scratch.drop };
}

export async function createPgliteDatabase(): Promise<TestDatabase> {
  const db = await createScratchPglite();
  return { db, drop: () => db.close() };
}

const pgliteBackend: Backend = { name: 'pglite', create: createPgliteDatabase };
const postgresBackend: Backend = { name: 'postgres', create: createPostgresDatabase };

/**
 * Both engines when PostgreSQL answers. Under CI=true PostgreSQL is always included, so a
 * missing server fails the tests instead of skipping them; locally its absence is announced.
 */
export function databaseBackends(): Backend[] {
  if (process.env.CI === 'true' || postgresAnswers()) return [pgliteBackend, postgresBackend];
  process.stderr.write('NOTE: PostgreSQL on 127.0.0.1:5432 does not answer; running PGlite only\n');
  return [pgliteBackend];
}
