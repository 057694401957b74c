import { CATEGORIES, type CategoryKey } from '../../charts/palette';
import { formatMoney } from '../../format/money-format';

/** Any generated breakdown selection: every category, network null when unknown. */
type Breakdown = { [K in CategoryKey]: number | null };

/** A cluster's categories as one stacked bar; its label reads them all (network "unknown" when not sent). */
export function CategoryBar({ breakdown, currency }: { breakdown: Breakdown; currency: string }) {
  const total = CATEGORIES.reduce((sum, c) => sum + (breakdown[c.key] ?? 0), 0);
  const label = CATEGORIES.map((c) => `${c.label} ${breakdown[c.key] === null ? 'unknown' : formatMoney(breakdown[c.key]!, currency)}`).join(', ');
  return (
    <div className="category-bar" role="img" aria-label={label} title={label}>
      {total > 0 &&
        CATEGORIES.map((c) => {
          const value = breakdown[c.key] ?? 0;
          if (value <= 0) return null;
          // Widths through the CSSOM (React's style prop), which the CSP's style-src 'self' allows.
          return <span key={c.key} className={`segment segment-${c.key}`} style={{ width: `${(value / total) * 100}%` }} />;
        })}
    </div>
  );
}

export function CategoryLegend() {
  return (
    <ul className="legend" aria-hidden="true">
      {CATEGORIES.map((c) => (
        <li key={c.key}>
          <span className={`swatch segment-${c.key}`} /> {c.label}
        </li>
      ))}
    </ul>
  );
}
