import type { Database, Transaction } from '../../lib/db/database';

/** A Database that counts the statements sent through it, inside transactions too. */
export interface CountingDatabase extends Database {
  /** The SQL of every statement since the last reset, in order. */
  readonly statements: readonly string[];
  reset(): void;
}

export function countingDatabase(db: Database): CountingDatabase {
  const statements: string[] = [];
  const countTx = (tx: Transaction): Transaction => ({
    query: (sql, params) => (statements.push(sql), tx.query(sql, params)),
    exec: (sql) => (statements.push(sql), tx.exec(sql)),
    copyRows: (table, columns, rows) => (statements.push(`COPY ${table}`), tx.copyRows(table, columns, rows)),
    copyBinary: (table, columns, data, before) => (statements.push(`COPY ${table}`), tx.copyBinary(table, columns, data, before)),
  });
  return {
    engine: db.engine,
    statements,
    reset: () => void statements.splice(0),
    query: (sql, params) => (statements.push(sql), db.query(sql, params)),
    exec: (sql) => (statements.push(sql), db.exec(sql)),
    transaction: (fn) => db.transaction((tx) => fn(countTx(tx))),
    close: () => db.close(),
  };
}
