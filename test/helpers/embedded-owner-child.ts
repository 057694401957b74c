/**
 * A process that opens the embedded database under a data dir, as `costgraph up` (serve) or a
 * CLI command (hold) does, prints one JSON line once it has, and releases it on SIGTERM.
 * `once` opens, prints and releases at once. Run with `node --import tsx`.
 */
import { openDatabase } from '../../lib/db/open';

async function main(): Promise<void> {
  const [dataDir, mode, waitMs] = process.argv.slice(2);
  const { db, servedAt } = await openDatabase({ dataDir }, { serve: mode === 'serve', waitMs: waitMs ? Number(waitMs) : undefined });
  process.stdout.write(`${JSON.stringify({ pid: process.pid, engine: db.engine, servedAt: servedAt ?? null })}\n`);
  if (mode === 'once') return db.close();
  process.once('SIGTERM', () => void db.close().then(() => process.exit(0)));
  // Keeps the process alive until SIGTERM.
  setInterval(() => undefined, 60_000);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
