import { addDecimals, formatDecimal, parseDecimal, ZERO } from '../../lib/expenses/decimal';
import { cloudAccountTypeOf, parseFocusDate, TimeOrderedIds } from '../../lib/expenses/import-focus';

describe('FOCUS value parsing', () => {
  it('parses decimals exactly, in plain and scientific notation, and refuses everything else', () => {
    expect(parseDecimal('0.00000080000')).toEqual({ units: 80000n, scale: 11 });
    expect(parseDecimal('-2.6137')).toEqual({ units: -26137n, scale: 4 });
    expect(parseDecimal('+5')).toEqual({ units: 5n, scale: 0 });
    expect(parseDecimal('.5')).toEqual({ units: 5n, scale: 1 });
    expect(parseDecimal('5.')).toEqual({ units: 5n, scale: 0 });
    expect(parseDecimal('1.5e-3')).toEqual({ units: 15n, scale: 4 });
    expect(parseDecimal('1.5E+3')).toEqual({ units: 1500n, scale: 0 });
    for (const bad of ['', '.', '-', 'abc', '1,5', '1.2.3', '0x10', 'NaN', 'Infinity', '1e', '1e1000', ' 1', '$1', '1'.repeat(101)]) {
      expect(parseDecimal(bad)).toBeUndefined();
    }
  });

  it('adds decimals of different scales without rounding and prints them canonically', () => {
    // 0.1 + 0.2 is exactly 0.3 here, unlike in floating point.
    const sum = addDecimals(parseDecimal('0.1')!, parseDecimal('0.2')!);
    expect(formatDecimal(sum)).toBe('0.3');
    let total = ZERO;
    for (const value of ['18.0066386184', '-0.00000000603', '2.61370000000', '-2.6137', '1e-12']) total = addDecimals(total, parseDecimal(value)!);
    expect(formatDecimal(total)).toBe('18.006638612371');
    expect(formatDecimal(parseDecimal('-0.000')!)).toBe('0');
    expect(formatDecimal(parseDecimal('-0.5')!)).toBe('-0.5');
    expect(formatDecimal(parseDecimal('120')!)).toBe('120');
  });

  it('reads FOCUS date-times as UTC, honours explicit offsets and refuses impossible dates', () => {
    expect(parseFocusDate('2024-09-18 22:00:00')?.toISOString()).toBe('2024-09-18T22:00:00.000Z');
    expect(parseFocusDate('2024-09-18T22:00:00Z')?.toISOString()).toBe('2024-09-18T22:00:00.000Z');
    expect(parseFocusDate('2024-09-18T22:00:00.123Z')?.toISOString()).toBe('2024-09-18T22:00:00.123Z');
    expect(parseFocusDate('2024-09-18T22:00:00+02:00')?.toISOString()).toBe('2024-09-18T20:00:00.000Z');
    expect(parseFocusDate('2024-09-18')?.toISOString()).toBe('2024-09-18T00:00:00.000Z');
    for (const bad of ['2024-02-30 00:00:00', '2024-13-01 00:00:00', '2024-09-18 24:00:00', '2024-09-18 22:60:00', '18/09/2024', 'yesterday', '', '2024-09-18 2a:00:00']) {
      expect(parseFocusDate(bad)).toBeUndefined();
    }
  });

  it('maps FOCUS ProviderName to cloud account types', () => {
    expect(cloudAccountTypeOf('AWS')).toBe('aws');
    expect(cloudAccountTypeOf('Amazon Web Services')).toBe('aws');
    expect(cloudAccountTypeOf('Microsoft')).toBe('azure');
    expect(cloudAccountTypeOf('Microsoft Azure')).toBe('azure');
    expect(cloudAccountTypeOf('Google Cloud')).toBe('gcp');
    expect(cloudAccountTypeOf('Oracle')).toBe('oracle');
    expect(cloudAccountTypeOf('Alibaba Cloud')).toBe('alibaba');
    expect(cloudAccountTypeOf('Hetzner')).toBeUndefined();
  });

  it('numbers expenses with UUIDv7 ids that sort in the order they were made, even within one millisecond', () => {
    const ids = new TimeOrderedIds();
    const t = Date.parse('2024-09-01T00:00:00Z');
    // Within one millisecond, past the 4,096 the counter holds, then a clock that steps back.
    const made = [...Array.from({ length: 5000 }, () => ids.next(t)), ids.next(t - 10_000), ids.next(t + 60_000)];
    expect([...made].sort()).toEqual(made);
    expect(new Set(made).size).toBe(made.length);
    for (const id of made) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // The first 48 bits are the millisecond.
    expect(parseInt(made[0].replace(/-/g, '').slice(0, 12), 16)).toBe(t);
    expect(parseInt(made[made.length - 1].replace(/-/g, '').slice(0, 12), 16)).toBe(t + 60_000);
  });
});
