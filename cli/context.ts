import { loadCommonConfig, type CommonConfig } from '../lib/config/common';
import type { Database } from '../lib/db/database';
import { openDatabase } from '../lib/db/open';

/**
 * Runs a command against the database. While `costgraph up` owns the embedded database the
 * command connects to it over the wire protocol; otherwise it opens the files itself.
 */
export async function withDatabase<T>(fn: (db: Database, config: CommonConfig) => Promise<T>): Promise<T> {
  const config = loadCommonConfig();
  const { db } = await openDatabase(config);
  try {
    return await fn(db, config);
  } finally {
    await db.close();
  }
}

/** Writes the result: JSON for scripts with `--json`, readable lines otherwise. */
export function print(json: boolean, value: Record<string, unknown>, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human}\n`);
}
