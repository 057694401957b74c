import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCloudAccount, createOrganization, listCloudAccounts, softDeleteCloudAccount } from '../../lib/accounts/repository';
import { binaryCopyToText } from '../../lib/db/copy-binary';
import type { Database, Queryable, Transaction } from '../../lib/db/database';
import { listMigrations, migrate } from '../../lib/db/migrate';
import { PgliteDatabase } from '../../lib/db/pglite';
import { FocusImportError, importFocusFile, SAVEPOINT_BUDGET } from '../../subgraphs/expenses/import/import-focus';
import { databaseBackends, type TestDatabase } from '../helpers/databases';
import {
  FOCUS_CSV_PATH as CSV_PATH,
  FOCUS_CSV_TEXT as CSV_TEXT,
  FOCUS_HEADER as HEADER,
  FOCUS_ROWS as ROWS,
  sumColumnBy,
  units,
  type FocusRow as CsvRow,
} from '../helpers/focus-fixture';

const PROVIDER_TYPES: Record<string, string> = { AWS: 'aws', Microsoft: 'azure', Oracle: 'oracle', 'Google Cloud': 'gcp' };

/** Writes rows the way the fixture does: every value quoted, NULL bare. */
function csvLine(values: readonly (string | null)[]): string {
  return values.map((value) => (value === null ? 'NULL' : `"${value.replace(/"/g, '""')}"`)).join(',');
}
const rowLine = (row: CsvRow) => csvLine(HEADER.map((column) => row[column]));

const totalsByProvider = (rows: CsvRow[]) => sumColumnBy(rows, 'BilledCost', 'ProviderName');

async function counts(db: Queryable): Promise<{ expenses: number; accounts: number }> {
  const [row] = await db.query<{ expenses: number; accounts: number }>(
    'SELECT (SELECT count(*) FROM expenses) AS expenses, (SELECT count(*) FROM cloud_accounts) AS accounts',
  );
  return { expenses: Number(row.expenses), accounts: Number(row.accounts) };
}

/**
 * expense_daily_totals holds, for every organization, exactly the sums of its rows per account,
 * UTC day, provider, service and category (the queries rely on it for whole days).
 */
async function expectDailyTotalsMatchRows(db: Queryable): Promise<void> {
  const select = (from: string, day: string, count: string) =>
    `SELECT organization_id::text || '/' || cloud_account_id::text || '/' || ${day}::text || '/' || provider || '/' || COALESCE(service_name, '<null>') || '/' ||
            COALESCE(service_category, '<null>') AS key, ${count} AS count, billed_cost, effective_cost, list_cost FROM ${from}`;
  const fromRows = `(${select('expenses', "(charge_period_start AT TIME ZONE 'UTC')::date", 'count(*)').replace(
    'billed_cost, effective_cost, list_cost FROM expenses',
    'sum(billed_cost) AS billed_cost, sum(effective_cost) AS effective_cost, sum(list_cost) AS list_cost FROM expenses GROUP BY 1',
  )})`;
  const normalise = (rows: Array<{ key: string; count: number; billed_cost: string; effective_cost: string; list_cost: string }>) =>
    new Map(rows.map((row) => [row.key, `${Number(row.count)} ${units(row.billed_cost)} ${units(row.effective_cost)} ${units(row.list_cost)}`]));
  const expected = normalise(await db.query(`SELECT key, count, billed_cost::text, effective_cost::text, list_cost::text FROM ${fromRows} r`));
  const actual = normalise(await db.query(`SELECT key, count, billed_cost::text, effective_cost::text, list_cost::text FROM (${select('expense_daily_totals', 'day', 'row_count')}) d`));
  expect(expected.size).toBeGreaterThan(0);
  expect(actual).toEqual(expected);
}

/**
 * The database, with a log of what imports do in their transactions: each statement, and
 * each COPY as "COPY <table>" in `log` and as its rows (column name → text) in `copies`.
 * `failCopy(n)` makes the n-th COPY from now fail as a full disk would; `failCopy(n, error)`
 * with that error instead.
 */
function recording(db: Database): { db: Database; log: string[]; copies: Array<Array<Record<string, string | null>>>; failCopy(n: number, error?: Error): void } {
  const log: string[] = [];
  const copies: Array<Array<Record<string, string | null>>> = [];
  let failAt = 0;
  let failure: Error | undefined;
  let count = 0;
  const recorded: Database = {
    engine: db.engine,
    query: (sql, params) => db.query(sql, params),
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
    transaction: (fn) =>
      db.transaction((tx) => {
        const spy: Transaction = {
          query: (sql, params) => (log.push(sql.trim()), tx.query(sql, params)),
          exec: (sql) => (log.push(sql.trim()), tx.exec(sql)),
          copyRows: (table, columns, rows) => tx.copyRows(table, columns, rows),
          copyBinary: async (table, columns, data, before) => {
            if (before) log.push(before);
            if (++count === failAt) {
              // As on the server: the statements sent with the COPY ran, then the COPY failed.
              if (before) await tx.exec(before);
              throw failure ?? Object.assign(new Error('could not extend file: No space left on device'), { code: '53100' });
            }
            log.push(`COPY ${table}`);
            copies.push(binaryCopyToText(columns, data).map((row) => Object.fromEntries(columns.map((column, i) => [column.name, row[i]]))));
            return tx.copyBinary(table, columns, data, before);
          },
        };
        return fn(spy);
      }),
  };
  return {
    db: recorded,
    log,
    copies,
    failCopy: (n, error) => {
      failAt = count + n;
      failure = error;
    },
  };
}

