/**
 * Exact decimal arithmetic for money as it appears in billing exports: values stay strings
 * on their way to PostgreSQL `numeric`, and totals are summed as scaled BigInts, never floats.
 */

/** Plain or scientific notation; the exponent is bounded so no input can explode a BigInt. */
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,3}))?$/;
const MAX_LENGTH = 100;

export interface ScaledDecimal {
  /** The value times 10^scale. */
  units: bigint;
  scale: number;
}

/** Parses a decimal number exactly; `undefined` when the text is not one. */
export function parseDecimal(text: string): ScaledDecimal | undefined {
  if (text.length === 0 || text.length > MAX_LENGTH) return undefined;
  const match = DECIMAL.exec(text);
  if (!match) return undefined;
  const [, sign, whole, fraction = '', exponentText] = match;
  if (whole.length === 0 && fraction.length === 0) return undefined;
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  let digits = `${whole}${fraction}` || '0';
  let scale = fraction.length - exponent;
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  const units = BigInt(digits);
  return { units: sign === '-' ? -units : units, scale };
}

export function isDecimal(text: string): boolean {
  return parseDecimal(text) !== undefined;
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
