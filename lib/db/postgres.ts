import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { binaryCopyToText, type BinaryColumn } from './copy-binary';
import { copyLine, copyTarget, copyText, insertRows, type BulkRow, type Database, type Transaction } from './database';

// int8 (counts) as numbers: costgraph's counts stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export interface PostgresOptions {
  connectionString: string;
  /** Upper bound on pooled connections. @default 10 */
  maxConnections?: number;
  /**
   * Whether the server speaks COPY FROM STDIN. pglite-socket does not: the COPY sub-protocol
   * desynchronises it and it drops the connection, so `copyRows` sends INSERTs there.
   * @default true
   */
  copyFromStdin?: boolean;
}

export class PostgresDatabase implements Database {
  readonly engine = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly copyFromStdin: boolean;

  constructor(options: PostgresOptions) {
    this.copyFromStdin = options.copyFromStdin ?? true;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
    });
    // A broken idle connection must not crash the process; the pool replaces it.
    this.pool.on('error', () => undefined);
  }

  async query<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    const result = await this.pool.query(sql, params as unknown[]);
    return result.rows as R[];
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx: Transaction = {
      query: async <R>(sql: string, params: readonly unknown[] = []) => (await client.query(sql, params as unknown[])).rows as R[],
      exec: async (sql: string) => {
        await client.query(sql);
      },
      copyRows: async (table: string, columns: readonly string[], rows: readonly BulkRow[]) =>
        this.copyFromStdin ? copyLines(client, table, columns, rows.map((row) => copyLine(row, columns.length))) : insertRows(tx, table, columns, rows),
      copyBinary: async (table: string, columns: readonly BinaryColumn[], data: Buffer, before?: string) => {
        const target = copyTarget(table, columns.map((column) => column.name));
        if (this.copyFromStdin) return copyIn(client, `${target} FROM STDIN WITH (FORMAT binary)`, data, before);
        if (before) await client.query(before);
        await insertRows(tx, table, columns.map((column) => column.name), binaryCopyToText(columns, data));
      },
    };
    try {
      await client.query('BEGIN');
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

async function copyLines(client: pg.PoolClient, table: string, columns: readonly string[], lines: readonly string[]): Promise<void> {
  const target = copyTarget(table, columns);
  if (lines.length === 0) return;
  await copyIn(client, `${target} FROM STDIN`, copyText(lines));
}

/**
 * `COPY <what>` with `data` as its whole input, after the statements of `before` in the same
 * query message: the server answers them, then asks for the COPY data.
 */
async function copyIn(client: pg.PoolClient, what: string, data: string | Buffer, before?: string): Promise<void> {
  await pipeline(Readable.from([data]), client.query(copyFrom(`${before ? `${before}; ` : ''}COPY ${what}`)));
}
