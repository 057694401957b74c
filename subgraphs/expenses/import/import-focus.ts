import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isId } from '../../../lib/accounts/ids';
import type { CloudAccountType } from '../../../lib/accounts/types';
import { type Database, type Queryable, type Transaction } from '../../../lib/db/database';
import { TimeOrderedIds } from '../../../lib/db/uuidv7';
import type { BillLink } from '../../../lib/reconciliation/bill-links';
import { BillLinkGroups } from '../data/bill-link-groups';
import { DailyTotals } from '../data/daily-totals';
import { DecimalSum } from '../data/decimal';
import { Chunk, EXPENSE_COLUMNS, NONE } from './chunk';
import type { CsvRecord } from './csv';
import { cloudAccountTypeOf, decimalField, field, holdsNul, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, requiredField, STORED_AS_WRITTEN, type Column } from './focus-columns';
import { focusMillis } from './focus-dates';
import { FocusImportError, malformed } from './focus-import-error';
import { focusRecords, sniffFormat, type FocusFormat } from './focus-sources';
import { isPresentRow, lostImportRace, presentRowHash } from './pg-errors';

export { FocusImportError } from './focus-import-error';

/**
 * Imports a FOCUS 1.0 cost and usage export (CSV, gzip-compressed CSV or Parquet, told apart
 * by the file's first bytes: focus-sources.ts) into `expenses`, and records the import in
 * `expense_imports`.
 *
 * - The file is streamed (a Parquet file is read a row group at a time); memory grows only with the number of distinct rows (one short
 *   digest per row, to number identical rows) and the number of accounts seen.
 * - Rows are bulk-loaded in binary COPY format (`copyBinary`) straight into `expenses`, one
 *   chunk after the other, while the next chunks are parsed (up to QUEUED_CHUNKS ahead). A
 *   chunk is only searched for rows already imported when the unique index refuses it, or
 *   when the import has used its savepoints (see `FocusFileImport.insert`).
 *   `expense_daily_totals` gets the inserted rows' sums at the end.
 * - One transaction per file: any malformed row aborts the import and nothing is written.
 * - Idempotent: every row carries `row_hash` = 128 bits of sha256(raw CSV record, occurrence number of
 *   that exact record within the file); rows already present are counted as duplicates. When
 *   a concurrent import commits some of the same rows first, the unique index refuses the
 *   chunk, which is then searched and copied again like any other. A deadlock between two
 *   imports, or rows committed between a chunk's lookup and its copy, make the whole file be
 *   imported again.
 * - Every row must be billed in the organization's currency (`BillingCurrency`): its totals
 *   add all its rows up, and nothing converts currencies.
 * - Rows are attributed to the organization's cloud account of the row's provider and
 *   SubAccountId, created on first sight.
 */

export interface ImportResult extends ImportCounts {
  /** The import's id (its row in `expense_imports`). */
  id: string;
  fileName: string;
  format: FocusFormat;
  importedAt: Date;
}

export interface ImportCounts {
  /** Data rows in the file (header excluded). */
  rows: number;
  inserted: number;
  /** Rows already imported before (same raw record and occurrence number). */
  duplicates: number;
  accountsCreated: number;
  /** Exact sum of BilledCost of every row in the file, by ProviderName as written there. */
  totalsByProvider: Record<string, string>;
}

/**
 * Rows per chunk: one bulk load each. Large enough that statement overhead vanishes, small
 * enough that a chunk (a few MB of COPY data) is cheap to hold, and that a chunk refused for a
 * row imported before wastes little.
 */
const CHUNK_ROWS = 10_000;
/**
 * Chunks parsed ahead of the database. With one, each side waited whenever the other was
 * slower on the chunk at hand; a few in hand let the faster side run ahead.
 */
const QUEUED_CHUNKS = 3;
/**
 * The first chunk is smaller, and each next one twice as large up to CHUNK_ROWS: the database
 * has nothing to do until a chunk arrives, so short first chunks get it started while the
 * rest of the file is read.
 */
