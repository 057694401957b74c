import { loadCommonConfig, type CommonConfig } from '../lib/config/common';
import type { Database } from '../lib/db/database';
import { openDatabase } from '../lib/db/open';
import { dataDirRefusal } from './data-dir';
import { CliError } from './errors';

/**
 * The settings of a command that may touch the data directory: the embedded database lives
 * there unless DATABASE_URL is set; `up` also keeps the local Prometheus there (`always`).
 */
export function loadCliConfig(options: { always?: boolean } = {}, env: Record<string, string | undefined> = process.env): CommonConfig {
  const config = loadCommonConfig(env);
  if (options.always || !config.databaseUrl) {
    const refusal = dataDirRefusal(env);
    if (refusal) throw new CliError(refusal);
  }
  return config;
}

/**
 * Runs a command against the database. While `costgraph up` owns the embedded database the
 * command connects to it over the wire protocol; otherwise it opens the files itself.
 */
export async function withDatabase<T>(fn: (db: Database, config: CommonConfig) => Promise<T>): Promise<T> {
  const config = loadCliConfig();
  const { db } = await openDatabase(config);
  try {
    return await fn(db, config);
  } finally {
    await db.close();
  }
}

/** Writes the result: JSON for scripts with `--json`, readable lines otherwise. */
export function print(json: boolean, value: Record<string, unknown> | readonly unknown[], human: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human}\n`);
}
