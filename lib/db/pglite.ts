import { PGlite, types } from '@electric-sql/pglite';
import { copyLine, copyTarget, copyText, type BulkRow, type Database, type Transaction } from './database';

/** Parse results the way the `pg` driver does, so both engines hand the same values to callers. */
const parsers = {
  [types.INT8]: (value: string) => Number(value),
  [types.NUMERIC]: (value: string) => value,
};

export class PgliteDatabase implements Database {
  readonly engine = 'pglite' as const;

  private constructor(readonly pglite: PGlite) {}

  /** `dataDir` undefined means an in-memory database (tests). */
  static async open(dataDir?: string): Promise<PgliteDatabase> {
    const pglite = await PGlite.create(dataDir ?? 'memory://', { parsers });
    return new PgliteDatabase(pglite);
  }

  async query<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    const result = await this.pglite.query<R>(sql, params as unknown[]);
    return result.rows;
  }

  async exec(sql: string): Promise<void> {
    await this.pglite.exec(sql);
  }

  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.pglite.transaction(async (tx) => {
      const copyLines = async (table: string, columns: readonly string[], lines: readonly string[]) => {
        const target = copyTarget(table, columns);
        if (lines.length === 0) return;
        // PGlite has no COPY FROM STDIN; it reads COPY input from the blob passed with the query.
        await tx.query(`COPY ${target} FROM '/dev/blob'`, [], { blob: new Blob([copyText(lines)]) });
      };
      return fn({
        query: async <R>(sql: string, params: readonly unknown[] = []) => (await tx.query<R>(sql, params as unknown[])).rows,
        exec: async (sql: string) => {
          await tx.exec(sql);
        },
        copyRows: async (table, columns, rows: readonly BulkRow[]) => copyLines(table, columns, rows.map((row) => copyLine(row, columns.length))),
        copyBinary: async (table, columns, data: Buffer, before?: string) => {
          const target = copyTarget(table, columns.map((column) => column.name));
          // In process: no round trip to save.
          if (before) await tx.exec(before);
          await tx.query(`COPY ${target} FROM '/dev/blob' WITH (FORMAT binary)`, [], {
            // Buffers made by Node.js sit on an ArrayBuffer, never a SharedArrayBuffer.
            blob: new Blob([data as Uint8Array<ArrayBuffer>]),
          });
        },
      });
    });
  }

  close(): Promise<void> {
    return this.pglite.close();
  }
}