const FIRST_CHUNK_ROWS = 1_000;
/**
 * Savepoints one import may take (see `FocusFileImport.insert`). Each is a subtransaction with
 * an id of its own, and a backend keeps at most 64 of those in shared memory: past that, until
 * the import commits, every snapshot taken on the server is marked overflowed, and all its
 * sessions, whatever organization they serve, look the visibility of recent rows up in
 * pg_subtrans. Chunks after the budget (about 450k rows) are looked up before they are copied,
 * which needs no savepoint and costs the database about a third more per row.
 */
export const SAVEPOINT_BUDGET = 48;

/** A row as parsed, before its account is known. */
interface ParsedRow {
  /** The record's fields, for the columns stored as written. */
  record: readonly (string | null)[];
  start: number;
  end: number;
  billedCost: string;
  effectiveCost: string;
  listCost: string;
  currency: string;
  provider: string;
  tags: string | null;
  /** The tags parsed, when the row has any. */
  tagObject: Record<string, unknown> | null;
  /** 32 hexadecimal digits: the first 128 bits of the row's sha256. */
  rowHash: string;
  /** UTC day of ChargePeriodStart, as days since the epoch. */
  day: number;
  type: CloudAccountType;
  providerAccountId: string;
  /** SubAccountName or BillingAccountName as written; only read when the account is new. */
  accountName: string | null;
}

/** An account rows are attributed to: its id, and the id's bytes for the COPY data. */
interface Account {
  id: string;
  bytes: Buffer;
}

/** Finds the organization's live account for (type, provider id), creating it on first sight. */
async function resolveAccount(
  tx: Queryable,
  organizationId: string,
  type: CloudAccountType,
  providerAccountId: string,
  name: string,
): Promise<{ id: string; created: boolean }> {
  const select = () =>
    tx.query<{ id: string }>(
      'SELECT id FROM cloud_accounts WHERE organization_id = $1 AND type = $2 AND provider_account_id = $3 AND deleted_at IS NULL',
      [organizationId, type, providerAccountId],
    );
  const [existing] = await select();
  if (existing) return { id: existing.id, created: false };
  const inserted = await tx.query<{ id: string }>(
    `INSERT INTO cloud_accounts (id, organization_id, name, type, provider_account_id) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (organization_id, type, provider_account_id) WHERE deleted_at IS NULL AND provider_account_id IS NOT NULL DO NOTHING
     RETURNING id`,
    [crypto.randomUUID(), organizationId, name, type, providerAccountId],
  );
  if (inserted[0]) return { id: inserted[0].id, created: true };
  // Another import created it concurrently and has committed since.
  const [raced] = await select();
  if (!raced) throw new Error(`could not create the cloud account ${type}/${providerAccountId}`);
  return { id: raced.id, created: false };
}

const uuidBytes = (id: string): Buffer => Buffer.from(id.replace(/-/g, ''), 'hex');

/**
 * One file's import inside its transaction. Rows are parsed synchronously; the database work
 * of each chunk (COPY of its rows straight into `expenses`, a duplicate check when refused)
 * runs while the next chunks are parsed, up to QUEUED_CHUNKS ahead. The daily totals of the
 * inserted rows, and their links to cloud resources and clusters (bill-link-groups.ts), are
 * summed on the way and written once at the end.
 */
