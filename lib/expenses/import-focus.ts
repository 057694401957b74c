import crypto from 'node:crypto';
import fs from 'node:fs';
import { isId } from '../accounts/ids';
import type { CloudAccountType } from '../accounts/types';
import type { BulkRow, Database, Queryable, Transaction } from '../db/database';
import { CsvReader, CsvSyntaxError } from './csv';
import { addDecimals, formatDecimal, parseDecimal, ZERO, type ScaledDecimal } from './decimal';

/**
 * Imports a FOCUS 1.0 cost and usage export (CSV) into `expenses`.
 *
 * - The file is streamed; memory grows only with the number of distinct rows (one short
 *   digest per row, to number identical rows) and the number of accounts seen.
 * - Rows are bulk-loaded (`copyRows`: COPY where the engine has it) into a temporary staging
 *   table, and moved from there into `expenses` by INSERT … SELECT … ON CONFLICT DO NOTHING,
 *   one chunk at a time while the next chunk is parsed.
 * - One transaction per file: any malformed row aborts the import and nothing is written.
 * - Idempotent: every row carries `row_hash` = sha256(raw CSV record, occurrence number of
 *   that exact record within the file); rows already present are counted as duplicates.
 * - Rows are attributed to the organization's cloud account of the row's provider and
 *   SubAccountId, created on first sight.
 */

export interface ImportResult {
  /** Data rows in the file (header excluded). */
  rows: number;
  inserted: number;
  /** Rows already imported before (same raw record and occurrence number). */
  duplicates: number;
  accountsCreated: number;
  /** Exact sum of BilledCost of every row in the file, by ProviderName as written there. */
  totalsByProvider: Record<string, string>;
}

export type FocusImportErrorCode = 'MALFORMED' | 'ORGANIZATION_NOT_FOUND' | 'UNREADABLE';

/** Why a file was refused. `line` is the physical line (header = 1) where the bad record starts. */
export class FocusImportError extends Error {
  constructor(
    readonly code: FocusImportErrorCode,
    readonly line: number | null,
    readonly reason: string,
  ) {
    super(line === null ? reason : `line ${line}: ${reason}`);
    this.name = 'FocusImportError';
  }
}

/** Columns every file must have; the others are optional and read as NULL when absent. */
export const REQUIRED_COLUMNS = [
  'BilledCost',
  'EffectiveCost',
  'ListCost',
  'BillingCurrency',
  'ChargePeriodStart',
  'ChargePeriodEnd',
  'ChargeCategory',
  'ProviderName',
  'ServiceName',
  'ServiceCategory',
  'SubAccountId',
] as const;

const OPTIONAL_COLUMNS = [
  'PublisherName',
  'SubAccountName',
  'BillingAccountId',
  'BillingAccountName',
  'RegionId',
  'RegionName',
  'AvailabilityZone',
  'ResourceId',
  'ResourceName',
  'ResourceType',
  'ChargeDescription',
  'SkuId',
  'Tags',
] as const;

type Column = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];

const PROVIDER_TYPES: Array<[RegExp, CloudAccountType]> = [
  [/\b(aws|amazon)\b/i, 'aws'],
  [/\b(microsoft|azure)\b/i, 'azure'],
  [/\b(google|gcp)\b/i, 'gcp'],
  [/\b(oracle|oci)\b/i, 'oracle'],
  [/\b(alibaba|aliyun)\b/i, 'alibaba'],
];

export function cloudAccountTypeOf(providerName: string): CloudAccountType | undefined {
  return PROVIDER_TYPES.find(([pattern]) => pattern.test(providerName))?.[1];
}

/** Columns of the staging table, in the order of the values of a staged row. */
const STAGED_COLUMNS = [
  'id',
  'cloud_account_id',
  'charge_period_start',
  'charge_period_end',
  'billed_cost',
  'effective_cost',
  'list_cost',
  'billing_currency',
  'provider',
  'publisher',
  'service_name',
  'service_category',
  'region_id',
  'region_name',
  'availability_zone',
  'resource_id',
  'resource_name',
  'resource_type',
  'charge_category',
  'charge_description',
  'sku_id',
  'tags',
  'row_hash',
] as const;

/**
 * Rows per chunk: one bulk load and one INSERT … SELECT each. Large enough that statement
 * overhead vanishes, small enough that a chunk (a few MB of COPY text) is cheap to hold.
 */
