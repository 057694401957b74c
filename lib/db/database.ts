import type { BinaryColumn } from './copy-binary';

/**
 * The one database interface every service uses. Two engines sit behind it and run the
 * same SQL: PostgreSQL (`DATABASE_URL`) and PGlite, PostgreSQL compiled to WASM, in-process.
 */
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/**
 * One row for `copyRows`: a value per column, written the way PostgreSQL's input function of
 * the column's type reads it ('2024-09-01T00:00:00.000Z', '0.00001605990', '{"a": "b"}', ...);
 * null is SQL NULL.
 */
export type BulkRow = readonly (string | null)[];

/** What a transaction can do: statements, and loading many rows at once. */
export interface Transaction extends Queryable {
  /**
   * Appends `rows` to `table` (values for `columns`; other columns take their defaults) by
   * the fastest path the connection offers: COPY FROM STDIN on PostgreSQL, COPY FROM
   * '/dev/blob' in embedded PGlite, multi-row INSERTs where COPY is unavailable (PGlite served
   * over pglite-socket). It is a statement of the transaction like any other: it commits or
   * rolls back with it, and a constraint violation fails it. `table` and `columns` are
   * identifiers from code, never user input.
   */
  copyRows(table: string, columns: readonly string[], rows: readonly BulkRow[]): Promise<void>;
  /**
   * `copyRows` for typed rows already written in binary COPY format (`BinaryCopyRows`): the
   * server stores the values as sent instead of parsing text. Where COPY is unavailable, the
   * rows are turned back into text and inserted.
   *
   * `before` is a script of statements without parameters (savepoints, say) that runs just
   * before the COPY; with COPY FROM STDIN it travels with the COPY in one message, which saves a
   * round trip to the server.
   */
  copyBinary(table: string, columns: readonly BinaryColumn[], data: Buffer, before?: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly engine: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction: commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** `COPY table (columns)` after checking the identifiers, which cannot be bound as parameters. */
export function copyTarget(table: string, columns: readonly string[]): string {
  for (const name of [table, ...columns]) {
    if (!IDENTIFIER.test(name)) throw new Error(`copyRows: "${name}" is not a plain lower-case identifier`);
  }
  if (columns.length === 0) throw new Error('copyRows: no columns');
  return `${table} (${columns.join(', ')})`;
}

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * A row in COPY's text format, without its line end: tab-separated, \N for NULL, and
 * backslash, tab, newline and carriage return escaped inside values.
 */
export function copyLine(row: BulkRow, columns: number): string {
  if (row.length !== columns) throw new Error(`copyRows: a row has ${row.length} values for ${columns} columns`);
  const fields = new Array<string>(columns);
  for (let c = 0; c < columns; c++) {
    const value = row[c];
    fields[c] = value === null ? '\\N' : COPY_SPECIAL.test(value) ? value.replace(/[\\\t\n\r]/g, (ch) => COPY_ESCAPES[ch]) : value;
  }
  return fields.join('\t');
}

/** Lines as COPY input: each ended by a newline. */
export function copyText(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** PostgreSQL's limit on bind parameters in one statement. */
const MAX_PARAMETERS = 65_535;

/**
 * The path without COPY: multi-row INSERTs. Parameters are sent untyped, so the server reads
 * each one with the input function of its target column, exactly as COPY would.
 */
export async function insertRows(tx: Queryable, table: string, columns: readonly string[], rows: readonly BulkRow[]): Promise<void> {
  if (rows.length === 0) return;
  const target = copyTarget(table, columns);
  const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
  for (let start = 0; start < rows.length; start += perStatement) {
    const slice = rows.slice(start, start + perStatement);
    const params: (string | null)[] = [];
    const tuples: string[] = [];
    for (const row of slice) {
      if (row.length !== columns.length) throw new Error(`copyRows: a row has ${row.length} values for ${columns.length} columns`);
      const placeholders: string[] = [];
      for (const value of row) {
        params.push(value);
        placeholders.push(`$${params.length}`);
      }
      tuples.push(`(${placeholders.join(', ')})`);
    }
    await tx.query(`INSERT INTO ${target} VALUES ${tuples.join(', ')}`, params);
  }
}