class FocusFileImport {
  readonly result: ImportCounts = { rows: 0, inserted: 0, duplicates: 0, accountsCreated: 0, totalsByProvider: {} };
  private readonly providerTotals = new Map<string, DecimalSum>();
  private readonly providerTypes = new Map<string, CloudAccountType | undefined>();
  /** Accounts by type and provider account id (SubAccountId). */
  private readonly accounts = new Map<CloudAccountType, Map<string, Account>>();
  /** Repetitions of each distinct record so far, by 96 bits of its digest. */
  private readonly occurrences = new Map<string, number>();
  private readonly ids = new TimeOrderedIds();
  private readonly daily = new DailyTotals();
  private readonly links = new BillLinkGroups();
  private columns: Record<Column, number> | undefined;
  private fieldCount = 0;
  /** Positions in a record of the STORED_AS_WRITTEN columns (-1 when absent). */
  private storedAsWritten: number[] = [];
  private readonly organizationBytes: Buffer;
  private chunkRows: number;
  private chunk: Chunk;
  /** Chunks done, emptied, for the next ones. */
  private readonly spares: Chunk[] = [];
  /** The last chunk's statements; each chunk's start when the one before is done. */
  private inFlight: Promise<void> = Promise.resolve();
  /** The chunks handed over and not known to be done (counted), oldest first. */
  private readonly queued: Promise<void>[] = [];
  private insertError: unknown;
  /** Set when the import fails: chunks still queued are not sent. */
  private stopped = false;
  /** Whether the savepoint of the last chunk copied is still open (see `copyUnlessPresent`). */
  private savepointOpen = false;
  /** Savepoints taken so far, against SAVEPOINT_BUDGET. */
  private savepoints = 0;
  /** Whether the next chunk's rows are looked up before it is copied (see `insert`). */
  private lookUpFirst = false;

  constructor(
    private readonly tx: Transaction,
    private readonly organizationId: string,
    /** The organization's currency: every row must be billed in it. */
    private readonly currency: string,
    private readonly chunkSize: number,
  ) {
    this.organizationBytes = uuidBytes(organizationId);
    this.chunkRows = Math.min(FIRST_CHUNK_ROWS, chunkSize);
    this.chunk = new Chunk(this.chunkRows);
  }

  async run(records: AsyncGenerator<CsvRecord[]>): Promise<ImportCounts> {
    try {
      for await (const batch of records) {
        for (const record of batch) {
          const pending = this.handle(record);
          if (pending) await pending;
        }
      }
      await this.flush();
      // Each chunk is counted after its statements: this waits for both.
      await Promise.all(this.queued);
      if (this.insertError !== undefined) throw this.insertError;
    } catch (error) {
      await records.return(undefined);
      // The chunks still queued are not sent; the statement running finishes before the
      // transaction rolls back.
      this.stopped = true;
      await this.inFlight;
      if (error instanceof FocusImportError) throw error;
      // A failed statement aborts the transaction, so later statements fail too: report the first.
      if (this.insertError !== undefined) throw this.insertError;
      const code = (error as NodeJS.ErrnoException).code;
      if (code && /^E[A-Z]+$/.test(code)) throw new FocusImportError('UNREADABLE', null, `cannot read the file (${code})`);
      throw error;
    }
    if (!this.columns) throw new FocusImportError('MALFORMED', 1, 'the file is empty: no header line');
    await this.daily.write(this.tx, this.organizationId);
    await this.links.write(this.tx, this.organizationId);
    for (const [provider, total] of this.providerTotals) this.result.totalsByProvider[provider] = total.toString();
    return this.result;
  }

  /** Takes one record; a promise only when it has to wait for the database. */
  private handle(record: CsvRecord): Promise<void> | undefined {
    if (!this.columns) {
      this.readHeader(record);
      return undefined;
    }
    const row = this.parse(record);
    const account = this.accounts.get(row.type)?.get(row.providerAccountId);
    if (account === undefined) return this.addAccount(row).then((added) => this.push(row, added));
    return this.push(row, account);
  }

