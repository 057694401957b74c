import crypto from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream';
import { parse, type CsvError, type InfoField } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { isId } from '../accounts/ids';
import type { CloudAccountType } from '../accounts/types';
import type { Database, Queryable } from '../db/database';
import { addDecimals, formatDecimal, parseDecimal, ZERO, type ScaledDecimal } from './decimal';

/**
 * Imports a FOCUS 1.0 cost and usage export (CSV) into `expenses`.
 *
 * - The file is streamed; memory grows only with the number of distinct rows (one short
 *   digest per row, to number identical rows) and the number of accounts seen.
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

/** Rows per INSERT statement; each statement binds one array per column. */
const BATCH_SIZE = 1000;

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

/** Unquoted NULL is SQL-style null in FOCUS exports; a quoted "NULL" stays the string. */
function castNull(value: string, context: InfoField): string | null {
  return value === 'NULL' && !context.quoting ? null : value;
}

/**
 * csv-parse's per-field cast callback would tell a bare NULL from a quoted "NULL", but it
 * makes parsing about 20 times slower. So the stream parses without it, bare and quoted NULL
 * both read as null, and only a record whose raw text holds a quoted "NULL" is parsed again
 * with the cast, so that it keeps the string.
 */
function withNulls(record: (string | null)[], rawRecord: string): (string | null)[] {
  if (rawRecord.includes('"NULL"')) {
    const [reparsed] = parseSync(rawRecord, { cast: castNull }) as (string | null)[][];
    if (reparsed && reparsed.length === record.length) return reparsed;
  }
  for (let i = 0; i < record.length; i++) if (record[i] === 'NULL') record[i] = null;
  return record;
}

interface Batch {
  cloudAccountIds: string[];
  starts: string[];
  ends: string[];
  billed: string[];
  effective: string[];
  list: string[];
  currencies: string[];
  providers: string[];
  publishers: (string | null)[];
  services: (string | null)[];
  serviceCategories: (string | null)[];
  regionIds: (string | null)[];
  regionNames: (string | null)[];
  zones: (string | null)[];
  resourceIds: (string | null)[];
  resourceNames: (string | null)[];
  resourceTypes: (string | null)[];
  chargeCategories: (string | null)[];
  chargeDescriptions: (string | null)[];
  skuIds: (string | null)[];
  tags: (string | null)[];
  rowHashes: string[];
}

const emptyBatch = (): Batch => ({
  cloudAccountIds: [],
  starts: [],
  ends: [],
  billed: [],
  effective: [],
  list: [],
  currencies: [],
  providers: [],
  publishers: [],
  services: [],
  serviceCategories: [],
  regionIds: [],
  regionNames: [],
  zones: [],
  resourceIds: [],
  resourceNames: [],
  resourceTypes: [],
  chargeCategories: [],
  chargeDescriptions: [],
  skuIds: [],
  tags: [],
  rowHashes: [],
});

/** One array parameter per column: the statement text never changes and binds only 22 values. */
const INSERT_SQL = `
WITH inserted AS (
  INSERT INTO expenses (
    organization_id, cloud_account_id, charge_period_start, charge_period_end, billed_cost, effective_cost, list_cost,
    billing_currency, provider, publisher, service_name, service_category, region_id, region_name, availability_zone,
    resource_id, resource_name, resource_type, charge_category, charge_description, sku_id, tags, row_hash)
  SELECT $1::uuid, r.cloud_account_id, r.s, r.e, r.billed, r.effective, r.list, r.currency, r.provider, r.publisher,
         r.service, r.service_category, r.region_id, r.region_name, r.zone, r.resource_id, r.resource_name, r.resource_type,
         r.charge_category, r.charge_description, r.sku_id, r.tags::jsonb, r.row_hash
    FROM unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[], $5::numeric[], $6::numeric[], $7::numeric[], $8::text[],
                $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
                $17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::text[])
      AS r(cloud_account_id, s, e, billed, effective, list, currency, provider, publisher, service, service_category,
           region_id, region_name, zone, resource_id, resource_name, resource_type, charge_category, charge_description,
           sku_id, tags, row_hash)
  ON CONFLICT (organization_id, row_hash) DO NOTHING
  RETURNING 1
)
SELECT count(*)::int AS inserted FROM inserted`;

async function insertBatch(tx: Queryable, organizationId: string, b: Batch): Promise<number> {
  const [row] = await tx.query<{ inserted: number }>(INSERT_SQL, [
    organizationId,
    b.cloudAccountIds,
    b.starts,
    b.ends,
    b.billed,
    b.effective,
    b.list,
    b.currencies,
    b.providers,
    b.publishers,
    b.services,
    b.serviceCategories,
    b.regionIds,
    b.regionNames,
    b.zones,
    b.resourceIds,
    b.resourceNames,
    b.resourceTypes,
    b.chargeCategories,
    b.chargeDescriptions,
    b.skuIds,
    b.tags,
    b.rowHashes,
  ]);
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

function describeCsvError(error: CsvError, fieldCount: number): string {
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'unterminated quoted field (is the file truncated?)';
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
      const got = Array.isArray((error as unknown as { record?: unknown[] }).record) ? (error as unknown as { record: unknown[] }).record.length : '?';
      return `expected ${fieldCount} fields like the header, got ${got}`;
    }
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a closing quote is followed by a character other than a delimiter';
    default:
      return `malformed CSV: ${error.message}`;
  }
}

