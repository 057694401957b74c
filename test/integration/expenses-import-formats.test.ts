import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createOrganization } from '../../lib/accounts/repository';
import { FocusImportError, importFocusFile } from '../../subgraphs/expenses/import/import-focus';
import { databaseBackends, type TestDatabase } from '../helpers/databases';
import { FOCUS_CSV_PATH, FOCUS_CSV_TEXT, FOCUS_ROWS, sumColumnBy, units } from '../helpers/focus-fixture';
import { focusParquet } from '../helpers/focus-parquet';

/*
 * One FOCUS export in the three forms providers write it (CSV, gzip-compressed CSV, Parquet):
 * the same rows and the same exact totals, the format told by the bytes whatever the name, the
 * import recorded; broken files (cut gzip, corrupt or cut Parquet, another currency) refused
 * with a reason and nothing written.
 */

const expectedTotals = sumColumnBy(FOCUS_ROWS, 'BilledCost', 'ProviderName');

describe.each(databaseBackends())('FOCUS import formats ($name)', (backend) => {
  let t: TestDatabase;
  let dir: string;
  let parquet: Buffer;

  const file = (name: string, bytes: Buffer | string) => {
    const target = path.join(dir, name);
    fs.writeFileSync(target, bytes);
    return target;
  };
  const newOrganization = async (currency = 'USD') => (await createOrganization(t.db, `Formats ${currency}`, currency)).id;
  const written = async (organizationId: string) => {
    const [row] = await t.db.query<{ expenses: string; imports: string }>(
      `SELECT (SELECT count(*) FROM expenses e JOIN cloud_accounts a ON a.id = e.cloud_account_id WHERE a.organization_id = $1) AS expenses,
              (SELECT count(*) FROM expense_imports WHERE organization_id = $1) AS imports`,
      [organizationId],
    );
    return { expenses: Number(row.expenses), imports: Number(row.imports) };
  };
  const refusal = async (organizationId: string, target: string): Promise<FocusImportError> => {
    const error = await importFocusFile(t.db, organizationId, target).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FocusImportError);
    return error as FocusImportError;
  };

  beforeAll(async () => {
    t = await backend.create();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-formats-'));
    parquet = await focusParquet();
  });
  afterAll(async () => {
    await t?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['csv', () => FOCUS_CSV_TEXT, 'export.csv'],
    ['csv.gz', () => zlib.gzipSync(FOCUS_CSV_TEXT), 'export.csv.gz'],
    // Named as if it were CSV: the bytes decide.
    ['parquet', () => parquet, 'export.csv'],
  ] as const)('%s: every row, the exact totals of the file, and the import recorded', async (format, bytes, name) => {
    const organizationId = await newOrganization();
    const result = await importFocusFile(t.db, organizationId, file(`${format}-${name}`, bytes()));
    expect(result).toMatchObject({ format, rows: FOCUS_ROWS.length, inserted: FOCUS_ROWS.length, duplicates: 0, fileName: `${format}-${name}` });
    expect(Object.keys(result.totalsByProvider).sort()).toEqual([...expectedTotals.keys()].sort());
    for (const [provider, total] of expectedTotals) expect(units(result.totalsByProvider[provider])).toBe(total);
    const [recorded] = await t.db.query<{ format: string; row_count: string; inserted: string; totals_by_provider: unknown; api_token_id: string | null }>(
      'SELECT format, row_count, inserted, totals_by_provider, api_token_id FROM expense_imports WHERE id = $1',
      [result.id],
    );
    expect(recorded).toMatchObject({ format, api_token_id: null });
    expect(Number(recorded.row_count)).toBe(FOCUS_ROWS.length);
    const totals = typeof recorded.totals_by_provider === 'string' ? JSON.parse(recorded.totals_by_provider) : recorded.totals_by_provider;
    expect(totals).toEqual(result.totalsByProvider);
    // Again: nothing new, and a second import recorded.
    const again = await importFocusFile(t.db, organizationId, file(`${format}-again`, bytes()));
    expect(again).toMatchObject({ inserted: 0, duplicates: FOCUS_ROWS.length });
    expect(await written(organizationId)).toEqual({ expenses: FOCUS_ROWS.length, imports: 2 });
  });

  it('a cut gzip stream is refused as truncated; bytes that are no deflate data as corrupt', async () => {
    const organizationId = await newOrganization();
    const gz = zlib.gzipSync(fs.readFileSync(FOCUS_CSV_PATH));
    const cut = await refusal(organizationId, file('cut.csv.gz', gz.subarray(0, Math.floor(gz.length / 2))));
    expect(cut).toMatchObject({ code: 'MALFORMED' });
    expect(cut.reason).toMatch(/gzip data is truncated/);
    const garbled = Buffer.concat([gz.subarray(0, 10), Buffer.alloc(200, 0xff), gz.subarray(210)]);
    expect((await refusal(organizationId, file('garbled.csv.gz', garbled))).reason).toMatch(/gzip data is (corrupt|truncated)/);
    expect(await written(organizationId)).toEqual({ expenses: 0, imports: 0 });
  });

  it('a corrupt or cut Parquet file is refused, and nothing is written', async () => {
    const organizationId = await newOrganization();
    const corrupt = Buffer.from(parquet);
    // The pages of the first columns, past the magic: the footer still describes them.
    corrupt.fill(0x7f, 8, Math.floor(corrupt.length / 2));
    const broken = await refusal(organizationId, file('corrupt.parquet', corrupt));
    expect(broken.code).toBe('MALFORMED');
    expect(broken.reason).toMatch(/Parquet/);
    const cut = await refusal(organizationId, file('cut.parquet', parquet.subarray(0, parquet.length - 100)));
    expect(cut.reason).toMatch(/not a readable Parquet file/);
    expect(await written(organizationId)).toEqual({ expenses: 0, imports: 0 });
  });

  it('a Parquet export billed in another currency is refused for the currency', async () => {
    const organizationId = await newOrganization('EUR');
    const error = await refusal(organizationId, file('usd.parquet', parquet));
    expect(error.code).toBe('CURRENCY_MISMATCH');
    expect(error.reason).toMatch(/BillingCurrency USD is not the organization's currency \(EUR\)/);
    expect(await written(organizationId)).toEqual({ expenses: 0, imports: 0 });
  });
});
