import { addDecimals, DecimalSum, formatDecimal, isDecimal, parseDecimal, plainParts, ZERO } from '../../subgraphs/expenses/data/decimal';
import { seededRandom } from '../../dev/seeded-random';
import { TimeOrderedIds } from '../../lib/db/uuidv7';
import { cloudAccountTypeOf } from '../../subgraphs/expenses/import/focus-columns';
import { parseFocusDate } from '../../subgraphs/expenses/import/focus-dates';

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

  it('checks the decimal shape exactly as parseDecimal reads it', () => {
    const random = seededRandom(7);
    const alphabet = ['0', '1', '9', '.', '-', '+', 'e', 'E', ' ', 'x', ','];
    const samples = ['0.00000080000', '+5', '.5', '5.', '1.5e-3', '1.5E+3', '', '.', '-', '1e', '1e1000', '1'.repeat(100), '1'.repeat(101)];
    for (let i = 0; i < 20_000; i++) samples.push(Array.from({ length: 1 + Math.floor(random() * 8) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
    for (const text of samples) expect([text, isDecimal(text)]).toEqual([text, parseDecimal(text) !== undefined]);
  });

  it('sums decimal texts exactly, in the fast shape and beyond it', () => {
    const random = seededRandom(11);
    const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
    const values: string[] = ['0', '-0.000', '999999999.999999999999999999', '1000000000', '0.0000000000000000001', '1.5e-3', '-2E+2', '+.5', '5.'];
    for (let i = 0; i < 5_000; i++) {
      const sign = random() < 0.3 ? '-' : '';
      values.push(`${sign}${digits(1 + Math.floor(random() * 12))}${random() < 0.8 ? `.${digits(Math.floor(random() * 22))}` : ''}`);
    }
    const sum = new DecimalSum();
    let reference = ZERO;
    for (const value of values) {
      expect(sum.add(value)).toBe(true);
      reference = addDecimals(reference, parseDecimal(value)!);
    }
    expect(sum.toString()).toBe(formatDecimal(reference));
    for (const bad of ['', '.', 'abc', '1,5', '1e']) expect(sum.add(bad)).toBe(false);
    expect(sum.toString()).toBe(formatDecimal(reference));
    // Only plain values, as billing exports write them: printed without BigInt, signs mixed.
    for (let round = 0; round < 300; round++) {
      const plain = new DecimalSum();
      let expected = ZERO;
      for (let i = 0; i < 1 + Math.floor(random() * 6); i++) {
        const value = `${random() < 0.5 ? '-' : ''}${digits(1 + Math.floor(random() * 9))}.${digits(Math.floor(random() * 19))}`;
        plain.add(value);
        expected = addDecimals(expected, parseDecimal(value)!);
      }
      expect(plain.toString()).toBe(formatDecimal(expected));
    }
    expect(new DecimalSum().toString()).toBe('0');
    const cancel = new DecimalSum();
    for (const value of ['0.000000001', '-1', '0.999999999']) cancel.add(value);
    expect(cancel.toString()).toBe('0');
    // Past the point where the fast parts are carried into the exact total.
    const many = new DecimalSum();
    for (let i = 0; i < 1_100_000; i++) many.add('0.123456789123456789');
    expect(many.toString()).toBe(formatDecimal({ units: 123456789123456789n * 1_100_000n, scale: 18 }));
  });

  it('splits plain decimals into parts that sum like their texts, and leaves other shapes to the exact path', () => {
    const parts = new Float64Array(6);
    expect(plainParts('-12.5', parts, 3)).toBe(true);
    expect(Array.from(parts.slice(3))).toEqual([-12, -500_000_000, 0]);
    expect(plainParts('0.1234567891', parts, 0)).toBe(true);
    expect(Array.from(parts.slice(0, 3))).toEqual([0, 123_456_789, 100_000_000]);
    for (const other of ['1.5e-3', '1234567890', '0.0000000000000000001', '', '.', 'x']) expect([other, plainParts(other, parts, 0)]).toEqual([other, false]);
    // Parts added at an offset give the same sum as the texts.
    const random = seededRandom(13);
    const byText = new DecimalSum();
    const byParts = new DecimalSum();
    const values = Array.from({ length: 2_000 }, () => `${random() < 0.4 ? '-' : ''}${Math.floor(random() * 1e6)}.${String(Math.floor(random() * 1e9)).padStart(9, '0')}${Math.floor(random() * 1e6)}`);
    for (const value of values) {
      byText.add(value);
      expect(plainParts(value, parts, 3)).toBe(true);
      byParts.addParts(parts, 3);
    }
    expect(byParts.toString()).toBe(byText.toString());
    expect(byParts.toString()).not.toBe('0');
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
    expect(parseFocusDate('2024-02-29 12:00:00')?.toISOString()).toBe('2024-02-29T12:00:00.000Z');
    for (const bad of ['0050-01-01 00:00:00', '2023-02-29 00:00:00', '2024-04-31 00:00:00', '2024-00-10 00:00:00', '2024-02-30 00:00:00', '2024-13-01 00:00:00', '2024-09-18 24:00:00', '2024-09-18 22:60:00', '18/09/2024', 'yesterday', '', '2024-09-18 2a:00:00']) {
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