const CHUNK_ROWS = 10_000;

/**
 * Session-private and dropped at commit or rollback, so concurrent imports never see each
 * other's rows. Typed like `expenses`, so the bulk load itself parses every value.
 */
const CREATE_STAGING_SQL = `
CREATE TEMPORARY TABLE expenses_import_staging (
  id uuid, cloud_account_id uuid, charge_period_start timestamptz, charge_period_end timestamptz, billed_cost numeric,
  effective_cost numeric, list_cost numeric, billing_currency text, provider text, publisher text, service_name text,
  service_category text, region_id text, region_name text, availability_zone text, resource_id text, resource_name text,
  resource_type text, charge_category text, charge_description text, sku_id text, tags jsonb, row_hash text
) ON COMMIT DROP`;

const MOVE_STAGED_SQL = `
WITH inserted AS (
  INSERT INTO expenses (organization_id, ${STAGED_COLUMNS.join(', ')})
  SELECT $1::uuid, ${STAGED_COLUMNS.join(', ')} FROM expenses_import_staging
  ON CONFLICT (organization_id, row_hash) DO NOTHING
  RETURNING 1
)
SELECT count(*)::int AS inserted FROM inserted`;

/**
 * UUIDv7 (RFC 9562): a 48-bit millisecond timestamp, then a 12-bit counter that keeps ids of
 * the same millisecond in order, then 62 random bits. New rows then land at the right edge of
 * the primary key instead of on a random leaf page each, as gen_random_uuid() ids did: less
 * page churn and WAL per row once the index outgrows shared buffers.
 */
export class TimeOrderedIds {
  private millis = 0;
  private counter = 0;

