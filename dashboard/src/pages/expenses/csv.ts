import type { ExpensesExportQuery, ExpensesExportQueryVariables } from '../../api/generated';
import { ExpensesExportDocument } from '../../api/generated';
import { execute } from '../../api/client';

/** Rows one download may hold; beyond it the page says to use the API. */
export const CSV_ROW_CAP = 100_000;
/** The API's largest page. */
const PAGE = 500;

type Row = NonNullable<ExpensesExportQuery['organizations'][number]>['expenses']['items']['nodes'][number];

const COLUMNS: Array<[string, (r: Row) => string | number | null]> = [
  ['ChargePeriodStart', (r) => r.chargePeriodStart],
  ['ChargePeriodEnd', (r) => r.chargePeriodEnd],
  ['CloudAccountId', (r) => r.cloudAccount.id],
  ['CloudAccountName', (r) => r.cloudAccount.name],
  ['ProviderName', (r) => r.provider],
  ['ServiceName', (r) => r.serviceName],
  ['ServiceCategory', (r) => r.serviceCategory],
  ['Region', (r) => r.region],
  ['ResourceId', (r) => r.resourceId],
  ['ResourceName', (r) => r.resourceName],
  ['ResourceType', (r) => r.resourceType],
  ['ChargeCategory', (r) => r.chargeCategory],
  ['SkuId', (r) => r.skuId],
  ['BilledCost', (r) => r.billedCost],
  ['EffectiveCost', (r) => r.effectiveCost],
  ['ListCost', (r) => r.listCost],
  ['BillingCurrency', (r) => r.currency],
  ['Tags', (r) => JSON.stringify(Object.fromEntries(r.tags.map((t) => [t.key, t.value])))],
];

/**
 * RFC 4180 quoting, and a leading quote on text a spreadsheet would run as a formula
 * (=, +, -, @), since tags and names come from cloud bills anyone can write to.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Pages through the filtered rows (oldest first) and returns the CSV text; `progress` after each page. */
export async function downloadCsv(
  variables: Omit<ExpensesExportQueryVariables, 'first' | 'after'>,
  progress: (rows: number, total: number) => void,
  signal: AbortSignal,
): Promise<{ csv: string; rows: number; capped: boolean }> {
  const lines = [COLUMNS.map(([name]) => name).join(',')];
  let after: string | null = null;
  let rows = 0;
  for (;;) {
    const answer: Awaited<ReturnType<typeof execute<ExpensesExportQuery, ExpensesExportQueryVariables>>> = await execute(ExpensesExportDocument, { ...variables, first: PAGE, after }, signal);
    const expenses: ExpensesExportQuery['organizations'][number]['expenses'] | undefined = answer.data?.organizations[0]?.expenses;
    if (!expenses || answer.errors.length > 0) throw new Error(answer.errors[0]?.message ?? 'the expenses are unavailable');
    for (const row of expenses.items.nodes) {
      if (rows >= CSV_ROW_CAP) break;
      lines.push(COLUMNS.map(([, get]) => csvField(get(row))).join(','));
      rows += 1;
    }
    progress(rows, Math.min(expenses.count, CSV_ROW_CAP));
    if (!expenses.items.pageInfo.hasNextPage || rows >= CSV_ROW_CAP) return { csv: `${lines.join('\r\n')}\r\n`, rows, capped: expenses.count > CSV_ROW_CAP };
    after = expenses.items.pageInfo.endCursor;
  }
}
