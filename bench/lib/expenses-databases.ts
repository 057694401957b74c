import crypto from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import type { Database } from '../../lib/db/database';
import { processCpuSeconds } from './cpu';
import { migrate } from '../../lib/db/migrate';
import { PgliteDatabase } from '../../lib/db/pglite';
import { PostgresDatabase } from '../../lib/db/postgres';

/** The machine's PostgreSQL (trust auth, user postgres); BENCH_POSTGRES_URL overrides. */
export const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  engine: 'postgres' | 'pglite';
  db: Database;
  /** Releases the database and deletes everything it stored. */
  drop(): Promise<void>;
  /**
   * PostgreSQL only: starts counting the CPU time of the server processes serving this
   * database (its backends on this machine); the returned function gives the seconds used since.
   */
  serverCpu?(): Promise<() => Promise<number>>;
}

/** A fresh, migrated database of its own on the PostgreSQL server, dropped by `drop`. */
export async function createPostgres(): Promise<BenchDatabase> {
  const name = `costgraph_bench_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const db = new PostgresDatabase({ connectionString: POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`) });
  await migrate(db);
  const backends = async () =>
    new Map((await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()')).map((row) => [row.pid, processCpuSeconds(row.pid) ?? 0]));
  return {
    engine: 'postgres',
    db,
    serverCpu: async () => {
      const before = await backends();
      return async () => {
        let seconds = 0;
        // Backends opened since started from zero; the ones before count from their snapshot.
        for (const [pid, cpu] of await backends()) seconds += cpu - (before.get(pid) ?? 0);
        return seconds;
      };
    },
    drop: async () => {
      await db.close();
      const cleanup = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await cleanup.connect();
      try {
        await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await cleanup.end();
      }
    },
  };
}

/** File-backed PGlite under `dir`, as in local mode (`costgraph up`); the caller removes `dir`. */
export async function createPglite(dir: string): Promise<BenchDatabase> {
  const db = await PgliteDatabase.open(path.join(dir, 'pglite'));
  await migrate(db);
  return { engine: 'pglite', db, drop: () => db.close() };
}
