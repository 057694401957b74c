import crypto from 'node:crypto';
import { BinaryCopyError, BinaryCopyRows, binaryCopyToText, type BinaryColumn } from '../../lib/db/copy-binary';
import type { BulkRow } from '../../lib/db/database';
import { databaseBackends, type TestDatabase } from '../helpers/databases';

/**
 * PostgreSQL's own input functions are the oracle: the same values loaded as text (copyRows)
 * and in binary (copyBinary) must read back identically, display scale of numerics included.
 */

const COLUMNS: readonly BinaryColumn[] = [
  { name: 'u', type: 'uuid' },
  { name: 't', type: 'text' },
  { name: 'ts', type: 'timestamptz' },
  { name: 'n', type: 'numeric' },
  { name: 'j', type: 'jsonb' },
];

const NUMERICS = [
  '0',
  '-0',
  '0.00',
  '-0.0000',
  '7',
  '+7',
  '.5',
  '5.',
  '123',
  '-123.4500',
  '00012.3400',
  '0.00000000428',
  '0.02000000000',
  '10000',
  '0.0001',
  '99999999',
  '1000000.000001',
  '-18.0066386184',
  '123456789012345678901234567890.123456789012',
  '1e3',
  '1.50E-3',
  '-2.5e+2',
  '4E-7',
  '0.000e5',
];
const TEXTS = ['', 'a\tb', 'line\nbreak\r\n', 'back\\slash', 'NULL', '\\N', 'ünïcödé €', '雲のコスト', 'emoji 💸', null];
const INSTANTS = [
  Date.parse('2024-09-18T22:00:00Z'),
  Date.parse('2024-09-18T22:00:00.123Z'),
  0,
  Date.parse('2000-01-01T00:00:00Z'),
  Date.parse('2000-01-01T00:00:00Z') - 1,
  Date.parse('0100-03-01T12:34:56Z'),
  Date.parse('9999-12-31T23:59:59.999Z'),
];
const JSONS = ['{}', '{"team": "core", "cost": 2.50, "nested": {"a": [1, "x\\u00e9"]}}', '{"k": "v\\"q"}', null];

interface Row {
  u: string;
  t: string | null;
  ts: number;
  n: string;
  j: string | null;
}

const ROWS: Row[] = NUMERICS.map((n, i) => ({
  u: crypto.randomUUID(),
  t: TEXTS[i % TEXTS.length],
  ts: INSTANTS[i % INSTANTS.length],
  n,
  j: JSONS[i % JSONS.length],
}));

function encode(rows: readonly Row[]): BinaryCopyRows {
  // A tiny first buffer, so that growing it is exercised too.
  const data = new BinaryCopyRows(COLUMNS, 16);
  for (const row of rows) {
    data.beginRow();
    // Every other uuid without its dashes: both spellings are accepted.
    data.uuid(rows.indexOf(row) % 2 === 0 ? row.u : row.u.replace(/-/g, ''));
    data.text(row.t);
    data.timestamptz(row.ts);
    data.numeric(row.n);
    data.jsonb(row.j);
  }
  return data;
}

const asText = (row: Row): BulkRow => [row.u, row.t, new Date(row.ts).toISOString(), row.n, row.j];

const readBack = (t: TestDatabase, table: string) =>
  t.db.query(`SELECT u::text, t, extract(epoch FROM ts)::text AS ts, n::text, j::text FROM ${table} ORDER BY k`);

describe('binary COPY rows', () => {
  it('refuse values that do not fit their column or row', () => {
    const data = new BinaryCopyRows(COLUMNS);
    data.beginRow();
    expect(() => data.uuid('not-a-uuid')).toThrow(BinaryCopyError);
    expect(() => data.uuid('0123456789abcdef0123456789abcdeg')).toThrow(/is not a uuid/);
    // A refused value leaves the row as it was.
    expect(() => data.toBuffer()).toThrow(/lacks 5 values/);
    data.uuid('0123456789abcdef0123456789abcdef');
    expect(() => data.toBuffer()).toThrow(/lacks 4 values/);
  });

  it('refuse a numeric that is not a decimal number, and too many values in a row', () => {
    const data = new BinaryCopyRows([{ name: 'n', type: 'numeric' }]);
    data.beginRow();
    for (const bad of ['', '-', '.', '1.2.3', '12,5', 'NaN', '1e', '0x10']) expect(() => data.numeric(bad)).toThrow(/not a decimal number/);
    data.numeric('1');
    expect(() => data.numeric('2')).toThrow(/more values than its 1 columns/);
  });

  it('can leave rows out by position', () => {
    const data = encode(ROWS.slice(0, 3));
    const kept = binaryCopyToText(COLUMNS, data.toBuffer(new Set([1])));
    expect(kept.map((row) => row[0])).toEqual([ROWS[0].u, ROWS[2].u]);
  });

  it('can put rows in another order, and leave some out as well', () => {
    const data = encode(ROWS.slice(0, 3));
    expect(binaryCopyToText(COLUMNS, data.toBuffer(undefined, [2, 0, 1])).map((row) => row[0])).toEqual([ROWS[2].u, ROWS[0].u, ROWS[1].u]);
    expect(binaryCopyToText(COLUMNS, data.toBuffer(new Set([0]), [2, 0, 1])).map((row) => row[0])).toEqual([ROWS[2].u, ROWS[1].u]);
    expect(() => data.toBuffer(undefined, [1, 0])).toThrow(/lists 2 of 3 rows/);
  });
});

