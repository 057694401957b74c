import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { CommonConfig } from '../config/common';
import type { Database } from './database';
import { migrate } from './migrate';
import { PgliteDatabase } from './pglite';
import { PostgresDatabase } from './postgres';

/**
 * PGlite admits one owning process. The owner records itself in this file; when it serves
 * the database over the PostgreSQL wire protocol (`costgraph up`), the file carries the
 * port and every other process (CLI commands while the stack runs) connects there instead.
 */
interface OwnerRecord {
  pid: number;
  port: number | null;
}

export interface OpenOptions {
  /** Serve the embedded database to other processes (only the stack owner does). */
  serve?: boolean;
  /** How long to wait for another short-lived owner (a CLI command) to finish. @default 15000 */
  waitMs?: number;
}

export interface OpenedDatabase {
  db: Database;
  /** Present when this process owns and serves the embedded database. */
  servedAt?: string;
}

export async function openDatabase(config: Pick<CommonConfig, 'databaseUrl' | 'dataDir'>, options: OpenOptions = {}): Promise<OpenedDatabase> {
  if (config.databaseUrl) {
    const db = new PostgresDatabase({ connectionString: config.databaseUrl });
    await migrate(db);
    return { db };
  }
  return openEmbedded(path.join(config.dataDir, 'pglite'), options);
}

async function openEmbedded(dir: string, options: OpenOptions): Promise<OpenedDatabase> {
  fs.mkdirSync(dir, { recursive: true });
  const ownerFile = path.join(dir, 'owner.json');
  const deadline = Date.now() + (options.waitMs ?? 15_000);
  for (;;) {
    const owner = readOwner(ownerFile);
    if (typeof owner === 'object' && owner.pid !== process.pid && isAlive(owner.pid)) {
      if (owner.port !== null && !options.serve) {
        // pglite-socket serves the owner's PGlite but not the COPY sub-protocol.
        const db = new PostgresDatabase({ connectionString: `postgres://postgres@127.0.0.1:${owner.port}/postgres`, maxConnections: 4, copyFromStdin: false });
        return { db };
      }
      if (Date.now() > deadline) {
        throw new Error(`the embedded database in ${dir} is in use by process ${owner.pid}`);
      }
      await sleep(100);
      continue;
    }
    // A dead owner's record, or one that cannot be read: records are written whole, so an
    // unreadable one is a leftover (a crash, a full disk), never one being written.
    if (owner !== 'absent') fs.rmSync(ownerFile, { force: true });
    if (writeRecord(ownerFile, { pid: process.pid, port: null }, 'create')) break;
  }

  const pglite = await PgliteDatabase.open(path.join(dir, 'db'));
  await migrate(pglite);
  let server: PGLiteSocketServer | undefined;
  let servedAt: string | undefined;
  if (options.serve) {
    const port = await freePort();
    server = new PGLiteSocketServer({ db: pglite.pglite, host: '127.0.0.1', port, maxConnections: 32 });
    await server.start();
    writeRecord(ownerFile, { pid: process.pid, port }, 'replace');
    servedAt = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }
  const release = async () => {
    await server?.stop();
    await pglite.close();
    const owner = readOwner(ownerFile);
    if (typeof owner === 'object' && owner.pid === process.pid) fs.rmSync(ownerFile, { force: true });
  };
  const db: Database = {
    engine: 'pglite',
    query: (sql, params) => pglite.query(sql, params),
    exec: (sql) => pglite.exec(sql),
    transaction: (fn) => pglite.transaction(fn),
    close: release,
  };
  return { db, servedAt };
}

/**
 * Writes the record under a private name first, then links (create: fails if a record exists)
 * or renames it into place, so readers never see a half-written record.
 */
function writeRecord(ownerFile: string, record: OwnerRecord, how: 'create' | 'replace'): boolean {
  const temporary = `${ownerFile}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(record));
  try {
    if (how === 'create') fs.linkSync(temporary, ownerFile);
    else fs.renameSync(temporary, ownerFile);
    return true;
  } catch (error) {
    if (how === 'create' && (error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

function readOwner(ownerFile: string): OwnerRecord | 'absent' | 'unreadable' {
  let text: string;
  try {
    text = fs.readFileSync(ownerFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
  try {
    const record = JSON.parse(text) as Partial<OwnerRecord> | null;
    if (typeof record?.pid !== 'number' || !(typeof record.port === 'number' || record.port === null)) return 'unreadable';
    return { pid: record.pid, port: record.port };
  } catch {
    return 'unreadable';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
