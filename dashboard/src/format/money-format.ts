const formatters = new Map<string, Intl.NumberFormat>();

function formatter(currency: string): Intl.NumberFormat {
  let found = formatters.get(currency);
  if (!found) {
    found = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    formatters.set(currency, found);
  }
  return found;
}

/** `$1,328.53`: the one place amounts are formatted. */
export function formatMoney(value: number, currency: string): string {
  return formatter(currency).format(value);
}

/** The amount as the API answered it, for the tooltip: `USD 1328.530431`. */
export function fullPrecision(value: number, currency: string): string {
  return `${currency} ${value}`;
}

/** `+12.3%` against the previous range; undefined when there is nothing to compare with. */
export function formatChange(current: number, previous: number): string | undefined {
  if (previous === 0) return undefined;
  const change = (current - previous) / previous;
  // Beyond ten-fold a percentage is unreadable (+104103%); a factor says the same.
  if (change >= 10 && previous > 0) return `${Math.round(current / previous).toLocaleString("en-US")}×`;
  return `${change >= 0 ? '+' : '−'}${Math.abs(change * 100).toFixed(1)}%`;
}

export function formatPercent(ratio: number | null | undefined): string {
  return ratio === null || ratio === undefined ? 'no data' : `${(ratio * 100).toFixed(1)}%`;
}