const lookups = (log: string[]) => log.filter((sql) => sql.includes('CROSS JOIN LATERAL')).length;
const refusals = (log: string[]) => log.filter((sql) => sql.startsWith('ROLLBACK TO SAVEPOINT')).length;

describe.each(databaseBackends())('FOCUS import on $name', (backend) => {
  let t: TestDatabase;
  let dir: string;
  const write = (name: string, content: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  };

  beforeAll(async () => {
    t = await backend.create();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-focus-'));
  });
  afterAll(async () => {
    await t?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads the fixture the test expects: 1,000 rows of September 2024 from AWS, Microsoft and Oracle', () => {
    expect(ROWS).toHaveLength(1000);
    expect(new Set(ROWS.map((row) => row.ProviderName))).toEqual(new Set(['AWS', 'Microsoft', 'Oracle']));
    const starts = ROWS.map((row) => row.ChargePeriodStart!).sort();
    expect([starts[0], starts[starts.length - 1]]).toEqual(['2024-09-01 00:00:00', '2024-09-30 23:00:00']);
  });

  it('imports the fixture: every row, one account per provider sub-account, totals exact to the last decimal', async () => {
    const org = await createOrganization(t.db, 'Import');
    const result = await importFocusFile(t.db, org.id, CSV_PATH);

    const subAccounts = new Map(ROWS.map((row) => [`${PROVIDER_TYPES[row.ProviderName!]}/${row.SubAccountId}`, row.SubAccountName]));
    expect(result).toMatchObject({ rows: 1000, inserted: 1000, duplicates: 0, accountsCreated: subAccounts.size });
    const expected = totalsByProvider(ROWS);
    expect(Object.keys(result.totalsByProvider).sort()).toEqual([...expected.keys()].sort());
    for (const [provider, total] of expected) expect(units(result.totalsByProvider[provider])).toBe(total);

    // What the database holds adds up to the same exact totals.
    const sums = await t.db.query<{ provider: string; total: string; count: number }>(
      'SELECT provider, sum(billed_cost)::text AS total, count(*) AS count FROM expenses WHERE organization_id = $1 GROUP BY provider',
      [org.id],
    );
    expect(new Map(sums.map((row) => [row.provider, units(row.total)]))).toEqual(expected);
    expect(sums.reduce((n, row) => n + Number(row.count), 0)).toBe(1000);

    // Accounts: named after SubAccountName, keyed by the provider's id, each with exactly its rows.
    const accounts = await listCloudAccounts(t.db, [org.id]);
    expect(new Map(accounts.map((a) => [`${a.type}/${a.providerAccountId}`, a.name]))).toEqual(subAccounts);
    const perAccount = await t.db.query<{ key: string; count: number }>(
      `SELECT a.type || '/' || a.provider_account_id AS key, count(*) AS count FROM expenses e JOIN cloud_accounts a ON a.id = e.cloud_account_id
        WHERE e.organization_id = $1 GROUP BY 1`,
      [org.id],
    );
    const expectedPerAccount = new Map<string, number>();
    for (const row of ROWS) {
      const key = `${PROVIDER_TYPES[row.ProviderName!]}/${row.SubAccountId}`;
      expectedPerAccount.set(key, (expectedPerAccount.get(key) ?? 0) + 1);
    }
    expect(new Map(perAccount.map((row) => [row.key, Number(row.count)]))).toEqual(expectedPerAccount);

    // One row field by field: exact numerics, UTC instants, NULLs, JSON tags.
    const sample = ROWS.find((row) => row.Tags !== null && row.AvailabilityZone === null && row.ResourceName === null)!;
    const [stored] = await t.db.query<Record<string, unknown>>(
      `SELECT billed_cost::text AS billed, effective_cost::text AS effective, list_cost::text AS list, charge_period_start, charge_period_end,
              billing_currency, provider, publisher, service_name, service_category, region_id, region_name, availability_zone,
              resource_id, resource_name, resource_type, charge_category, charge_description, sku_id, tags
         FROM expenses WHERE organization_id = $1 AND resource_id = $2 AND charge_period_start = $3 AND sku_id = $4 AND billed_cost = $5::numeric`,
      [org.id, sample.ResourceId, `${sample.ChargePeriodStart}Z`, sample.SkuId, sample.BilledCost],
    );
    expect(stored).toEqual({
      billed: sample.BilledCost,
      effective: sample.EffectiveCost,
      list: sample.ListCost,
      charge_period_start: new Date(`${sample.ChargePeriodStart!.replace(' ', 'T')}Z`),
      charge_period_end: new Date(`${sample.ChargePeriodEnd!.replace(' ', 'T')}Z`),
      billing_currency: sample.BillingCurrency,
      provider: sample.ProviderName,
      publisher: sample.PublisherName,
      service_name: sample.ServiceName,
      service_category: sample.ServiceCategory,
      region_id: sample.RegionId,
      region_name: sample.RegionName,
      availability_zone: null,
      resource_id: sample.ResourceId,
      resource_name: null,
      resource_type: sample.ResourceType,
      charge_category: sample.ChargeCategory,
      charge_description: sample.ChargeDescription,
      sku_id: sample.SkuId,
      tags: JSON.parse(sample.Tags!),
    });

    // Importing the same file again adds nothing, and neither do CRLF and BOM copies of it.
    const again = await importFocusFile(t.db, org.id, CSV_PATH);
    expect(again).toMatchObject({ rows: 1000, inserted: 0, duplicates: 1000, accountsCreated: 0 });
    expect(again.totalsByProvider).toEqual(result.totalsByProvider);
    const crlf = write('crlf-bom.csv', `\ufeff${CSV_TEXT.replace(/\n/g, '\r\n')}`);
    expect(await importFocusFile(t.db, org.id, crlf)).toMatchObject({ rows: 1000, inserted: 0, duplicates: 1000 });
    const [{ count }] = await t.db.query<{ count: number }>('SELECT count(*) AS count FROM expenses WHERE organization_id = $1', [org.id]);
    expect(Number(count)).toBe(1000);
    await expectDailyTotalsMatchRows(t.db);
  });

  it('imports the same file into another organization separately', async () => {
    const org = await createOrganization(t.db, 'Second');
    expect(await importFocusFile(t.db, org.id, CSV_PATH)).toMatchObject({ inserted: 1000, duplicates: 0 });
  });

  it('keeps identical rows of one file, and re-importing still adds nothing', async () => {
    const org = await createOrganization(t.db, 'Twins');
    const [a, b] = ROWS;
    const file = write('twins.csv', [csvLine(HEADER), rowLine(a), rowLine(a), rowLine(b), ''].join('\n'));
    expect(await importFocusFile(t.db, org.id, file)).toMatchObject({ rows: 3, inserted: 3, duplicates: 0 });
    expect(await importFocusFile(t.db, org.id, file)).toMatchObject({ rows: 3, inserted: 0, duplicates: 3 });
    // A third copy of the row is new; the first two are not.
    const triple = write('triple.csv', [csvLine(HEADER), rowLine(a), rowLine(a), rowLine(a)].join('\n'));
    expect(await importFocusFile(t.db, org.id, triple)).toMatchObject({ rows: 3, inserted: 1, duplicates: 2 });
    await expectDailyTotalsMatchRows(t.db);
  });

  it('sums costs of every shape into the daily totals, duplicates left out', async () => {
    const org = await createOrganization(t.db, 'Shapes');
    // Scientific notation, more than 18 decimals and more than 9 integer digits take the exact
    // BigInt path; the others the fast one. Both must count once, and only when inserted.
    const shapes = [
      ['1.5E-3', '-2e+2', '0.0000000000000000000123'],
      ['12345678901.5', '+.5', '5.'],
      ['-0.000000001', '0.123456789123456789', '999999999.999999999999999999'],
      ['0', '-0.000', '7'],
    ];
    const rows = ROWS.slice(0, 40).map((row, i) => {
      const [billed, effective, list] = shapes[i % shapes.length];
      return i % 5 === 0 ? row : { ...row, BilledCost: billed, EffectiveCost: effective, ListCost: list };
    });
    const first = write('shapes-1.csv', [csvLine(HEADER), ...rows.slice(0, 25).map(rowLine)].join('\n'));
    const second = write('shapes-2.csv', [csvLine(HEADER), ...rows.slice(10).map(rowLine)].join('\n'));
    const firstResult = await importFocusFile(t.db, org.id, first);
    expect(firstResult).toMatchObject({ inserted: 25, duplicates: 0 });
    // The file's totals by provider, as PostgreSQL sums the rows it stored.
    const sums = await t.db.query<{ provider: string; total: string }>(
      'SELECT provider, sum(billed_cost)::text AS total FROM expenses WHERE organization_id = $1 GROUP BY provider',
      [org.id],
    );
    expect(Object.fromEntries(Object.entries(firstResult.totalsByProvider).map(([provider, total]) => [provider, units(total)]))).toEqual(
      Object.fromEntries(sums.map((row) => [row.provider, units(row.total)])),
    );
    expect(await importFocusFile(t.db, org.id, second)).toMatchObject({ inserted: 15, duplicates: 15 });
    await expectDailyTotalsMatchRows(t.db);
  });

  it('adds only new rows to the daily totals when files overlap', async () => {
    const org = await createOrganization(t.db, 'Overlap');
    // Two exports sharing a third of their rows, as month-to-date files do.
    const first = write('first.csv', [csvLine(HEADER), ...ROWS.slice(0, 600).map(rowLine)].join('\n'));
    const second = write('second.csv', [csvLine(HEADER), ...ROWS.slice(400).map(rowLine)].join('\n'));
    expect(await importFocusFile(t.db, org.id, first)).toMatchObject({ inserted: 600, duplicates: 0 });
    expect(await importFocusFile(t.db, org.id, second)).toMatchObject({ inserted: 400, duplicates: 200 });
    await expectDailyTotalsMatchRows(t.db);
    const [daily] = await t.db.query<{ rows: number; billed: string }>(
      'SELECT sum(row_count) AS rows, sum(billed_cost)::text AS billed FROM expense_daily_totals WHERE organization_id = $1',
      [org.id],
    );
    expect(Number(daily.rows)).toBe(1000);
    expect(units(daily.billed)).toBe([...totalsByProvider(ROWS).values()].reduce((a, b) => a + b, 0n));
  });

  it('copies chunks without looking their rows up, until the database refuses one for a row imported before', async () => {
    const org = await createOrganization(t.db, 'Chunks');
    const { db, log, failCopy } = recording(t.db);
    const lines = (from: number, to: number) => ROWS.slice(from, to).map(rowLine);
    const first = write('chunks-1.csv', [csvLine(HEADER), ...lines(0, 300)].join('\n'));
    expect(await importFocusFile(db, org.id, first, { chunkRows: 100 })).toMatchObject({ inserted: 300, duplicates: 0 });
    expect(log.filter((sql) => sql.startsWith('COPY'))).toHaveLength(3);
    expect([lookups(log), refusals(log)]).toEqual([0, 0]);

    // Chunks of 100: new; half new, half imported; new; half and half; four new; imported
    // (100 rows, then 50).
    log.length = 0;
    const second = write(
      'chunks-2.csv',
      [csvLine(HEADER), ...lines(300, 450), ...lines(100, 150), ...lines(450, 600), ...lines(0, 50), ...lines(600, 1000), ...lines(150, 300)].join('\n'),
    );
    expect(await importFocusFile(db, org.id, second, { chunkRows: 100 })).toMatchObject({ rows: 950, inserted: 700, duplicates: 250 });
    // Refused twice (whole, then without the row the refusal named): the 2nd, 4th and 9th
    // chunks. Looked up: those, and the chunk after each of them.
    expect(refusals(log)).toBe(6);
    expect(lookups(log)).toBe(6);
    const [{ n }] = await t.db.query<{ n: number }>('SELECT count(*) AS n FROM expenses WHERE organization_id = $1', [org.id]);
    expect(Number(n)).toBe(1000);
    await expectDailyTotalsMatchRows(t.db);
    // Accounts first seen in the second file survive the rollbacks of the refused chunks.
    const [{ orphans }] = await t.db.query<{ orphans: number }>(
      'SELECT count(*) AS orphans FROM expenses e LEFT JOIN cloud_accounts a ON a.id = e.cloud_account_id WHERE e.organization_id = $1 AND a.id IS NULL',
      [org.id],
    );
    expect(Number(orphans)).toBe(0);
    expect((await listCloudAccounts(t.db, [org.id])).length).toBe(new Set(ROWS.map((row) => `${row.ProviderName}/${row.SubAccountId}`)).size);

    // A lone row imported before (1% of its chunk) costs its chunk a refusal and a second copy
    // without the row the refusal named: no lookup, there or in the next chunk.
    log.length = 0;
    const renamed = (from: number, to: number) => ROWS.slice(from, to).map((row) => rowLine({ ...row, ResourceName: 'sparse' }));
    const sparse = write('chunks-sparse.csv', [csvLine(HEADER), ...renamed(0, 50), rowLine(ROWS[700]), ...renamed(50, 249)].join('\n'));
    expect(await importFocusFile(db, org.id, sparse, { chunkRows: 100 })).toMatchObject({ inserted: 249, duplicates: 1 });
    expect([refusals(log), lookups(log), log.filter((sql) => sql.startsWith('COPY')).length]).toEqual([1, 0, 4]);

    // All imported already: the first chunk is refused twice, and every later one looked up first.
    log.length = 0;
    expect(await importFocusFile(db, org.id, second, { chunkRows: 100 })).toMatchObject({ inserted: 0, duplicates: 950 });
    expect([refusals(log), lookups(log)]).toEqual([2, 10]);

    // A refusal that names no row of the chunk (another server, another message) gets the chunk
    // looked up. Here it is a false alarm: the lookup finds nothing and the chunk is copied.
    log.length = 0;
    const alarm = write('chunks-alarm.csv', [csvLine(HEADER), ...ROWS.slice(0, 200).map((row) => rowLine({ ...row, ResourceName: 'alarm' }))].join('\n'));
    failCopy(2, Object.assign(new Error('duplicate key value violates unique constraint "expenses_row_hash_key"'), { code: '23505', constraint: 'expenses_row_hash_key' }));
    expect(await importFocusFile(db, org.id, alarm, { chunkRows: 100 })).toMatchObject({ inserted: 200, duplicates: 0 });
    expect([refusals(log), lookups(log)]).toEqual([1, 1]);

    // Any other failure of a copy aborts the file, and what earlier chunks copied goes with it.
    const third = write('chunks-3.csv', [csvLine(HEADER), ...ROWS.slice(0, 500).map((row) => rowLine({ ...row, ResourceName: 'third' }))].join('\n'));
    failCopy(3);
    await expect(importFocusFile(db, org.id, third, { chunkRows: 100 })).rejects.toThrow('No space left on device');
    const [after] = await t.db.query<{ n: number }>('SELECT count(*) AS n FROM expenses WHERE organization_id = $1', [org.id]);
    expect(Number(after.n)).toBe(1449);
    await expectDailyTotalsMatchRows(t.db);
  });

  it('takes at most SAVEPOINT_BUDGET savepoints, and looks the chunks after them up first', async () => {
    const org = await createOrganization(t.db, 'Savepoints');
    const { db, log } = recording(t.db);
    const savepoints = () => log.filter((sql) => /(^|; )SAVEPOINT chunk$/.test(sql)).length;
    // Chunks of 2 rows: SAVEPOINT_BUDGET of them under savepoints, then 10 looked up.
    const rows = ROWS.slice(0, 2 * (SAVEPOINT_BUDGET + 10)).map((row) => ({ ...row, ResourceName: 'budget' }));
    const first = write('budget-1.csv', [csvLine(HEADER), ...rows.map(rowLine)].join('\n'));
    expect(await importFocusFile(db, org.id, first, { chunkRows: 2 })).toMatchObject({ inserted: rows.length, duplicates: 0 });
    expect([savepoints(), lookups(log), refusals(log)]).toEqual([SAVEPOINT_BUDGET, 10, 0]);

    // Rows imported before, after the budget: found by the lookups, never refused (a refusal
    // without a savepoint would abort the import).
    log.length = 0;
    const again = [...rows.slice(0, 2 * SAVEPOINT_BUDGET).map((row) => ({ ...row, ResourceName: 'budget 2' })), ...rows.slice(2 * SAVEPOINT_BUDGET)];
    const second = write('budget-2.csv', [csvLine(HEADER), ...again.map(rowLine)].join('\n'));
    expect(await importFocusFile(db, org.id, second, { chunkRows: 2 })).toMatchObject({ inserted: 2 * SAVEPOINT_BUDGET, duplicates: 20 });
    expect([savepoints(), lookups(log), refusals(log)]).toEqual([SAVEPOINT_BUDGET, 10, 0]);
    const [{ n }] = await t.db.query<{ n: number }>('SELECT count(*) AS n FROM expenses WHERE organization_id = $1', [org.id]);
    expect(Number(n)).toBe(rows.length + 2 * SAVEPOINT_BUDGET);
    await expectDailyTotalsMatchRows(t.db);
  });

  it('writes daily totals of more groups than one statement takes', async () => {
    const org = await createOrganization(t.db, 'Many groups');
    // 12,000 groups: every row on a day and service of its own (the importer writes 5,000 a statement).
    const day0 = Date.UTC(2024, 0, 1);
    const lines = Array.from({ length: 12_000 }, (_, i) => {
      const start = new Date(day0 + (i % 400) * 86_400_000).toISOString();
      const end = new Date(day0 + (i % 400) * 86_400_000 + 3_600_000).toISOString();
      return rowLine({ ...ROWS[i % 10], ChargePeriodStart: start, ChargePeriodEnd: end, ServiceName: `service ${Math.floor(i / 400)}` });
    });
    const file = write('many-groups.csv', [csvLine(HEADER), ...lines].join('\n'));
    expect(await importFocusFile(t.db, org.id, file)).toMatchObject({ inserted: 12_000 });
    const [{ groups }] = await t.db.query<{ groups: number }>('SELECT count(*) AS groups FROM expense_daily_totals WHERE organization_id = $1', [org.id]);
    expect(Number(groups)).toBe(12_000);
    await expectDailyTotalsMatchRows(t.db);
  });

  it('sends the rows of each chunk in the order of their charge period start', async () => {
    const org = await createOrganization(t.db, 'Time order');
    const { db, copies } = recording(t.db);
    expect(await importFocusFile(db, org.id, CSV_PATH, { chunkRows: 100 })).toMatchObject({ inserted: 1000 });
    const startsOf = (rows: Array<Record<string, string | null>>) => rows.map((row) => Date.parse(row.charge_period_start!));
    const isSorted = (values: number[]) => values.every((value, i) => i === 0 || values[i - 1] <= value);
    expect(copies).toHaveLength(10);
    expect(copies.map(startsOf).every(isSorted)).toBe(true);
    // The file's own order is not, and each chunk holds the rows of its part of the file.
    const parts = Array.from({ length: 10 }, (_, i) => ROWS.slice(i * 100, i * 100 + 100));
    expect(parts.map((rows) => rows.map((row) => Date.parse(`${row.ChargePeriodStart!.replace(' ', 'T')}Z`))).every(isSorted)).toBe(false);
    const resources = (values: Array<string | null | undefined>) => values.map((value) => value ?? '').sort();
    expect(copies.map((rows) => resources(rows.map((row) => row.resource_id)))).toEqual(parts.map((rows) => resources(rows.map((row) => row.ResourceId))));
  });

  it('reuses the live account of a sub-account and replaces a deleted one', async () => {
    const org = await createOrganization(t.db, 'Existing');
    const aws = ROWS.find((row) => row.ProviderName === 'AWS')!;
    const azure = ROWS.find((row) => row.ProviderName === 'Microsoft')!;
    const mine = await createCloudAccount(t.db, { organizationId: org.id, name: 'Mine', type: 'aws', providerAccountId: aws.SubAccountId });
    const gone = await createCloudAccount(t.db, { organizationId: org.id, name: 'Gone', type: 'azure', providerAccountId: azure.SubAccountId });
    await softDeleteCloudAccount(t.db, gone.id);

    const distinct = new Set(ROWS.map((row) => `${row.ProviderName}/${row.SubAccountId}`)).size;
    const result = await importFocusFile(t.db, org.id, CSV_PATH);
    expect(result.accountsCreated).toBe(distinct - 1);
    const rowsOf = async (accountId: string) =>
      Number((await t.db.query<{ n: number }>('SELECT count(*) AS n FROM expenses WHERE cloud_account_id = $1', [accountId]))[0].n);
    expect(await rowsOf(mine.id)).toBe(ROWS.filter((row) => row.ProviderName === 'AWS' && row.SubAccountId === aws.SubAccountId).length);
    expect(await rowsOf(gone.id)).toBe(0);
    const live = (await listCloudAccounts(t.db, [org.id], 'azure')).find((a) => a.providerAccountId === azure.SubAccountId)!;
    expect(live.id).not.toBe(gone.id);
    expect(live.name).toBe(azure.SubAccountName);
  });

  it('keeps a quoted "NULL" as text and reads a bare NULL as null', async () => {
    const org = await createOrganization(t.db, 'Nulls');
    const row = { ...ROWS[0], ResourceName: 'NULL', ResourceType: null, ChargeDescription: 'say "NULL", not null' };
    const file = write('nulls.csv', [csvLine(HEADER), rowLine(row)].join('\n'));
    await importFocusFile(t.db, org.id, file);
    const [stored] = await t.db.query('SELECT resource_name, resource_type, charge_description FROM expenses WHERE organization_id = $1', [org.id]);
    expect(stored).toEqual({ resource_name: 'NULL', resource_type: null, charge_description: 'say "NULL", not null' });
  });

  it('refuses NUL where PostgreSQL cannot store it, and only there', async () => {
    const org = await createOrganization(t.db, 'Nul');
    const tagged = ROWS.find((row) => row.Tags !== null)!;
    const attempt = (row: CsvRow, name: string) => importFocusFile(t.db, org.id, write(name, [csvLine(HEADER), rowLine(row)].join('\n')));
    await expect(attempt({ ...tagged, Tags: '{"team": "a\\u0000b"}' }, 'nul-escape.csv')).rejects.toMatchObject({ code: 'MALFORMED', line: 2, reason: 'Tags contains a NUL character' });
    await expect(attempt({ ...tagged, ServiceName: 'Amazon\u0000EC2' }, 'nul-raw.csv')).rejects.toMatchObject({ code: 'MALFORMED', line: 2, reason: 'ServiceName contains a NUL character' });
    // An escaped backslash before "u0000" is text, not a NUL.
    expect(await attempt({ ...tagged, Tags: '{"path": "C:\\\\u0000"}' }, 'backslash.csv')).toMatchObject({ inserted: 1 });
    const [stored] = await t.db.query<{ path: string }>(`SELECT tags->>'path' AS path FROM expenses WHERE organization_id = $1`, [org.id]);
    expect(stored.path).toBe('C:\\u0000');
  });

  it('keeps a service named U+0001 apart from rows without a service in the daily totals', async () => {
    const org = await createOrganization(t.db, 'Control characters');
    const base = { ...ROWS[0], ServiceCategory: 'Compute' };
    const rows = [{ ...base, ServiceName: null }, { ...base, ServiceName: '\u0001' }, { ...base, ServiceName: '\u0001', ResourceId: 'other' }];
    expect(await importFocusFile(t.db, org.id, write('control.csv', [csvLine(HEADER), ...rows.map(rowLine)].join('\n')))).toMatchObject({ inserted: 3 });
    const groups = await t.db.query<{ service: string | null; n: number }>(
      'SELECT service_name AS service, row_count AS n FROM expense_daily_totals WHERE organization_id = $1 ORDER BY service_name NULLS FIRST',
      [org.id],
    );
    expect(groups.map((g) => [g.service, Number(g.n)])).toEqual([
      [null, 1],
      ['\u0001', 2],
    ]);
    await expectDailyTotalsMatchRows(t.db);
  });

  it('stores every date-time shape as the UTC instant it names, on the UTC day it falls in', async () => {
    const org = await createOrganization(t.db, 'Instants');
    const shapes: Array<[string, string]> = [
      ['2024-09-18 22:00:00', '2024-09-18T22:00:00.000Z'],
      ['2024-09-18T22:00:00Z', '2024-09-18T22:00:00.000Z'],
      ['2024-09-18T23:30:00.123Z', '2024-09-18T23:30:00.123Z'],
      ['2024-09-19T01:00:00+02:00', '2024-09-18T23:00:00.000Z'],
      ['2024-09-18T20:00:00-05:00', '2024-09-19T01:00:00.000Z'],
      ['2024-09-18', '2024-09-18T00:00:00.000Z'],
    ];
    const rows = shapes.map(([start], i) => ({ ...ROWS[0], ChargePeriodStart: start, ChargePeriodEnd: '2024-09-19T02:00:00Z', ResourceId: `instant-${i}` }));
    await importFocusFile(t.db, org.id, write('instants.csv', [csvLine(HEADER), ...rows.map(rowLine)].join('\n')));
    const stored = await t.db.query<{ resource_id: string; charge_period_start: Date }>(
      'SELECT resource_id, charge_period_start FROM expenses WHERE organization_id = $1 ORDER BY resource_id',
      [org.id],
    );
    expect(stored.map((row) => [row.resource_id, new Date(row.charge_period_start).toISOString()])).toEqual(shapes.map(([, iso], i) => [`instant-${i}`, iso]));
    // The daily totals put each row on the UTC day of its instant, not of its text.
    const days = await t.db.query<{ day: string; n: number }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, sum(row_count) AS n FROM expense_daily_totals WHERE organization_id = $1 GROUP BY 1 ORDER BY 1`,
      [org.id],
    );
    expect(days.map((d) => [d.day, Number(d.n)])).toEqual([
      ['2024-09-18', 5],
      ['2024-09-19', 1],
    ]);
  });

  describe('refuses malformed files with the line at fault and writes nothing', () => {
    /** More rows than one INSERT batch precede the bad one, so a rollback has work to undo. */
    const GOOD = [...ROWS, ...ROWS.slice(0, 300).map((row) => ({ ...row, ChargeDescription: `${row.ChargeDescription} (again)` }))];
    const BAD_LINE = GOOD.length + 2;
    const withBadRow = (change: (row: CsvRow) => CsvRow) => [csvLine(HEADER), ...GOOD.map(rowLine), rowLine(change({ ...ROWS[5] })), rowLine(ROWS[6]), ''].join('\n');
    const goodText = () => [csvLine(HEADER), ...GOOD.map(rowLine)].join('\n');

    const cases: Array<[string, () => string, number, RegExp]> = [
      [
        'required columns missing from the header',
        () => [csvLine(HEADER.filter((c) => c !== 'BilledCost' && c !== 'SubAccountId')), ...ROWS.slice(0, 3).map((r) => csvLine(HEADER.filter((c) => c !== 'BilledCost' && c !== 'SubAccountId').map((c) => r[c])))].join('\n'),
        1,
        /missing required FOCUS columns: BilledCost, SubAccountId/,
      ],
      ['a cost that is not a number', () => withBadRow((row) => ({ ...row, BilledCost: '12,50' })), BAD_LINE, /BilledCost "12,50" is not a decimal number/],
      ['an empty cost', () => withBadRow((row) => ({ ...row, ListCost: null })), BAD_LINE, /ListCost is empty/],
      ['a date that does not exist', () => withBadRow((row) => ({ ...row, ChargePeriodStart: '2024-09-31 00:00:00' })), BAD_LINE, /ChargePeriodStart "2024-09-31 00:00:00" is not a date-time/],
      ['a date that is not a date', () => withBadRow((row) => ({ ...row, ChargePeriodEnd: 'tomorrow' })), BAD_LINE, /ChargePeriodEnd "tomorrow" is not a date-time/],
      ['a charge period ending before it starts', () => withBadRow((row) => ({ ...row, ChargePeriodEnd: '2024-08-01 00:00:00' })), BAD_LINE, /ChargePeriodEnd is before ChargePeriodStart/],
      ['tags that are broken JSON', () => withBadRow((row) => ({ ...row, Tags: '{"team": "core"' })), BAD_LINE, /Tags is not valid JSON/],
      ['tags that are JSON but not an object', () => withBadRow((row) => ({ ...row, Tags: '["team", "core"]' })), BAD_LINE, /Tags is not a JSON object/],
      ['an unknown provider', () => withBadRow((row) => ({ ...row, ProviderName: 'Hetzner' })), BAD_LINE, /ProviderName "Hetzner" is not a supported provider/],
      ['a row with a field too few', () => goodText() + '\n' + rowLine(ROWS.find((row) => row.Tags === null)!).replace(/,NULL$/, ''), BAD_LINE, /expected 44 fields like the header, got 43/],
      ['a file truncated inside a quoted field', () => goodText() + '\n' + rowLine(ROWS[5]).slice(0, 200), BAD_LINE, /unterminated quoted field/],
      ['a file truncated between fields', () => goodText() + '\n' + rowLine(ROWS[5]).slice(0, rowLine(ROWS[5]).indexOf('","') + 1), BAD_LINE, /expected 44 fields like the header, got \d+/],
      ['an empty file', () => '', 1, /the file is empty/],
    ];

    it.each(cases)('%s', async (_name, content, line, reason) => {
      const org = await createOrganization(t.db, 'Malformed');
      const file = write('bad.csv', content());
      const before = await counts(t.db);
      const error = await importFocusFile(t.db, org.id, file).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(FocusImportError);
      expect(error).toMatchObject({ code: 'MALFORMED', line });
      expect((error as FocusImportError).reason).toMatch(reason);
      expect(await counts(t.db)).toEqual(before);
    });

    it('counts physical lines: quoted line breaks and blank lines, with LF and with CRLF', async () => {
      const org = await createOrganization(t.db, 'Lines');
      const multiline = { ...ROWS[1], ChargeDescription: 'first line\nsecond line' };
      const bad = { ...ROWS[2], EffectiveCost: 'free' };
      // header (1), the multi-line row (2-3), a blank line (4), a good row (5), the bad row (6)
      const lines = [csvLine(HEADER), rowLine(multiline), '', rowLine(ROWS[3]), rowLine(bad), ''];
      for (const eol of ['\n', '\r\n']) {
        const before = await counts(t.db);
        const file = write('lines.csv', lines.join(eol).replace(/first line\n/, `first line${eol}`));
        await expect(importFocusFile(t.db, org.id, file)).rejects.toMatchObject({ line: 6, reason: expect.stringMatching(/EffectiveCost "free"/) });
        expect(await counts(t.db)).toEqual(before);
      }
      // Without the bad row the same file imports, and the quoted line break survives.
      const file = write('lines-ok.csv', lines.filter((_, i) => i !== 4).join('\n'));
      expect(await importFocusFile(t.db, org.id, file)).toMatchObject({ rows: 2, inserted: 2 });
      const descriptions = await t.db.query<{ charge_description: string }>('SELECT charge_description FROM expenses WHERE organization_id = $1', [org.id]);
      expect(descriptions.map((row) => row.charge_description)).toContain('first line\nsecond line');
    });

    it("refuses a row billed in another currency than the organization's, and imports it into an organization of that currency", async () => {
      const usd = await createOrganization(t.db, 'Dollars');
      const file = write('euros.csv', withBadRow((row) => ({ ...row, BillingCurrency: 'EUR' })));
      const before = await counts(t.db);
      await expect(importFocusFile(t.db, usd.id, file)).rejects.toMatchObject({
        code: 'CURRENCY_MISMATCH',
        line: BAD_LINE,
        reason: "BillingCurrency EUR is not the organization's currency (USD); import the file into an organization billed in EUR",
      });
      expect(await counts(t.db)).toEqual(before);

      // All in euros, one written in lower case: an organization billed in EUR takes them.
      const eur = await createOrganization(t.db, 'Euros', 'EUR');
      const euros = write('all-euros.csv', [csvLine(HEADER), ...ROWS.slice(0, 20).map((row, i) => rowLine({ ...row, BillingCurrency: i === 3 ? 'eur' : 'EUR' }))].join('\n'));
      expect(await importFocusFile(t.db, eur.id, euros)).toMatchObject({ rows: 20, inserted: 20 });
      await expect(importFocusFile(t.db, usd.id, euros)).rejects.toMatchObject({ code: 'CURRENCY_MISMATCH', line: 2 });
    });

    it('refuses an unknown organization and a missing file', async () => {
      const before = await counts(t.db);
      await expect(importFocusFile(t.db, '00000000-0000-4000-8000-000000000000', CSV_PATH)).rejects.toMatchObject({ code: 'ORGANIZATION_NOT_FOUND', line: null });
      await expect(importFocusFile(t.db, "x' OR '1'='1", CSV_PATH)).rejects.toMatchObject({ code: 'ORGANIZATION_NOT_FOUND' });
      const org = await createOrganization(t.db, 'No file');
      await expect(importFocusFile(t.db, org.id, path.join(dir, 'missing.csv'))).rejects.toMatchObject({ code: 'UNREADABLE', reason: 'no such file' });
      await expect(importFocusFile(t.db, org.id, dir)).rejects.toMatchObject({ code: 'UNREADABLE' });
      expect(await counts(t.db)).toEqual(before);
    });
  });
});

// PGlite has one connection, so imports there never overlap.
describe.each(databaseBackends().filter((backend) => backend.name === 'postgres'))('concurrent FOCUS imports on $name', (backend) => {
  it('imports one file twice at the same time: one import writes every row, the other finds them all present', async () => {
    const t = await backend.create();
    try {
      const org = await createOrganization(t.db, 'Race');
      // The accounts exist first, so neither import waits for the other to create them: both copy
      // their rows, and the unique index makes the later one retry. (The seed rows are quoted
      // differently from the fixture's, so they are other rows.)
      const firstOfEach = [...new Map(ROWS.map((row) => [`${row.ProviderName}/${row.SubAccountId}`, row])).values()];
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-race-'));
      const seed = path.join(dir, 'seed.csv');
      fs.writeFileSync(seed, [csvLine(HEADER), ...firstOfEach.map(rowLine)].join('\n'));
      expect(await importFocusFile(t.db, org.id, seed)).toMatchObject({ inserted: firstOfEach.length });
      fs.rmSync(dir, { recursive: true });
      const results = await Promise.all([importFocusFile(t.db, org.id, CSV_PATH), importFocusFile(t.db, org.id, CSV_PATH)]);
      expect(results.map((r) => r.inserted).sort((a, b) => a - b)).toEqual([0, 1000]);
      expect(results.map((r) => r.duplicates).sort((a, b) => a - b)).toEqual([0, 1000]);
      const [{ n }] = await t.db.query<{ n: number }>('SELECT count(*) AS n FROM expenses WHERE organization_id = $1', [org.id]);
      expect(Number(n)).toBe(1000 + firstOfEach.length);
      // Each sub-account once, whichever import created it.
      const accounts = await listCloudAccounts(t.db, [org.id]);
      expect(accounts).toHaveLength(new Set(ROWS.map((row) => `${row.ProviderName}/${row.SubAccountId}`)).size);
      await expectDailyTotalsMatchRows(t.db);
    } finally {
      await t.drop();
    }
  });
});

describe('rows imported before migration 005 (row hash as uuid)', () => {
  it('are still found as duplicates after the upgrade', async () => {
    const db = await PgliteDatabase.open();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-upgrade-'));
    try {
      // The schema as it was before 005, recorded the way `migrate` records it.
      await db.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      for (const migration of listMigrations().filter((m) => m.version < 5)) {
        await db.transaction(async (tx) => {
          await tx.exec(migration.sql);
          await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
        });
      }
      // A row as the earlier importer wrote it: row_hash was the whole sha256 of the raw record.
      const org = await createOrganization(db, 'Upgrade');
      const account = await createCloudAccount(db, { organizationId: org.id, name: 'old', type: 'aws' });
      const record = rowLine(ROWS[0]);
      const oldHash = crypto.createHash('sha256').update(record).digest('hex');
      await db.query(
        `INSERT INTO expenses (organization_id, cloud_account_id, charge_period_start, charge_period_end, billed_cost, effective_cost, list_cost,
                               billing_currency, provider, row_hash)
         VALUES ($1, $2, '2024-09-01T00:00:00Z', '2024-09-01T01:00:00Z', 1, 1, 1, 'USD', 'AWS', $3)`,
        [org.id, account.id, oldHash],
      );

      expect(await migrate(db)).toContain(5);
      const [stored] = await db.query<{ row_hash: string }>('SELECT row_hash::text FROM expenses');
      expect(stored.row_hash.replace(/-/g, '')).toBe(oldHash.slice(0, 32));
      const file = path.join(dir, 'again.csv');
      fs.writeFileSync(file, [csvLine(HEADER), record, rowLine(ROWS[1])].join('\n'));
      expect(await importFocusFile(db, org.id, file)).toMatchObject({ rows: 2, inserted: 1, duplicates: 1 });
    } finally {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
