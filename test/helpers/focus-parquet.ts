import { FOCUS_HEADER, FOCUS_ROWS, type FocusRow } from './focus-fixture';

/*
 * FOCUS rows written as Parquet by an independent writer (hyparquet-writer, Snappy pages as AWS
 * Data Exports write them): costs as doubles, charge periods as timestamps, the rest as text.
 */

const NUMBERS = new Set(['BilledCost', 'EffectiveCost', 'ListCost', 'ContractedCost', 'ListUnitPrice', 'ContractedUnitPrice', 'PricingQuantity', 'ConsumedQuantity']);
const TIMES = new Set(['ChargePeriodStart', 'ChargePeriodEnd', 'BillingPeriodStart', 'BillingPeriodEnd']);

export async function focusParquet(rows: readonly FocusRow[] = FOCUS_ROWS, header: readonly string[] = FOCUS_HEADER): Promise<Buffer> {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const columnData = header.map((name) => {
    const values = rows.map((row) => row[name] ?? null);
    if (NUMBERS.has(name)) return { name, type: 'DOUBLE' as const, data: values.map((v) => (v === null ? null : Number(v))) };
    // FOCUS times are UTC; the fixture writes them without a zone.
    if (TIMES.has(name)) return { name, type: 'TIMESTAMP' as const, data: values.map((v) => (v === null ? null : new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v.replace(' ', 'T')}Z`))) };
    return { name, type: 'STRING' as const, data: values };
  });
  return Buffer.from(parquetWriteBuffer({ columnData, rowGroupSize: 40 }));
}
