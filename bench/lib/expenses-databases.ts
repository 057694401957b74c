import path from 'node:path';
import type { Database } from '../../lib/db/database';
import { processCpuSeconds } from './cpu';
import { createScratchPglite, createScratchPostgres, LOCAL_POSTGRES_ADMIN_URL } from '../../dev/scratch-databases';

/** The machine's PostgreSQL (trust auth, user postgres); BENCH_POSTGRES_URL overrides. */
export const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? LOCAL_POSTGRES_ADMIN_URL;

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
  const { db, drop } = await createScratchPostgres(POSTGRES_ADMIN_URL, 'costgraph_bench');
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
    drop,
  };
}

/** File-backed PGlite under `dir`, as in local mode (`costgraph up`); the caller removes `dir`. */
export async function createPglite(dir: string): Promise<BenchDatabase> {
  const db = await createScratchPglite(path.join(dir, 'pglite'));
  return { engine: 'pglite', db, drop: () => db.close() };
}
