/** How recent a cluster's data is, from its newest sample. */
export type Freshness =
  | { state: 'receiving'; lastSampleAt: string }
  | { state: 'stale'; lastSampleAt: string }
  | { state: 'never' }
  /** No sample in the window looked at, which does not reach back to the cluster's creation. */
  | { state: 'silent' };

/** Beyond this a cluster that used to send is called stale. */
export const STALE_AFTER_MS = 15 * 60_000;

export function freshnessOf(
  recentLastSample: string | null | undefined,
  rangeLastSample: string | null | undefined,
  createdAt: string,
  lookedBackTo: string,
  now = Date.now(),
): Freshness {
  const newest = [recentLastSample, rangeLastSample].filter((t): t is string => !!t).sort().pop();
  if (newest) return now - Date.parse(newest) <= STALE_AFTER_MS ? { state: 'receiving', lastSampleAt: newest } : { state: 'stale', lastSampleAt: newest };
  return Date.parse(createdAt) >= Date.parse(lookedBackTo) ? { state: 'never' } : { state: 'silent' };
}
