/**
 * Child process of bench/fleet.ts: the ingest worker on free ports, against the PostgreSQL
 * database and the store named in the environment, in a process of its own so that its CPU
 * time per sample is read from /proc alone. Prints one JSON line with its URL.
 */
import { loadIngestConfig } from '../../ingest/config';
import { startIngest } from '../../ingest/start';
import { loadCommonConfig } from '../../lib/config/common';
import { openDatabase } from '../../lib/db/open';
import { silentLogger } from '../../lib/log';

async function main(): Promise<void> {
  const env = { ...process.env, INGEST_PORT: '0', INGEST_INTERNAL_PORT: '0' };
  const config = loadIngestConfig(env);
  const { db } = await openDatabase(loadCommonConfig(env));
  const ingest = await startIngest({ config, db, logger: silentLogger });
  process.stdout.write(`${JSON.stringify({ url: ingest.url, internalUrl: ingest.internalUrl })}\n`);
  process.on('SIGTERM', () => void ingest.close().finally(() => db.close().finally(() => process.exit(0))));
}

main().catch((error: unknown) => {
  process.stderr.write(`bench ingest: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
