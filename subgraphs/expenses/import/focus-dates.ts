const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

const digitsAt = (text: string, start: number, length: number): number => {
  let value = 0;
  for (let i = start; i < start + length; i++) {
    const code = text.charCodeAt(i) - 48;
    if (code < 0 || code > 9) return NaN;
    value = value * 10 + code;
  }
  return value;
};

const daysInMonth = (year: number, month: number): number =>
  month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;

/** FOCUS date-times are UTC; an explicit offset is honoured, none means UTC. */
export function parseFocusDate(text: string): Date | undefined {
  const millis = focusMillis(text);
  return millis === undefined ? undefined : new Date(millis);
}

/** The export shapes "2024-09-18 22:00:00" and "2024-09-18T22:00:00Z", which most rows use. */
function isCommonDateShape(text: string): boolean {
  return (
    (text.length === 19 || (text.length === 20 && text[19] === 'Z')) &&
    text[4] === '-' &&
    text[7] === '-' &&
    (text[10] === ' ' || text[10] === 'T') &&
    text[13] === ':' &&
    text[16] === ':'
  );
}

/** parseFocusDate as milliseconds since the epoch. */
export function focusMillis(text: string): number | undefined {
  if (isCommonDateShape(text)) {
    const year = digitsAt(text, 0, 4);
    const month = digitsAt(text, 5, 2);
    const day = digitsAt(text, 8, 2);
    const hour = digitsAt(text, 11, 2);
    const minute = digitsAt(text, 14, 2);
    const second = digitsAt(text, 17, 2);
    // NaN (a non-digit) fails every comparison below.
    if (!(year >= 100 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && hour <= 23 && minute <= 59 && second <= 59)) return undefined;
    return Date.UTC(year, month - 1, day, hour, minute, second);
  }
  const match = DATE_TIME.exec(text.trim());
  if (!match) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
  const fractionMillis = Number(fraction.padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, fractionMillis);
  const check = new Date(utc);
  // Rejects 2024-02-30, 25:00 and other values Date.UTC would silently roll over.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const hours = Number(digits.slice(0, 2));
    const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (hours > 14 || minutes > 59) return undefined;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  const millis = utc - offsetMinutes * 60_000;
  return Number.isNaN(new Date(millis).getTime()) ? undefined : millis;
}