  private readHeader({ fields, line }: CsvRecord): void {
    const names = fields.map((name) => (name ?? 'NULL').trim());
    const missing = REQUIRED_COLUMNS.filter((column) => !names.includes(column));
    if (missing.length > 0) malformed(line, `missing required FOCUS column${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
    const columns = {} as Record<Column, number>;
    for (const column of [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]) columns[column] = names.indexOf(column);
    this.columns = columns;
    this.fieldCount = fields.length;
    this.storedAsWritten = STORED_AS_WRITTEN.map(([, column]) => columns[column]);
  }

  /** Validates a record and turns it into a row; throws FocusImportError with its line. */
  private parse({ fields: record, raw, line }: CsvRecord): ParsedRow {
    const c = this.columns!;
    if (record.length !== this.fieldCount) malformed(line, `expected ${this.fieldCount} fields like the header, got ${record.length}`);
    // PostgreSQL text cannot hold NUL. Checked once on the whole record; the columns that are
    // imported are then searched to name the culprit.
    if (raw.indexOf('\u0000') !== -1) {
      for (const column of [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]) {
        if (field(record, c[column])?.includes('\u0000')) malformed(line, `${column} contains a NUL character`);
      }
    }
    this.result.rows++;

    const billedCost = decimalField(record, c.BilledCost, 'BilledCost', line);
    const effectiveCost = decimalField(record, c.EffectiveCost, 'EffectiveCost', line);
    const listCost = decimalField(record, c.ListCost, 'ListCost', line);
    const startText = requiredField(record, c.ChargePeriodStart, 'ChargePeriodStart', line);
    const endText = requiredField(record, c.ChargePeriodEnd, 'ChargePeriodEnd', line);
    const start = focusMillis(startText) ?? malformed(line, `ChargePeriodStart "${startText.slice(0, 40)}" is not a date-time`);
    const end = focusMillis(endText) ?? malformed(line, `ChargePeriodEnd "${endText.slice(0, 40)}" is not a date-time`);
    if (end < start) malformed(line, 'ChargePeriodEnd is before ChargePeriodStart');
    const currency = requiredField(record, c.BillingCurrency, 'BillingCurrency', line).trim();
    if (currency.length > 16) malformed(line, `BillingCurrency "${currency.slice(0, 40)}" is not a currency code`);
    // Totals add every row of the organization up: a row in another currency would be added as
    // if it were in the organization's.
    if (currency !== this.currency && currency.toUpperCase() !== this.currency) {
      throw new FocusImportError(
        'CURRENCY_MISMATCH',
        line,
        `BillingCurrency ${currency} is not the organization's currency (${this.currency}); import the file into an organization billed in ${currency}`,
      );
    }
    const provider = requiredField(record, c.ProviderName, 'ProviderName', line);
    // A file names few providers: match their names once, not on every row.
    let type = this.providerTypes.get(provider);
    if (type === undefined && !this.providerTypes.has(provider)) {
      type = cloudAccountTypeOf(provider);
      this.providerTypes.set(provider, type);
    }
    if (!type) return malformed(line, `ProviderName "${provider.slice(0, 40)}" is not a supported provider (AWS, Microsoft/Azure, Google, Oracle, Alibaba)`);
    const providerAccountId = field(record, c.SubAccountId) ?? field(record, c.BillingAccountId) ?? malformed(line, 'SubAccountId is empty');

    let tags: string | null = field(record, c.Tags);
    let parsed: unknown = null;
    if (tags !== null) {
      try {
        parsed = JSON.parse(tags);
      } catch {
        malformed(line, 'Tags is not valid JSON');
      }
      if (parsed === null) tags = null;
      else if (typeof parsed !== 'object' || Array.isArray(parsed)) malformed(line, 'Tags is not a JSON object');
      // jsonb cannot hold U+0000 either; the text goes to PostgreSQL as written, which keeps
      // numbers exact where JSON.stringify would round them. Only text spelling the escape
      // can hold one ("\\u0000", an escaped backslash before "u0000", is not a NUL).
      else if (tags.includes('\\u0000') && holdsNul(parsed)) malformed(line, 'Tags contains a NUL character');
    }

