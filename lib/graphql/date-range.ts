import { badInput } from './errors';

export interface DateRange {
  from: Date;
  to: Date;
}

/** Ranges longer than this are refused: they would scan more than a year of data. */
export const MAX_RANGE_DAYS = 400;

/** Validates a half-open `[from, to)` range. */
export function checkRange(range: DateRange): DateRange {
  const span = range.to.getTime() - range.from.getTime();
  if (span <= 0) throw badInput('range.to must be after range.from', 'range');
  if (span > MAX_RANGE_DAYS * 86_400_000) throw badInput(`range may span at most ${MAX_RANGE_DAYS} days`, 'range');
  return range;
}
