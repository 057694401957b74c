import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { focusParquet } from '../helpers/focus-parquet';
import { FOCUS_CSV_PATH as CSV_PATH, FOCUS_ROWS, subAccountCount, sumColumnBy, units } from '../helpers/focus-fixture';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'costgraph');

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as an operator would, against the embedded PGlite database under `dataDir`. */
function costgraph(dataDir: string, args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir };
  delete env.DATABASE_URL;
  delete env.NODE_OPTIONS;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env, timeout: 120_000 }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ status, stdout, stderr });
    });
  });
}

describe('costgraph import focus', () => {
  let dataDir: string;
  let orgId: string;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-cli-'));
    const created = await costgraph(dataDir, ['org', 'create', '--name', 'CLI import', '--json']);
    expect(created).toMatchObject({ status: 0, stderr: '' });
    orgId = JSON.parse(created.stdout).id;
  }, 120_000);
  afterAll(() => {
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('imports the fixture and prints the result as JSON; a second import adds nothing', async () => {
    const first = await costgraph(dataDir, ['import', 'focus', CSV_PATH, '--org', orgId, '--json']);
    expect(first).toMatchObject({ status: 0, stderr: '' });
    const result = JSON.parse(first.stdout);
    expect(Object.keys(result)).toEqual(['id', 'format', 'rows', 'inserted', 'duplicates', 'accountsCreated', 'totalsByProvider']);
    expect(result.format).toBe('csv');
    // Expected figures come from the file: rows, one account per sub-account, exact BilledCost sums.
    const rows = FOCUS_ROWS.length;
    const { totalsByProvider, id: _id, format: _format, ...counts } = result as { totalsByProvider: Record<string, string>; id: string; format: string };
    expect(counts).toEqual({ rows, inserted: rows, duplicates: 0, accountsCreated: subAccountCount(FOCUS_ROWS) });
    const printed = new Map(Object.entries(totalsByProvider).map(([provider, total]) => [provider, units(total)]));
    expect(printed).toEqual(sumColumnBy(FOCUS_ROWS, 'BilledCost', 'ProviderName'));

    const second = await costgraph(dataDir, ['import', 'focus', CSV_PATH, '--org', orgId, '--json']);
    expect(second.status).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ rows, inserted: 0, duplicates: rows, accountsCreated: 0 });
  }, 180_000);

  it('fails with one line naming the file and line of a malformed row or a row in another currency, and a missing file', async () => {
    const lines = fs.readFileSync(CSV_PATH, 'utf8').split('\n');
    // Data row 3 (line 4): BilledCost is the second column.
    lines[3] = lines[3].replace(/^NULL,[^,]+,/, 'NULL,"twelve",');
    const bad = path.join(dataDir, 'bad.csv');
    fs.writeFileSync(bad, lines.join('\n'));

    const failed = await costgraph(dataDir, ['import', 'focus', bad, '--org', orgId, '--json']);
    expect(failed.status).not.toBe(0);
    expect(failed.stdout).toBe('');
    expect(failed.stderr.trimEnd().split('\n')).toEqual([`costgraph: ${bad}:4: BilledCost "twelve" is not a decimal number`]);

    const missing = await costgraph(dataDir, ['import', 'focus', path.join(dataDir, 'missing.csv'), '--org', orgId]);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr.trimEnd().split('\n')).toEqual([`costgraph: ${path.join(dataDir, 'missing.csv')}: no such file`]);

    const badOrg = await costgraph(dataDir, ['import', 'focus', CSV_PATH, '--org', 'acme']);
    expect(badOrg.status).not.toBe(0);
    expect(badOrg.stderr.trimEnd().split('\n')).toHaveLength(1);

    // The fixture is billed in USD: an organization billed in EUR refuses it at its first row.
    const euros = JSON.parse((await costgraph(dataDir, ['org', 'create', '--name', 'Euros', '--currency', 'EUR', '--json'])).stdout).id;
    const mismatch = await costgraph(dataDir, ['import', 'focus', CSV_PATH, '--org', euros]);
    expect(mismatch.status).not.toBe(0);
    expect(mismatch.stderr.trimEnd().split('\n')).toEqual([
      `costgraph: ${CSV_PATH}:2: BillingCurrency USD is not the organization's currency (EUR); import the file into an organization billed in USD`,
    ]);
  }, 180_000);

  it('reads gzip-compressed CSV and Parquet by their bytes, whatever the name; a cut gzip fails in one line', async () => {
    const org = JSON.parse((await costgraph(dataDir, ['org', 'create', '--name', 'Formats', '--json'])).stdout).id;
    const gz = path.join(dataDir, 'export.csv.gz');
    fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(CSV_PATH)));
    const fromGzip = await costgraph(dataDir, ['import', 'focus', gz, '--org', org, '--json']);
    expect(fromGzip).toMatchObject({ status: 0, stderr: '' });
    expect(JSON.parse(fromGzip.stdout)).toMatchObject({ format: 'csv.gz', rows: FOCUS_ROWS.length, inserted: FOCUS_ROWS.length });
    // Parquet named .csv: the magic bytes decide.
    const parquet = path.join(dataDir, 'export-parquet.csv');
    fs.writeFileSync(parquet, await focusParquet());
    const fromParquet = await costgraph(dataDir, ['import', 'focus', parquet, '--org', org]);
    expect(fromParquet).toMatchObject({ status: 0, stderr: '' });
    expect(fromParquet.stdout).toContain(`${parquet} (parquet): ${FOCUS_ROWS.length} rows`);
    const cut = path.join(dataDir, 'cut.csv.gz');
    fs.writeFileSync(cut, fs.readFileSync(gz).subarray(0, 5000));
    const failed = await costgraph(dataDir, ['import', 'focus', cut, '--org', org]);
    expect(failed.status).not.toBe(0);
    expect(failed.stderr.trimEnd().split('\n')).toEqual([`costgraph: ${cut}: the gzip data is truncated (Z_BUF_ERROR)`]);
  }, 180_000);
});