    // sha256(record) for its first occurrence in the file, sha256(record, NUL, n) for the
    // n-th repetition after it. The record is its text without line terminator, so LF and
    // CRLF copies of a file agree.
    // The column keeps the first 128 bits, as 32 hex digits (a uuid, migration 005).
    const digest = crypto.hash('sha256', raw);
    const key = digest.slice(0, 24);
    const occurrence = this.occurrences.get(key) ?? 0;
    this.occurrences.set(key, occurrence + 1);
    const rowHash = (occurrence === 0 ? digest : crypto.hash('sha256', `${raw}\u0000${occurrence}`)).slice(0, 32);

    return {
      record,
      start,
      end,
      billedCost,
      effectiveCost,
      listCost,
      currency,
      provider,
      tags,
      tagObject: tags === null ? null : (parsed as Record<string, unknown>),
      rowHash,
      day: Math.floor(start / 86_400_000),
      type,
      providerAccountId,
      accountName: field(record, c.SubAccountName) ?? field(record, c.BillingAccountName),
    };
  }

  private async addAccount(row: ParsedRow): Promise<Account> {
    // Not while a chunk is in the database: rolling a refused chunk back to its savepoint
    // would take the new account with it.
    await this.inFlight;
    const name = (row.accountName ?? row.providerAccountId).trim().slice(0, 200) || row.type;
    const resolved = await resolveAccount(this.tx, this.organizationId, row.type, row.providerAccountId, name);
    if (resolved.created) this.result.accountsCreated++;
    let ofType = this.accounts.get(row.type);
    if (!ofType) this.accounts.set(row.type, (ofType = new Map()));
    const account = { id: resolved.id, bytes: uuidBytes(resolved.id) };
    ofType.set(row.providerAccountId, account);
    return account;
  }

  private push(row: ParsedRow, account: Account): Promise<void> | undefined {
    const link = this.links.groupOf(account.id, field(row.record, this.columns!.ResourceId), row.tags, row.tagObject, row.start, row.end);
    this.encode(row, account, link?.link ?? null);
    const group = this.daily.groupOf(account.id, row.day, row.provider, field(row.record, this.columns!.ServiceName), field(row.record, this.columns!.ServiceCategory));
    this.chunk.add(row.rowHash, group, link, row.start, row.billedCost, row.effectiveCost, row.listCost);
    // Every row of the file counts in its provider's total, duplicates included.
    let total = this.providerTotals.get(row.provider);
    if (!total) this.providerTotals.set(row.provider, (total = new DecimalSum()));
    this.chunk.addBilledTo(this.chunk.length - 1, total);
    return this.chunk.length >= this.chunkRows ? this.flush() : undefined;
  }

  /** Appends the row to the chunk's COPY data, in the order of EXPENSE_COLUMNS. */
  private encode(row: ParsedRow, account: Account, link: BillLink | null): void {
    const data = this.chunk.data;
    data.beginRow();
    data.uuidBytes(this.ids.nextBytes());
    data.uuidBytes(this.organizationBytes);
    data.uuidBytes(account.bytes);
    data.timestamptz(row.start);
    data.timestamptz(row.end);
    data.numeric(row.billedCost);
    data.numeric(row.effectiveCost);
    data.numeric(row.listCost);
    data.text(row.currency);
    data.text(row.provider);
    for (const index of this.storedAsWritten) data.text(field(row.record, index));
    data.jsonb(row.tags);
    data.text(link?.resourceKey ?? null);
    data.text(link?.clusterKey ?? null);
    data.uuid(row.rowHash);
  }

  private async flush(): Promise<void> {
    const chunk = this.chunk;
    if (chunk.length === 0) return;
    this.chunkRows = Math.min(this.chunkRows * 2, this.chunkSize);
    while (this.queued.length >= QUEUED_CHUNKS) await this.queued.shift();
    if (this.insertError !== undefined) throw this.insertError;
    // Chunks that went through the database are reused, rather than each chunk allocating
    // megabytes afresh.
    this.chunk = this.spares.pop() ?? new Chunk(this.chunkSize);
    // Ordered and assembled now, while the database works on the chunks before it.
    chunk.copyData();
    // After a failure the transaction is aborted: the chunks queued behind it are not sent.
    const stored = this.inFlight.then(() => (this.insertError === undefined && !this.stopped ? this.insert(chunk) : undefined));
    this.inFlight = stored.then(
      () => undefined,
      (error: unknown) => {
        this.insertError = error;
      },
    );
    // The chunk's sums wait for a turn of the event loop, so that the next chunk's statements
    // go out first and the database does not wait for them.
    this.queued.push(stored.then((present) => present && this.countSoon(chunk, present), () => undefined));
  }

  /** `count` at the next turn of the event loop; a failure there fails the import, not the process. */
  private countSoon(chunk: Chunk, present: ReadonlySet<number>): Promise<void> {
    return new Promise((resolve) =>
      setImmediate(() => {
        try {
          this.count(chunk, present);
        } catch (error) {
          this.insertError ??= error;
        }
        resolve();
      }),
    );
  }

  /**
   * Copies the chunk's new rows into `expenses`; the positions of the rows imported before.
   * Most chunks hold no row imported before, so a chunk is first copied whole, under a
   * savepoint; only when the unique index refuses it are its rows looked up and the new ones
   * copied: looking up every chunk is a large share of the database's work per row
   * (docs/benchmarks/expenses.md, "Copy first, look up on refusal").
   * - The refusal names the row already there. A stray one (the usual case) is left out and the
   *   chunk copied again, which costs no lookup; a second refusal means several, and the chunk
   *   is looked up.
   * - A chunk looked up with more than 1% of its rows imported before means the file overlaps
   *   an earlier import (a month-to-date export again): the following chunks are looked up
   *   first, which is cheaper than having each refused, until one has at most 1%.
   * - Each copy under a savepoint spends one of SAVEPOINT_BUDGET; once they are spent, the
   *   following chunks are looked up first.
   */
  private async insert(chunk: Chunk): Promise<ReadonlySet<number>> {
    if (this.lookUpFirst || this.savepoints >= SAVEPOINT_BUDGET) return this.lookUpAndCopy(chunk);
    const refused = await this.copyUnlessPresent(chunk, NONE);
    if (refused === undefined) return NONE;
    const named = new Set([refused]);
    return refused >= 0 && (await this.copyUnlessPresent(chunk, named)) === undefined ? named : this.lookUpAndCopy(chunk);
  }

  /** Adds the chunk's inserted rows to their daily groups and the result, and frees the chunk. */
  private count(chunk: Chunk, present: ReadonlySet<number>): void {
    for (let row = 0; row < chunk.length; row++) if (!present.has(row)) chunk.addToGroup(row);
    this.result.inserted += chunk.length - present.size;
    this.result.duplicates += present.size;
    chunk.clear();
    this.spares.push(chunk);
  }

  /** Looks every row of the chunk up and copies the new ones; the positions found. */
  private async lookUpAndCopy(chunk: Chunk): Promise<ReadonlySet<number>> {
    const present = await this.findPresent(chunk);
    if (present.size < chunk.length) await this.tx.copyBinary('expenses', EXPENSE_COLUMNS, chunk.copyData(present));
    this.lookUpFirst = present.size * 100 > chunk.length;
    return present;
  }

  /**
   * Copies the chunk's rows but `skip`. When a row is there already, nothing is written and the
   * answer is that row's position, as the refusal names it (-1 when it names none of the chunk's).
   */
  private async copyUnlessPresent(chunk: Chunk, skip: ReadonlySet<number>): Promise<number | undefined> {
    // The savepoint goes with the COPY, and the previous chunk's is released in the same
    // message: two round trips per chunk (the COPY waits for the server's go-ahead) instead of four. Released only now, that savepoint
    // may hold an account created since; no rollback ever returns to it.
    const before = `${this.savepointOpen ? 'RELEASE SAVEPOINT chunk; ' : ''}SAVEPOINT chunk`;
    this.savepointOpen = true;
    this.savepoints++;
    try {
      await this.tx.copyBinary('expenses', EXPENSE_COLUMNS, chunk.copyData(skip), before);
    } catch (error) {
      // Any other failure aborts the import, and its transaction with it.
      if (!isPresentRow(error)) throw error;
      await this.tx.exec('ROLLBACK TO SAVEPOINT chunk; RELEASE SAVEPOINT chunk');
      this.savepointOpen = false;
      return chunk.positionOf(presentRowHash(error));
    }
    return undefined;
  }

  /** Positions (0-based) of the chunk's rows already imported, by row hash. */
  private async findPresent(chunk: Chunk): Promise<Set<number>> {
    // One probe of the unique index per hash. As `row_hash = ANY(...)` the planner preferred a
    // bitmap scan of all the organization's rows, once per chunk: 100+ µs per row at 1M rows.
    // A LATERAL subquery with LIMIT cannot become a join, so it stays a parameterized index
    // lookup. The hashes travel as one comma-separated text, which is cheaper for the driver
    // than a 10,000-element array.
    const present = await this.tx.query<{ n: string }>(
      `SELECT h.n FROM unnest(string_to_array($2::text, ',')::uuid[]) WITH ORDINALITY AS h(row_hash, n)
         CROSS JOIN LATERAL (SELECT 1 FROM expenses e WHERE e.organization_id = $1::uuid AND e.row_hash = h.row_hash LIMIT 1) found`,
      [this.organizationId, chunk.hashes.join(',')],
    );
    // A chunk's hashes are all different, so each position comes once.
    return new Set(present.map((row) => Number(row.n) - 1));
  }
}


