import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import zlib from 'node:zlib';
import { CsvReader, CsvSyntaxError, type CsvRecord } from './csv';
import { FocusImportError } from './focus-import-error';

/*
 * Where a FOCUS file's records come from. Exports are CSV, gzip-compressed CSV or Parquet (AWS
 * Data Exports write FOCUS as gzip CSV or Parquet by default); the format is told by the file's
 * first bytes, never by its name. Every source yields batches of records with the CSV reader's
 * shape: a header record first, then one record per row.
 */

export type FocusFormat = 'csv' | 'csv.gz' | 'parquet';

const GZIP_MAGIC = [0x1f, 0x8b];
const PARQUET_MAGIC = 'PAR1';

/** The format of the file at `filePath`, from its first four bytes. */
export async function sniffFormat(filePath: string): Promise<FocusFormat> {
  const handle = await fs.promises.open(filePath, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    if (bytesRead >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) return 'csv.gz';
    if (bytesRead === 4 && head.toString('latin1') === PARQUET_MAGIC) return 'parquet';
    return 'csv';
  } finally {
    await handle.close();
  }
}

export function focusRecords(filePath: string, format: FocusFormat): AsyncGenerator<CsvRecord[]> {
  return format === 'parquet' ? parquetRecords(filePath) : csvRecords(filePath, format === 'csv.gz');
}

/**
 * CSV records, inflated on the way when gzip-compressed. The decoder keeps UTF-8 characters
 * split across reads whole; reads of 64 KiB keep PostgreSQL fed between turns of the event loop.
 */
async function* csvRecords(filePath: string, gzipped: boolean): AsyncGenerator<CsvRecord[]> {
  const file = fs.createReadStream(filePath, { highWaterMark: 64 * 1024 });
  const bytes = gzipped ? file.pipe(zlib.createGunzip({ chunkSize: 64 * 1024 })) : file;
  if (gzipped) file.on('error', (error) => bytes.destroy(error));
  const decoder = new StringDecoder('utf8');
  const reader = new CsvReader();
  try {
    for await (const chunk of bytes as AsyncIterable<Buffer>) yield reader.push(decoder.write(chunk));
    yield reader.push(decoder.end());
    yield reader.end();
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new FocusImportError('MALFORMED', error.line, error.reason);
    const code = (error as NodeJS.ErrnoException).code ?? '';
    // zlib's codes: a cut-off stream (Z_BUF_ERROR), bytes that are no deflate data (Z_DATA_ERROR).
    if (code.startsWith('Z_')) throw new FocusImportError('MALFORMED', null, `the gzip data is ${code === 'Z_BUF_ERROR' ? 'truncated' : 'corrupt'} (${code})`);
    throw error;
  } finally {
    file.destroy();
    if (gzipped) bytes.destroy();
  }
}

/** Rows read from a Parquet file at a time (row groups larger than this are read in parts). */
const PARQUET_BATCH_ROWS = 10_000;

/**
 * Parquet rows as records: the top-level columns' names are the header; each value becomes
 * the text a CSV export would hold (timestamps as ISO 8601, maps such as Tags as JSON). A row's
 * identity (`raw`, which the import hashes) is its values as JSON. `line` numbers rows as a CSV
 * file would (the header is line 1).
 */
async function* parquetRecords(filePath: string): AsyncGenerator<CsvRecord[]> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetRead } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  let file: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    file = await asyncBufferFromFile(filePath);
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw new FocusImportError('MALFORMED', null, `not a readable Parquet file (${message(error)})`);
  }
  // The root's direct children: nested columns (a map, a struct) are one value each.
  const root = metadata.schema[0];
  const names: string[] = [];
  for (let i = 1, left = root.num_children ?? 0; left > 0 && i < metadata.schema.length; left--) {
    names.push(metadata.schema[i].name);
    i = afterSubtree(metadata.schema, i);
  }
  yield [{ fields: names, raw: names.join(','), line: 1 }];
  const total = Number(metadata.num_rows);
  for (let start = 0; start < total; start += PARQUET_BATCH_ROWS) {
    const end = Math.min(total, start + PARQUET_BATCH_ROWS);
    let rows: unknown[][] = [];
    try {
      await parquetRead({ file, metadata, compressors, rowStart: start, rowEnd: end, rowFormat: 'array', onComplete: (read: unknown[][]) => (rows = read) });
    } catch (error) {
      throw new FocusImportError('MALFORMED', null, `the Parquet data is corrupt near row ${start + 1} (${message(error)})`);
    }
    yield rows.map((values, i) => {
      const fields = values.map(asText);
      return { fields, raw: JSON.stringify(fields), line: start + i + 2 };
    });
  }
}

/** The index just past the schema element at `i` and all its descendants. */
function afterSubtree(schema: ReadonlyArray<{ num_children?: number }>, i: number): number {
  let next = i + 1;
  for (let children = schema[i].num_children ?? 0; children > 0; children--) next = afterSubtree(schema, next);
  return next;
}

/** A Parquet value as the text of a CSV field (null stays null). */
function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return plainDecimal(value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/**
 * A double's shortest round-trip digits without an exponent (8e-7 is 0.0000008), as a CSV
 * export writes a cost: the importer reads decimals exactly and takes no exponents.
 */
export function plainDecimal(value: number): string {
  const text = String(value);
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign, first, rest = '', exponentText] = match;
  const digits = first + rest;
  const point = 1 + Number(exponentText);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 200);
