import { badInput } from './errors';

export interface DateRange {
  from: Date;
  to: Date;
}

/** Ranges longer than this are refused: they would scan more than a year of data. */
export const MAX_RANGE_DAYS = 400;

/** The shortest range answered. */
const MIN_RANGE_MS = 60_000;

/** Validates a half-open `[from, to)` range. */
export function checkRange(range: DateRange): DateRange {
  const span = range.to.getTime() - range.from.getTime();
  if (span <= 0) throw badInput('range.to must be after range.from', 'range');
  // Costs are computed at a resolution of a minute at best; shorter ranges have none to show.
  if (span < MIN_RANGE_MS) throw badInput('range must span at least one minute', 'range');
  if (span > MAX_RANGE_DAYS * 86_400_000) throw badInput(`range may span at most ${MAX_RANGE_DAYS} days`, 'range');
  return range;
}

/**
 * A range inside an entity representation (`_entities`) arrives as raw JSON, not through the
 * DateTime scalar: parse and check it like an argument.
 */
export function parseRepresentedRange(from: unknown, to: unknown): DateRange {
  const parsed = [from, to].map((value) => (typeof value === 'string' ? new Date(value) : new Date(NaN)));
  if (parsed.some((d) => Number.isNaN(d.getTime()))) throw badInput('range bounds must be ISO-8601 instants', 'range');
  return checkRange({ from: parsed[0], to: parsed[1] });
}