const IMPORT_ATTEMPTS = 3;

export interface ImportOptions {
  /** Rows per chunk (default 10,000); tests use a few to cross chunk boundaries with small files. */
  chunkRows?: number;
  /** The name recorded with the import (default: the path's last part). */
  fileName?: string;
  /** The API token that sent the file (null from the CLI). */
  apiTokenId?: string | null;
}

export async function importFocusFile(db: Database, organizationId: string, filePath: string, options: ImportOptions = {}): Promise<ImportResult> {
  let format: FocusFormat;
  try {
    const stat = await fs.promises.stat(filePath);
    if (!stat.isFile()) throw new FocusImportError('UNREADABLE', null, 'not a regular file');
    format = await sniffFormat(filePath);
  } catch (error) {
    if (error instanceof FocusImportError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new FocusImportError('UNREADABLE', null, code === 'ENOENT' ? 'no such file' : `cannot read the file (${code ?? String(error)})`);
  }
  if (!isId(organizationId)) throw new FocusImportError('ORGANIZATION_NOT_FOUND', null, `organization ${organizationId} not found`);
  const fileName = (options.fileName ?? path.basename(filePath)).slice(0, 255) || 'upload';

  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(async (tx) => {
        const [org] = await tx.query<{ currency: string }>('SELECT currency FROM organizations WHERE id = $1 AND deleted_at IS NULL', [organizationId]);
        if (!org) throw new FocusImportError('ORGANIZATION_NOT_FOUND', null, `organization ${organizationId} not found`);
        const counts = await new FocusFileImport(tx, organizationId, org.currency, options.chunkRows ?? CHUNK_ROWS).run(focusRecords(filePath, format));
        const id = crypto.randomUUID();
        const [row] = await tx.query<{ imported_at: Date }>(
          `INSERT INTO expense_imports (id, organization_id, file_name, format, row_count, inserted, duplicates, accounts_created, totals_by_provider, api_token_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING imported_at`,
          [id, organizationId, fileName, format, counts.rows, counts.inserted, counts.duplicates, counts.accountsCreated, JSON.stringify(counts.totalsByProvider), options.apiTokenId ?? null],
        );
        return { ...counts, id, fileName, format, importedAt: new Date(row.imported_at) };
      });
    } catch (error) {
      if (attempt < IMPORT_ATTEMPTS && lostImportRace(error)) continue;
      throw error;
    }
  }
}
