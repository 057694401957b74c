/**
 * Exact decimal arithmetic for money as it appears in billing exports: values stay strings
 * on their way to PostgreSQL `numeric`, and totals are summed as scaled BigInts, never floats.
 */

import { MAX_DECIMAL_LENGTH, parseDecimal, type ScaledDecimal } from '../../../lib/db/decimal-text';

export { parseDecimal, type ScaledDecimal } from '../../../lib/db/decimal-text';

/** The shape parseDecimal reads, without capturing: a cheap check where the value is not needed. */
const DECIMAL_SHAPE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?$/;

/** Whether parseDecimal would read `text`, without building the value. */
export function isDecimal(text: string): boolean {
  return text.length <= MAX_DECIMAL_LENGTH && DECIMAL_SHAPE.test(text);
}

export function addDecimals(a: ScaledDecimal, b: ScaledDecimal): ScaledDecimal {
  if (a.scale === b.scale) return { units: a.units + b.units, scale: a.scale };
  if (a.scale > b.scale) return { units: a.units + b.units * 10n ** BigInt(a.scale - b.scale), scale: a.scale };
  return { units: a.units * 10n ** BigInt(b.scale - a.scale) + b.units, scale: b.scale };
}

export const ZERO: ScaledDecimal = { units: 0n, scale: 0 };

/** Canonical text: no exponent, no trailing fractional zeros ("18.0066386184", "-0.5", "0"). */
export function formatDecimal(value: ScaledDecimal): string {
  const negative = value.units < 0n;
  let digits = (negative ? -value.units : value.units).toString();
  let text: string;
  if (value.scale === 0) {
    text = digits;
  } else {
    digits = digits.padStart(value.scale + 1, '0');
    const whole = digits.slice(0, digits.length - value.scale);
    const fraction = digits.slice(digits.length - value.scale).replace(/0+$/, '');
    text = fraction.length > 0 ? `${whole}.${fraction}` : whole;
  }
  return negative && text !== '0' ? `-${text}` : text;
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
/** Adds between carries: each part added is below 1e9, so parts stay below 2^53 in between. */
const CARRY_EVERY = 1_000_000;

/**
 * The plain shape [+-]digits[.digits], with at most 9 integer and 18 fraction digits, as the
 * three signed integers DecimalSum adds: units, 1e-9 units and 1e-18 units, written to
 * `parts[at]`, `parts[at + 1]` and `parts[at + 2]`. False for any other text. Each part is
 * below 1e9, so doubles hold them exactly; a typed array holds them without allocating.
 */
export function plainParts(text: string, parts: Float64Array, at: number): boolean {
  const length = text.length;
  let i = 0;
  let sign = 1;
  const first = text.charCodeAt(0);
  if (first === 45 /* - */) {
    sign = -1;
    i = 1;
  } else if (first === 43 /* + */) i = 1;
  let whole = 0;
  let wholeDigits = 0;
  for (; i < length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) break;
    if (++wholeDigits > 9) return false;
    whole = whole * 10 + digit;
  }
  let nanos = 0;
  let attos = 0;
  let fractionDigits = 0;
  if (i < length) {
    if (text.charCodeAt(i) !== 46 /* . */) return false;
    for (i++; i < length; i++) {
      const digit = text.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return false;
      fractionDigits++;
      if (fractionDigits <= 9) nanos = nanos * 10 + digit;
      else if (fractionDigits <= 18) attos = attos * 10 + digit;
      else return false;
    }
  }
  if (wholeDigits === 0 && fractionDigits === 0) return false;
  if (fractionDigits < 9) nanos *= POW10[9 - fractionDigits];
  else if (fractionDigits < 18) attos *= POW10[18 - fractionDigits];
  // sign * 0 would be -0, which prints and compares the same but is better avoided.
  parts[at] = whole === 0 ? 0 : sign * whole;
  parts[at + 1] = nanos === 0 ? 0 : sign * nanos;
  parts[at + 2] = attos === 0 ? 0 : sign * attos;
  return true;
}

const SCRATCH = new Float64Array(3);

/**
 * An exact running sum of decimal texts. The usual billing value ("0.0123456789", "-3.5") is
 * added as three integers (units, 1e-9 units, 1e-18 units) in doubles, which are exact below
 * 2^53; anything longer, or in scientific notation, goes through `parseDecimal` and BigInt.
 * This is the per-row work of an import (several sums per row), where BigInt parsing and
 * allocation showed in profiles.
 */
export class DecimalSum {
  private whole = 0;
  private nanos = 0;
  private attos = 0;
  private adds = 0;
  private exact: ScaledDecimal = ZERO;

  /** Adds `text`; false (and nothing added) when it is not a decimal number. */
  add(text: string): boolean {
    if (plainParts(text, SCRATCH, 0)) {
      this.addParts(SCRATCH, 0);
      return true;
    }
    const value = parseDecimal(text);
    if (!value) return false;
    this.exact = addDecimals(this.exact, value);
    return true;
  }

  /** Adds a value `plainParts` wrote at `parts[at]`. */
  addParts(parts: Float64Array, at: number): void {
    this.whole += parts[at];
    this.nanos += parts[at + 1];
    this.attos += parts[at + 2];
    if (++this.adds === CARRY_EVERY) this.carry();
  }

  /** Moves the double parts into the BigInt total, so they start again from zero. */
  private carry(): void {
    const units = BigInt(this.whole) * 10n ** 18n + BigInt(this.nanos) * 10n ** 9n + BigInt(this.attos);
    this.exact = addDecimals(this.exact, { units, scale: 18 });
    this.whole = 0;
    this.nanos = 0;
    this.attos = 0;
    this.adds = 0;
  }

  value(): ScaledDecimal {
    this.carry();
    return this.exact;
  }

  /** The sum as canonical decimal text (see formatDecimal). */
  toString(): string {
    if (this.exact.units === 0n) return this.plainText();
    return formatDecimal(this.value());
  }

  /**
   * The double parts as text without BigInt: carries bring each part below 1e9 and to the sign
   * of the whole, which stays exact in doubles as long as no carry was needed before.
   */
  private plainText(): string {
    let attos = this.attos % 1e9;
    let nanos = this.nanos + Math.trunc(this.attos / 1e9);
    let whole = this.whole + Math.trunc(nanos / 1e9);
    nanos %= 1e9;
    const sign = whole !== 0 ? Math.sign(whole) : nanos !== 0 ? Math.sign(nanos) : Math.sign(attos);
    if (sign > 0) {
      if (attos < 0) (attos += 1e9), nanos--;
      if (nanos < 0) (nanos += 1e9), whole--;
    } else if (sign < 0) {
      if (attos > 0) (attos -= 1e9), nanos++;
      if (nanos > 0) (nanos -= 1e9), whole++;
    }
    const fraction = `${String(Math.abs(nanos)).padStart(9, '0')}${String(Math.abs(attos)).padStart(9, '0')}`.replace(/0+$/, '');
    const text = fraction === '' ? String(Math.abs(whole)) : `${Math.abs(whole)}.${fraction}`;
    return sign < 0 && text !== '0' ? `-${text}` : text;
  }
}