  next(now = Date.now()): string {
    if (now > this.millis) {
      this.millis = now;
      this.counter = 0;
    } else if (++this.counter > 0xfff) {
      // 4,096 ids in one millisecond: borrow the next millisecond rather than lose the order.
      this.millis++;
      this.counter = 0;
    }
    const time = this.millis.toString(16).padStart(12, '0');
    const random = crypto.randomUUID();
    // randomUUID() is "xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx" with the RFC variant at V: keep its tail.
    return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${this.counter.toString(16).padStart(3, '0')}-${random.slice(19)}`;
  }
}

/** Loads one chunk and moves it into `expenses`; returns how many rows were new. */
async function insertChunk(tx: Transaction, organizationId: string, rows: BulkRow[]): Promise<number> {
  await tx.copyRows('expenses_import_staging', STAGED_COLUMNS, rows);
  const [row] = await tx.query<{ inserted: number }>(MOVE_STAGED_SQL, [organizationId]);
  await tx.query('TRUNCATE expenses_import_staging');
  return Number(row.inserted);
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

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

const digitsAt = (text: string, start: number, length: number): number => {
  let value = 0;
  for (let i = start; i < start + length; i++) {
    const code = text.charCodeAt(i) - 48;
    if (code < 0 || code > 9) return NaN;
    value = value * 10 + code;
  }
  return value;
};

/** FOCUS date-times are UTC; an explicit offset is honoured, none means UTC. */
export function parseFocusDate(text: string): Date | undefined {
  // Fast path for the common export shapes "2024-09-18 22:00:00" and "2024-09-18T22:00:00Z".
  if ((text.length === 19 || (text.length === 20 && text[19] === 'Z')) && text[4] === '-' && text[7] === '-' && (text[10] === ' ' || text[10] === 'T') && text[13] === ':' && text[16] === ':') {
    const [year, month, day, hour, minute, second] = [digitsAt(text, 0, 4), digitsAt(text, 5, 2), digitsAt(text, 8, 2), digitsAt(text, 11, 2), digitsAt(text, 14, 2), digitsAt(text, 17, 2)];
    const utc = Date.UTC(year, month - 1, day, hour, minute, second);
    const check = new Date(utc);
    if (Number.isNaN(utc) || check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
    if (hour > 23 || minute > 59 || second > 59) return undefined;
    return check;
  }
  const match = DATE_TIME.exec(text.trim());
  if (!match) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
  const millis = Number(fraction.padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const check = new Date(utc);
  // Rejects 2024-02-30, 25:00 and other values Date.UTC would silently roll over.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const hours = Number(digits.slice(0, 2));
    const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (hours > 14 || minutes > 59) return undefined;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  const date = new Date(utc - offsetMinutes * 60_000);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export async function importFocusFile(db: Database, organizationId: string, filePath: string): Promise<ImportResult> {
  try {
    const stat = await fs.promises.stat(filePath);
    if (!stat.isFile()) throw new FocusImportError('UNREADABLE', null, 'not a regular file');
  } catch (error) {
    if (error instanceof FocusImportError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new FocusImportError('UNREADABLE', null, code === 'ENOENT' ? 'no such file' : `cannot read the file (${code ?? String(error)})`);
  }
  if (!isId(organizationId)) throw new FocusImportError('ORGANIZATION_NOT_FOUND', null, `organization ${organizationId} not found`);

  return db.transaction(async (tx) => {
    const org = await tx.query('SELECT 1 FROM organizations WHERE id = $1 AND deleted_at IS NULL', [organizationId]);
    if (org.length === 0) throw new FocusImportError('ORGANIZATION_NOT_FOUND', null, `organization ${organizationId} not found`);
    await tx.exec(CREATE_STAGING_SQL);

    // UTF-8 decoding in the stream keeps characters split across reads whole.
    const source = fs.createReadStream(filePath, { encoding: 'utf8', highWaterMark: 256 * 1024 });
    const reader = new CsvReader();

    const result: ImportResult = { rows: 0, inserted: 0, duplicates: 0, accountsCreated: 0, totalsByProvider: {} };
    const totals = new Map<string, ScaledDecimal>();
    const accounts = new Map<string, string>();
    const occurrences = new Map<string, number>();
    const providerTypes = new Map<string, CloudAccountType | undefined>();
    const ids = new TimeOrderedIds();
    let index: Record<Column, number> | undefined;
    let fieldCount = 0;
    let chunk: BulkRow[] = [];

    // One chunk is in the database while the next one is parsed; never more than one.
    let inFlight: Promise<void> = Promise.resolve();
    let insertError: unknown;
    const flush = async () => {
      const full = chunk;
      if (full.length === 0) return;
      chunk = [];
      await inFlight;
      if (insertError !== undefined) throw insertError;
      inFlight = insertChunk(tx, organizationId, full).then(
        (inserted) => {
          result.inserted += inserted;
          result.duplicates += full.length - inserted;
        },
        (error: unknown) => {
          insertError = error;
        },
      );
    };

    const handle = async ({ fields: record, raw: rawRecord, line }: { fields: (string | null)[]; raw: string; line: number }) => {
      const fail = (reason: string): never => {
        throw new FocusImportError('MALFORMED', line, reason);
      };

      if (!index) {
        const names = record.map((name) => (name ?? 'NULL').trim());
        const missing = REQUIRED_COLUMNS.filter((column) => !names.includes(column));
        if (missing.length > 0) fail(`missing required FOCUS column${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
        index = {} as Record<Column, number>;
        for (const column of [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]) index[column] = names.indexOf(column);
        fieldCount = record.length;
        return;
      }
      if (record.length !== fieldCount) fail(`expected ${fieldCount} fields like the header, got ${record.length}`);
      const columns = index;
      const text = (column: Column): string | null => {
        const i = columns[column];
        const value = i < 0 ? null : record[i];
        if (value === null || value === '') return null;
        if (value.includes('\u0000')) fail(`${column} contains a NUL character`);
        return value;
      };
      const required = (column: Column): string => {
        const value = text(column);
        if (value === null) fail(`${column} is empty`);
        return value as string;
      };
      const decimal = (column: Column): string => {
        const value = required(column).trim();
        if (!parseDecimal(value)) fail(`${column} "${value.slice(0, 40)}" is not a decimal number`);
        return value;
      };
      const date = (column: Column): Date => {
        const value = required(column);
        const parsed = parseFocusDate(value);
        if (!parsed) fail(`${column} "${value.slice(0, 40)}" is not a date-time`);
        return parsed as Date;
      };

      result.rows++;
      const billed = decimal('BilledCost');
      const effective = decimal('EffectiveCost');
      const list = decimal('ListCost');
      const start = date('ChargePeriodStart');
      const end = date('ChargePeriodEnd');
      if (end.getTime() < start.getTime()) fail('ChargePeriodEnd is before ChargePeriodStart');
      const currency = required('BillingCurrency').trim();
      if (currency.length > 16) fail(`BillingCurrency "${currency.slice(0, 40)}" is not a currency code`);
      const provider = required('ProviderName');
      // A file names few providers: match their names once, not on every row.
      let type = providerTypes.get(provider);
      if (type === undefined && !providerTypes.has(provider)) {
        type = cloudAccountTypeOf(provider);
        providerTypes.set(provider, type);
      }
      if (!type) fail(`ProviderName "${provider.slice(0, 40)}" is not a supported provider (AWS, Microsoft/Azure, Google, Oracle, Alibaba)`);
      const providerAccountId = text('SubAccountId') ?? text('BillingAccountId');
      if (providerAccountId === null) fail('SubAccountId is empty');

      let tags: string | null = null;
      const tagsText = text('Tags');
      if (tagsText !== null) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(tagsText);
        } catch {
          fail('Tags is not valid JSON');
        }
        if (parsed !== null) {
          if (typeof parsed !== 'object' || Array.isArray(parsed)) fail('Tags is not a JSON object');
          tags = JSON.stringify(parsed);
          // PostgreSQL jsonb cannot hold U+0000.
          if (tags.includes('\\u0000')) fail('Tags contains a NUL character');
        }
      }

      const accountKey = `${type}\u0000${providerAccountId}`;
      let cloudAccountId = accounts.get(accountKey);
      if (cloudAccountId === undefined) {
        const name = (text('SubAccountName') ?? text('BillingAccountName') ?? (providerAccountId as string)).trim().slice(0, 200) || (type as string);
        const account = await resolveAccount(tx, organizationId, type as CloudAccountType, providerAccountId as string, name);
        if (account.created) result.accountsCreated++;
        accounts.set(accountKey, account.id);
        cloudAccountId = account.id;
      }

      // sha256(record) for its first occurrence in the file, sha256(record, NUL, n) for the
      // n-th repetition after it. The record is its text without line terminator, so LF and
      // CRLF copies of a file agree.
      const digest = crypto.createHash('sha256').update(rawRecord).digest();
      // 96 bits of the digest number the repetitions: ~40 bytes of memory per distinct row.
      const key = digest.toString('base64', 0, 12);
      const occurrence = occurrences.get(key) ?? 0;
      occurrences.set(key, occurrence + 1);
      const rowHash = occurrence === 0 ? digest.toString('hex') : crypto.createHash('sha256').update(`${rawRecord}\u0000${occurrence}`).digest('hex');

      const billedValue = parseDecimal(billed) as ScaledDecimal;
      totals.set(provider, addDecimals(totals.get(provider) ?? ZERO, billedValue));

      // In the order of STAGED_COLUMNS.
      chunk.push([
        ids.next(),
        cloudAccountId,
        start.toISOString(),
        end.toISOString(),
        billed,
        effective,
        list,
        currency,
        provider,
        text('PublisherName'),
        text('ServiceName'),
        text('ServiceCategory'),
        text('RegionId'),
        text('RegionName'),
        text('AvailabilityZone'),
        text('ResourceId'),
        text('ResourceName'),
        text('ResourceType'),
        text('ChargeCategory'),
        text('ChargeDescription'),
        text('SkuId'),
        tags,
        rowHash,
      ]);
      if (chunk.length >= CHUNK_ROWS) await flush();
    };

    try {
      for await (const data of source as AsyncIterable<string>) {
        for (const record of reader.push(data)) await handle(record);
      }
      for (const record of reader.end()) await handle(record);
      await flush();
      await inFlight;
      if (insertError !== undefined) throw insertError;
    } catch (error) {
      source.destroy();
      // Let the statement still running finish before the transaction rolls back.
      await inFlight;
      if (error instanceof FocusImportError) throw error;
      // A failed statement aborts the transaction, so later statements fail too: report the first.
      if (insertError !== undefined) throw insertError;
      if (error instanceof CsvSyntaxError) throw new FocusImportError('MALFORMED', error.line, error.reason);
      const code = (error as NodeJS.ErrnoException).code;
      if (code && /^E[A-Z]+$/.test(code)) throw new FocusImportError('UNREADABLE', null, `cannot read the file (${code})`);
      throw error;
    }
    if (!index) throw new FocusImportError('MALFORMED', 1, 'the file is empty: no header line');
    for (const [provider, total] of totals) result.totalsByProvider[provider] = formatDecimal(total);
    return result;
  });
}
