/**
 * The page's range: whole UTC days `[from, to)` from the URL (`?from=2026-11-01&to=2026-12-01`,
 * `to` excluded). Presets that include today end at the next UTC midnight, so today counts
 * as far as it went.
 */
export interface DayRange {
  /** YYYY-MM-DD, included. */
  from: string;
  /** YYYY-MM-DD, excluded. */
  to: string;
}

const DAY_MS = 86_400_000;
/** The API's longest range; the previous range of equal length must fit too. */
const MAX_DAYS = 400;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const msOf = (day: string) => Date.parse(`${day}T00:00:00Z`);
const nextMidnight = (now: number) => Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;

export interface Preset {
  id: string;
  label: string;
  range: (now: number) => DayRange;
}

const lastDays = (days: number): Preset => ({
  id: `${days}d`,
  label: `Last ${days} days`,
  range: (now) => ({ from: dayOf(nextMidnight(now) - days * DAY_MS), to: dayOf(nextMidnight(now)) }),
});

export const PRESETS: Preset[] = [
  lastDays(7),
  lastDays(30),
  lastDays(90),
  {
    id: 'this-month',
    label: 'This month',
    range: (now) => ({ from: `${dayOf(now).slice(0, 7)}-01`, to: dayOf(nextMidnight(now)) }),
  },
  {
    id: 'last-month',
    label: 'Last month',
    range: (now) => {
      const d = new Date(now);
      return { from: dayOf(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1)), to: dayOf(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)) };
    },
  },
];

export const DEFAULT_PRESET = PRESETS[1];

/** The range the URL states, or the default (last 30 days) when it states none or a bad one. */
export function rangeFromSearch(search: URLSearchParams, now = Date.now()): DayRange & { fromUrl: boolean } {
  const from = search.get('from');
  const to = search.get('to');
  if (from && to && DAY.test(from) && DAY.test(to)) {
    const days = (msOf(to) - msOf(from)) / DAY_MS;
    if (Number.isFinite(days) && days >= 1 && days <= MAX_DAYS) return { from, to, fromUrl: true };
  }
  return { ...DEFAULT_PRESET.range(now), fromUrl: false };
}

export function presetOf(range: DayRange, now = Date.now()): Preset | undefined {
  return PRESETS.find((p) => {
    const r = p.range(now);
    return r.from === range.from && r.to === range.to;
  });
}

export const days = (range: DayRange) => Math.round((msOf(range.to) - msOf(range.from)) / DAY_MS);

/** The API's DateRangeInput for a day range. */
export function apiRange(range: DayRange): { from: string; to: string } {
  return { from: `${range.from}T00:00:00Z`, to: `${range.to}T00:00:00Z` };
}

/** The range of equal length just before, for the change figures. */
export function previousRange(range: DayRange): DayRange {
  const length = msOf(range.to) - msOf(range.from);
  return { from: dayOf(msOf(range.from) - length), to: range.from };
}

/** `2026-11-01 – 2026-11-30` (the last included day), for headings. */
export function describeRange(range: DayRange): string {
  return `${range.from} – ${dayOf(msOf(range.to) - DAY_MS)}`;
}
