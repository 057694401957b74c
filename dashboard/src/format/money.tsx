import { formatMoney, fullPrecision } from './money-format';

/**
 * An amount in the organization's currency: 2 decimals on the page, full precision in the
 * tooltip; `null` (unknown or unavailable) and "no data" never read as $0.00.
 */
export function Money({ value, currency, empty = 'no data' }: { value: number | null | undefined; currency: string; empty?: string }) {
  if (value === null || value === undefined) return <span className="no-data">{empty}</span>;
  return (
    <data className="money" value={String(value)} title={fullPrecision(value, currency)}>
      {formatMoney(value, currency)}
    </data>
  );
}
