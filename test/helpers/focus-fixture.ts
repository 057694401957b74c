import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { FIXTURES } from './fixtures';

/*
 * The FOCUS fixture read independently of the importer, so tests compare what the services
 * answer with figures computed from the file rather than with numbers copied from a run.
 */

export const FOCUS_CSV_PATH = path.join(FIXTURES, 'focus', 'focus-1.0-sample.csv');
export const FOCUS_CSV_TEXT = fs.readFileSync(FOCUS_CSV_PATH, 'utf8');

export type FocusRow = Record<string, string | null>;

/** Bare NULL is null, quoted strings stay strings. */
export const FOCUS_HEADER = (parse(FOCUS_CSV_TEXT, { to_line: 1 }) as string[][])[0];
export const FOCUS_ROWS = parse(FOCUS_CSV_TEXT, {
  columns: true,
  cast: (value, context) => (value === 'NULL' && !context.quoting && !context.header ? null : value),
}) as FocusRow[];

/** Exact decimals as integers of 10^-30 (the fixture has at most 11 decimals, other tests 22). */
const SCALE = 30;

export function units(text: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match || (match[3] ?? '').length > SCALE) throw new Error(`unexpected decimal ${text}`);
  return BigInt(`${match[1]}${match[2]}${(match[3] ?? '').padEnd(SCALE, '0')}`);
}

/** The nearest double to an exact sum, for comparing with a GraphQL Float. */
export function unitsToNumber(value: bigint): number {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(SCALE + 1, '0');
  return Number(`${negative ? '-' : ''}${digits.slice(0, -SCALE)}.${digits.slice(-SCALE)}`);
}

/** The exact sum of a numeric column (null cells count as zero). */
export function sumColumn(rows: readonly FocusRow[], column: string): bigint {
  let total = 0n;
  for (const row of rows) if (row[column] !== null) total += units(row[column]!);
  return total;
}

/** The exact sum of a numeric column per value of another. */
export function sumColumnBy(rows: readonly FocusRow[], column: string, by: string): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  for (const row of rows) {
    const key = row[by]!;
    totals.set(key, (totals.get(key) ?? 0n) + (row[column] === null ? 0n : units(row[column]!)));
  }
  return totals;
}

/** Distinct provider sub-accounts: the importer creates one cloud account for each. */
export function subAccountCount(rows: readonly FocusRow[]): number {
  return new Set(rows.map((row) => `${row.ProviderName}/${row.SubAccountId}`)).size;
}
