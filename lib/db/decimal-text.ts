/**
 * Decimal numbers read exactly from their text, as billing exports write them and PostgreSQL
 * `numeric` stores them: scaled BigInts, never floats.
 */

/** Plain or scientific notation; the exponent is bounded so no input can explode a BigInt. */
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,3}))?$/;
export const MAX_DECIMAL_LENGTH = 100;

export interface ScaledDecimal {
  /** The value times 10^scale. */
  units: bigint;
  scale: number;
}

/** Parses a decimal number exactly; `undefined` when the text is not one. */
export function parseDecimal(text: string): ScaledDecimal | undefined {
  if (text.length === 0 || text.length > MAX_DECIMAL_LENGTH) return undefined;
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