const LEADING_BLANK_LINES = /^[\r\n]+/;

/** Line breaks in `text`, where \r\n, \n and a lone \r each end one line. */
function countLineBreaks(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  if (text.includes('\r')) {
    for (let i = text.indexOf('\r'); i !== -1; i = text.indexOf('\r', i + 1)) if (text[i + 1] !== '\n') count++;
  }
  return count;
}

function isCsvError(error: unknown): error is CsvError {
  const code: unknown = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('CSV_');
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

    const source = fs.createReadStream(filePath);
    const parser = parse({ bom: true, raw: true, skip_empty_lines: true });
    pipeline(source, parser, () => undefined);

    const result: ImportResult = { rows: 0, inserted: 0, duplicates: 0, accountsCreated: 0, totalsByProvider: {} };
    const totals = new Map<string, ScaledDecimal>();
    const accounts = new Map<string, string>();
    const occurrences = new Map<string, number>();
    let index: Record<Column, number> | undefined;
    let fieldCount = 0;
    let lastLine = 0;
    let batch = emptyBatch();

    // One INSERT runs in the database while the next batch is parsed; never more than one.
    let inFlight: Promise<void> = Promise.resolve();
    let insertError: unknown;
    const flush = async () => {
      const full = batch;
      const size = full.rowHashes.length;
      if (size === 0) return;
      batch = emptyBatch();
      await inFlight;
      if (insertError !== undefined) throw insertError;
      inFlight = insertBatch(tx, organizationId, full).then(
        (inserted) => {
          result.inserted += inserted;
          result.duplicates += size - inserted;
        },
        (error: unknown) => {
          insertError = error;
        },
      );
    };

    try {
      for await (const chunk of parser as AsyncIterable<{ record: string[]; raw: string }>) {
        const { raw } = chunk;
        let record: (string | null)[] = chunk.record;
        // Lines are counted here rather than taken from csv-parse, which miscounts CRLF inside
        // quoted fields. The raw text of a record begins with the blank lines skipped before it.
        const blank = LEADING_BLANK_LINES.exec(raw)?.[0] ?? '';
        const line = lastLine + 1 + countLineBreaks(blank);
        lastLine += countLineBreaks(raw);
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
          continue;
        }
        // The record without blank lines before it and its line terminator, so LF and CRLF
        // copies of a file agree.
        const rawRecord = raw.slice(blank.length).replace(/\r?\n$|\r$/, '');
        record = withNulls(record, rawRecord);
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
        const type = cloudAccountTypeOf(provider);
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
        // n-th repetition after it.
        const digest = crypto.createHash('sha256').update(rawRecord).digest();
        // 96 bits of the digest number the repetitions: ~40 bytes of memory per distinct row.
        const key = digest.toString('base64', 0, 12);
        const occurrence = occurrences.get(key) ?? 0;
        occurrences.set(key, occurrence + 1);
        const rowHash = occurrence === 0 ? digest.toString('hex') : crypto.createHash('sha256').update(`${rawRecord}\u0000${occurrence}`).digest('hex');

        const billedValue = parseDecimal(billed) as ScaledDecimal;
        totals.set(provider, addDecimals(totals.get(provider) ?? ZERO, billedValue));

        batch.cloudAccountIds.push(cloudAccountId);
        batch.starts.push(start.toISOString());
        batch.ends.push(end.toISOString());
        batch.billed.push(billed);
        batch.effective.push(effective);
        batch.list.push(list);
        batch.currencies.push(currency);
        batch.providers.push(provider);
        batch.publishers.push(text('PublisherName'));
        batch.services.push(text('ServiceName'));
        batch.serviceCategories.push(text('ServiceCategory'));
        batch.regionIds.push(text('RegionId'));
        batch.regionNames.push(text('RegionName'));
        batch.zones.push(text('AvailabilityZone'));
        batch.resourceIds.push(text('ResourceId'));
        batch.resourceNames.push(text('ResourceName'));
        batch.resourceTypes.push(text('ResourceType'));
        batch.chargeCategories.push(text('ChargeCategory'));
        batch.chargeDescriptions.push(text('ChargeDescription'));
        batch.skuIds.push(text('SkuId'));
        batch.tags.push(tags);
        batch.rowHashes.push(rowHash);
        if (batch.rowHashes.length >= BATCH_SIZE) await flush();
      }
      await flush();
      await inFlight;
      if (insertError !== undefined) throw insertError;
    } catch (error) {
      source.destroy();
      parser.destroy();
      // Let the statement still running finish before the transaction rolls back.
      await inFlight;
      if (error instanceof FocusImportError) throw error;
      // A failed INSERT aborts the transaction, so later statements fail too: report the first.
      if (insertError !== undefined) throw insertError;
      // A CSV syntax error belongs to the record that starts after the last complete one.
      if (isCsvError(error)) throw new FocusImportError('MALFORMED', lastLine + 1, describeCsvError(error, fieldCount));
      const code = (error as NodeJS.ErrnoException).code;
      if (code && /^E[A-Z]+$/.test(code)) throw new FocusImportError('UNREADABLE', null, `cannot read the file (${code})`);
      throw error;
    }
    if (!index) throw new FocusImportError('MALFORMED', 1, 'the file is empty: no header line');
    for (const [provider, total] of totals) result.totalsByProvider[provider] = formatDecimal(total);
    return result;
  });
}
