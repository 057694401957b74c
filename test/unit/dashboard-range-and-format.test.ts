import { formatAge } from '../../dashboard/src/format/dates';
import { formatChange, formatMoney, fullPrecision } from '../../dashboard/src/format/money-format';
import { apiRange, describeRange, PRESETS, presetOf, previousRange, rangeFromSearch } from '../../dashboard/src/range/range';

const NOW = Date.parse('2026-11-15T13:45:00Z');
const preset = (id: string) => PRESETS.find((p) => p.id === id)!.range(NOW);

describe('dashboard ranges', () => {
  it('presets that include today end at the next UTC midnight; last month is whole', () => {
    expect(preset('7d')).toEqual({ from: '2026-11-09', to: '2026-11-16' });
    expect(preset('30d')).toEqual({ from: '2026-10-17', to: '2026-11-16' });
    expect(preset('90d')).toEqual({ from: '2026-08-18', to: '2026-11-16' });
    expect(preset('this-month')).toEqual({ from: '2026-11-01', to: '2026-11-16' });
    expect(preset('last-month')).toEqual({ from: '2026-10-01', to: '2026-11-01' });
    expect(PRESETS.find((p) => p.id === 'last-month')!.range(Date.parse('2026-01-10T00:00:00Z'))).toEqual({ from: '2025-12-01', to: '2026-01-01' });
  });

  it('reads the range from the URL, and falls back to the last 30 days for a bad one', () => {
    expect(rangeFromSearch(new URLSearchParams('from=2026-11-01&to=2026-12-01'), NOW)).toEqual({ from: '2026-11-01', to: '2026-12-01', fromUrl: true });
    for (const bad of ['from=2026-12-01&to=2026-11-01', 'from=2026-11-01', 'from=x&to=y', 'from=2020-01-01&to=2026-01-01', 'from=2026-11-01&to=2026-11-01']) {
      expect(rangeFromSearch(new URLSearchParams(bad), NOW)).toEqual({ ...preset('30d'), fromUrl: false });
    }
    expect(presetOf(preset('this-month'), NOW)?.id).toBe('this-month');
  });

  it('turns days into the API\'s half-open range, the previous range of equal length, and words', () => {
    const range = { from: '2026-11-01', to: '2026-12-01' };
    expect(apiRange(range)).toEqual({ from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' });
    expect(previousRange(range)).toEqual({ from: '2026-10-02', to: '2026-11-01' });
    expect(describeRange(range)).toBe('2026-11-01 – 2026-11-30');
  });
});

describe('dashboard formatting', () => {
  it('formats amounts in the organization\'s currency with the full value for the tooltip', () => {
    expect(formatMoney(1328.530431, 'USD')).toBe('$1,328.53');
    expect(formatMoney(0.004, 'EUR')).toBe('€0.00');
    expect(formatMoney(-2.5, 'USD')).toBe('-$2.50');
    expect(fullPrecision(1328.530431, 'USD')).toBe('USD 1328.530431');
  });

  it('states a change as a percentage, as a factor beyond ten-fold, and nothing against zero', () => {
    expect(formatChange(110, 100)).toBe('+10.0%');
    expect(formatChange(90, 100)).toBe('−10.0%');
    expect(formatChange(1041, 0.13)).toBe('8,008×');
    expect(formatChange(5, 0)).toBeUndefined();
    expect(formatAge('2026-11-15T13:40:00Z', NOW)).toBe('5 min ago');
  });
});