describe.each(databaseBackends())('copyBinary on $name', (backend) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await backend.create();
    for (const table of ['typed_text', 'typed_binary', 'typed_fallback']) {
      await t.db.exec(`CREATE TABLE ${table} (k serial, u uuid, t text, ts timestamptz, n numeric, j jsonb)`);
    }
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('stores every value exactly as PostgreSQL reads its text, and the text fallback agrees', async () => {
    const data = encode(ROWS).toBuffer();
    await t.db.transaction(async (tx) => {
      await tx.copyRows('typed_text', ['u', 't', 'ts', 'n', 'j'], ROWS.map(asText));
      await tx.copyBinary('typed_binary', COLUMNS, data);
      // What an engine without COPY inserts instead.
      await tx.copyRows('typed_fallback', ['u', 't', 'ts', 'n', 'j'], binaryCopyToText(COLUMNS, data));
    });
    const expected = await readBack(t, 'typed_text');
    expect(expected).toHaveLength(ROWS.length);
    expect(await readBack(t, 'typed_binary')).toEqual(expected);
    expect(await readBack(t, 'typed_fallback')).toEqual(expected);
    // The oracle itself read what the test meant: scale kept, exponents expanded.
    const numerics = expected.map((row) => (row as { n: string }).n);
    expect(numerics.slice(0, 4)).toEqual(['0', '0', '0.00', '0.0000']);
    expect(numerics).toContain('-123.4500');
    expect(numerics).toContain('0.00150');
    expect(numerics).toContain('-250');
  });

  it('runs the statements sent with the COPY before it, so a savepoint there can undo the COPY alone', async () => {
    await t.db.exec('CREATE TABLE typed_savepoint (u uuid NOT NULL, t text)');
    const columns = [
      { name: 'u', type: 'uuid' },
      { name: 't', type: 'text' },
    ] as const;
    const rows = (...texts: Array<string | null>) => {
      const data = new BinaryCopyRows(columns);
      for (const text of texts) {
        data.beginRow();
        if (text === null) data.null();
        else data.uuid(crypto.randomUUID());
        data.text(text);
      }
      return data.toBuffer();
    };
    await t.db.transaction(async (tx) => {
      await tx.copyBinary('typed_savepoint', columns, rows('first'), 'SAVEPOINT one');
      // Released in the same message as the next savepoint, as the importer does.
      await tx.copyBinary('typed_savepoint', columns, rows('second'), 'RELEASE SAVEPOINT one; SAVEPOINT two');
      await tx.exec('ROLLBACK TO SAVEPOINT two');
      // A refused COPY: its savepoint was set before it, and the transaction goes on from there.
      await expect(tx.copyBinary('typed_savepoint', columns, rows('third', null), 'SAVEPOINT three')).rejects.toThrow(/null value/);
      await tx.exec('ROLLBACK TO SAVEPOINT three');
      await tx.copyBinary('typed_savepoint', columns, rows('fourth'));
    });
    expect((await t.db.query<{ t: string }>('SELECT t FROM typed_savepoint ORDER BY t')).map((row) => row.t)).toEqual(['first', 'fourth']);
  });

  it('fails the statement on a value the column refuses, and the transaction with it', async () => {
    await t.db.exec('CREATE TABLE typed_strict (u uuid NOT NULL, t text)');
    const data = new BinaryCopyRows([
      { name: 'u', type: 'uuid' },
      { name: 't', type: 'text' },
    ]);
    data.beginRow();
    data.uuid(crypto.randomUUID());
    data.text('kept?');
    data.beginRow();
    data.null();
    data.text('no id');
    await expect(t.db.transaction((tx) => tx.copyBinary('typed_strict', data.columns, data.toBuffer()))).rejects.toThrow(/null value/);
    expect(await t.db.query('SELECT * FROM typed_strict')).toEqual([]);
  });
});
