const DAY_MS = 86_400_000;
/** FOCUS exports write instants as quoted `YYYY-MM-DD HH:MM:SS` (UTC); only whole fields match. */
const INSTANT = /"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})"/g;

/**
 * Moves every instant of a FOCUS CSV by whole days, so a fixed billing export can stand for
 * recent spending (demo data, end-to-end tests) without touching anything else in the file.
 */
export function shiftFocusDates(csv: string, days: number): string {
  return csv.replace(INSTANT, (_, date: string, time: string) => {
    const shifted = new Date(Date.parse(`${date}T${time}Z`) + days * DAY_MS).toISOString();
    return `"${shifted.slice(0, 10)} ${shifted.slice(11, 19)}"`;
  });
}

/** Whole days from one UTC midnight to another (both must be midnights). */
export function daysBetween(from: Date, to: Date): number {
  return Math.round((to.getTime() - from.getTime()) / DAY_MS);
}
