import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createOrganization } from '../../lib/accounts/repository';
import { loadCommonConfig } from '../../lib/config/common';
import { BinaryCopyRows } from '../../lib/db/copy-binary';
import { copyLine, type BulkRow, type Database } from '../../lib/db/database';
import { freePort, openDatabase } from '../../lib/db/open';
import { migrate } from '../../lib/db/migrate';
import { PgliteDatabase } from '../../lib/db/pglite';
import { PostgresDatabase } from '../../lib/db/postgres';
import { FocusImportError, importFocusFile } from '../../subgraphs/expenses/import/import-focus';
import { databaseBackends, type TestDatabase } from '../helpers/databases';
import { FIXTURES } from '../helpers/fixtures';

const CSV = path.join(FIXTURES, 'focus', 'focus-1.0-sample.csv');

/** Values COPY's text format must escape, plus NULL and a quoted-looking NULL. */
const TRICKY: BulkRow[] = [
  ['a\tb', 'line\nbreak', 'back\\slash', '{"k": "v\\"q"}'],
  ['\\N', 'carriage\r\nreturn', '', null],
  [null, 'NULL', 'ünïcödé €', '{}'],
];

const BINARY_COLUMNS = [
  { name: 'a', type: 'text' },
  { name: 'b', type: 'text' },
  { name: 'c', type: 'text' },
  { name: 'j', type: 'jsonb' },
] as const;

/** The first rows through copyRows, the last one in binary COPY format through copyBinary. */
async function roundTrip(db: Database): Promise<unknown[]> {
  await db.exec('CREATE TABLE IF NOT EXISTS bulk_probe (n serial, a text, b text, c text, j jsonb)');
  const binary = new BinaryCopyRows(BINARY_COLUMNS);
  for (const [a, b, c, j] of TRICKY.slice(2)) {
    binary.beginRow();
    binary.text(a);
    binary.text(b);
    binary.text(c);
    binary.jsonb(j);
  }
  await db.transaction(async (tx) => {
    await tx.copyRows('bulk_probe', ['a', 'b', 'c', 'j'], TRICKY.slice(0, 2));
    await tx.copyBinary('bulk_probe', BINARY_COLUMNS, binary.toBuffer());
  });
  return db.query('SELECT a, b, c, j::text AS j FROM bulk_probe ORDER BY n');
}

describe('COPY text lines', () => {
  it('escape what the format reserves', () => {
    expect(copyLine(['a\tb', null], 2)).toBe('a\\tb\t\\N');
    expect(copyLine(['x\\y\r\n', ''], 2)).toBe('x\\\\y\\r\\n\t');
    expect(() => copyLine(['only one'], 2)).toThrow(/values for 2 columns/);
  });
});

const EXPECTED_ROUND_TRIP = TRICKY.map(([a, b, c, j]) => ({ a, b, c, j: j === null ? null : JSON.stringify(JSON.parse(j)).replace(/":/g, '": ') }));

async function expenseCount(db: Database): Promise<number> {
  return Number((await db.query<{ n: number }>('SELECT count(*) AS n FROM expenses'))[0].n);
}

describe.each(databaseBackends())('copyRows on $name', (backend) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await backend.create();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('stores tabs, line breaks, backslashes, NULL and unicode exactly', async () => {
    expect(await roundTrip(t.db)).toEqual(EXPECTED_ROUND_TRIP);
  });

  it('is part of the transaction: a later failure rolls the loaded rows back', async () => {
    await t.db.exec('CREATE TABLE rollback_probe (v integer NOT NULL)');
    await expect(
      t.db.transaction(async (tx) => {
        await tx.copyRows('rollback_probe', ['v'], [['1'], ['2']]);
        await tx.query('SELECT 1/0');
      }),
    ).rejects.toThrow(/division by zero/);
    // A value the column refuses fails the load itself.
    await expect(t.db.transaction((tx) => tx.copyRows('rollback_probe', ['v'], [['3'], [null]]))).rejects.toThrow(/null value/);
    expect(await t.db.query('SELECT v FROM rollback_probe')).toEqual([]);
  });

  it('refuses identifiers that are not plain names', async () => {
    await expect(t.db.transaction((tx) => tx.copyRows('bulk_probe; DROP TABLE x', ['a'], [['1']]))).rejects.toThrow(/not a plain lower-case identifier/);
    await expect(t.db.transaction((tx) => tx.copyRows('bulk_probe', ['a', 'b'], [['1']]))).rejects.toThrow(/values for 2 columns/);
  });
});

/**
 * While `costgraph up` owns the embedded database, other processes reach it through
 * pglite-socket, which cannot do COPY FROM STDIN: the import must take the INSERT path there.
 */
describe('FOCUS import through pglite-socket (the CLI while the stack runs)', () => {
  let dir: string;
  let owner: PgliteDatabase;
  let server: PGLiteSocketServer;
  let stand: ChildProcess;
  let db: Database;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-socket-'));
    owner = await PgliteDatabase.open();
    await migrate(owner);
    const port = await freePort();
    server = new PGLiteSocketServer({ db: owner.pglite, host: '127.0.0.1', port, maxConnections: 8 });
    await server.start();
    // openDatabase only connects to a live owner other than itself: a sleeping child stands in
    // for the `costgraph up` process that would own and serve the database.
    stand = spawn('sleep', ['600'], { stdio: 'ignore' });
    fs.mkdirSync(path.join(dir, 'pglite'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'pglite', 'owner.json'), JSON.stringify({ pid: stand.pid, port }));
    db = (await openDatabase(loadCommonConfig({ DATA_DIR: dir }), { waitMs: 1000 })).db;
  });

  afterAll(async () => {
    await db?.close();
    await server?.stop();
    await owner?.close();
    stand?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('connects over the wire, not to a PGlite of its own', () => {
    expect(db).toBeInstanceOf(PostgresDatabase);
  });

  it('imports the fixture, re-imports nothing, and rolls back a malformed file', async () => {
    const org = await createOrganization(db, 'Socket');
    expect(await importFocusFile(db, org.id, CSV)).toMatchObject({ rows: 1000, inserted: 1000, duplicates: 0 });
    expect(await importFocusFile(db, org.id, CSV)).toMatchObject({ rows: 1000, inserted: 0, duplicates: 1000 });
    // The owner sees what arrived over the socket.
    expect(await expenseCount(owner)).toBe(1000);

    const lines = fs.readFileSync(CSV, 'utf8').split('\n');
    const bad = path.join(dir, 'bad.csv');
    // A new organization's first 900 rows are valid and new; the last row's cost is not a number.
    fs.writeFileSync(bad, [...lines.slice(0, 901), lines[901].replace(/^NULL,[^,]+,/, 'NULL,"twelve",')].join('\n'));
    const other = await createOrganization(db, 'Socket 2');
    const error = await importFocusFile(db, other.id, bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FocusImportError);
    expect(error).toMatchObject({ code: 'MALFORMED', line: 902 });
    expect(await expenseCount(owner)).toBe(1000);
  });

  it('bulk-loads tricky values through the INSERT path exactly like COPY does', async () => {
    expect(await roundTrip(db)).toEqual(EXPECTED_ROUND_TRIP);
  });
});
