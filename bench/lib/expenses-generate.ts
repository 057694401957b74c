import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { parse } from 'csv-parse/sync';
import { seededRandom as random } from '../../dev/seeded-random';

/**
 * Generates FOCUS 1.0 CSV exports with the shape of test/fixtures/focus/focus-1.0-sample.csv:
 * same header, same quoting (every value quoted, NULL bare), and every row a copy of one of
 * the fixture's rows (so providers, services, regions, resource types and tags keep the
 * fixture's mix) with its account, resource, charge period and costs varied. Deterministic
 * for a given seed, so PostgreSQL and PGlite load the same data.
 */

export const FIXTURE_CSV = path.join(__dirname, '..', '..', 'test', 'fixtures', 'focus', 'focus-1.0-sample.csv');

type Row = Record<string, string | null>;

export interface GeneratedAccount {
  provider: string;
  subAccountId: string;
  subAccountName: string;
}

export interface GenerateOptions {
  /** Accounts the rows are spread over (each keeps the provider of the templates it uses). */
  accounts: number;
  /** Charge periods start within [start, start + days). */
  days: number;
  start: Date;
  seed: number;
}

const quote = (value: string | null) => (value === null ? 'NULL' : `"${value.replace(/"/g, '""')}"`);

function readTemplates(): { header: string[]; rows: Row[] } {
  const text = fs.readFileSync(FIXTURE_CSV, 'utf8');
  const header = (parse(text, { to_line: 1 }) as string[][])[0];
  const rows = parse(text, {
    columns: true,
    cast: (value, context) => (value === 'NULL' && !context.quoting && !context.header ? null : value),
  }) as Row[];
  return { header, rows };
}

/**
 * Provider of account k: the fixture is 94% AWS, 5% Microsoft and 1% Oracle; with 50
 * accounts that gives 40 AWS, 7 Azure and 3 Oracle accounts, each provider present.
 */
function accountProvider(k: number, accounts: number): string {
  const share = k / accounts;
  return share < 0.8 ? 'AWS' : share < 0.94 ? 'Microsoft' : 'Oracle';
}

function accountIdFor(provider: string, k: number, rand: () => number): string {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
  switch (provider) {
    case 'AWS':
      return String(100_000_000_000 + k * 7_919_777);
    case 'Microsoft':
      return `/subscriptions/${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
    default:
      return `ocid1.tenancy.oc1..aaaaaaaa${hex(52)}`;
  }
}

const HOUR = 3_600_000;

function focusTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Scales a FOCUS decimal by `factor`, keeping the 11 decimals the fixture writes. */
function scaled(value: string | null, factor: number): string | null {
  if (value === null || value === '') return value;
  const n = Number(value);
  return Number.isFinite(n) ? (n * factor).toFixed(11) : value;
}

export class FocusGenerator {
  readonly header: string[];
  readonly accounts: GeneratedAccount[];
  private readonly byProvider: Map<string, Row[]>;
  private readonly rand: () => number;

  constructor(private readonly options: GenerateOptions) {
    const { header, rows } = readTemplates();
    this.header = header;
    this.rand = random(options.seed);
    this.byProvider = new Map();
    for (const row of rows) {
      const list = this.byProvider.get(row.ProviderName!) ?? [];
      list.push(row);
      this.byProvider.set(row.ProviderName!, list);
    }
    this.accounts = Array.from({ length: options.accounts }, (_, k) => {
      const provider = accountProvider(k, options.accounts);
      return { provider, subAccountId: accountIdFor(provider, k, this.rand), subAccountName: `bench-${provider.toLowerCase()}-${k}` };
    });
  }

  headerLine(): string {
    return this.header.map(quote).join(',');
  }

  /** One data line; calls draw the next row of the deterministic sequence. */
  nextLine(): string {
    const rand = this.rand;
    const account = this.accounts[Math.floor(rand() * this.accounts.length)];
    const templates = this.byProvider.get(account.provider)!;
    const template = templates[Math.floor(rand() * templates.length)];
    const row: Row = { ...template };
    // Charge periods keep the template's granularity (hourly for AWS and Oracle, daily for Azure).
    const duration = Math.max(HOUR, Date.parse(`${template.ChargePeriodEnd}Z`) - Date.parse(`${template.ChargePeriodStart}Z`)) || HOUR;
    const slots = Math.max(1, Math.floor((this.options.days * 24 * HOUR) / duration));
    const start = this.options.start.getTime() + Math.floor(rand() * slots) * duration;
    row.ChargePeriodStart = focusTime(start);
    row.ChargePeriodEnd = focusTime(start + duration);
    const factor = 0.25 + rand() * 1.5;
    for (const column of ['BilledCost', 'EffectiveCost', 'ListCost', 'ContractedCost', 'PricingQuantity', 'ConsumedQuantity']) {
      if (column in row) row[column] = scaled(row[column], factor);
    }
    row.SubAccountId = account.subAccountId;
    row.SubAccountName = account.subAccountName;
    // About 400 resources per template and account: realistic resource cardinality.
    if (row.ResourceId) row.ResourceId = `${row.ResourceId}-${Math.floor(rand() * 400)}`;
    return this.header.map((column) => quote(row[column] ?? null)).join(',');
  }

  /** Writes `rows` data lines (after a header) to `file`, streaming. */
  async writeCsv(file: string, rows: number): Promise<{ rows: number; bytes: number }> {
    const out = fs.createWriteStream(file);
    let bytes = 0;
    let buffer = `${this.headerLine()}\n`;
    for (let i = 0; i < rows; i++) {
      buffer += `${this.nextLine()}\n`;
      if (buffer.length > 1 << 20 || i === rows - 1) {
        bytes += Buffer.byteLength(buffer);
        if (!out.write(buffer)) await once(out, 'drain');
        buffer = '';
      }
    }
    if (buffer) {
      bytes += Buffer.byteLength(buffer);
      out.write(buffer);
    }
    out.end();
    await once(out, 'finish');
    return { rows, bytes };
  }
}
