import { costWindow, seriesBucketCount, seriesBuckets, subquery } from '../../subgraphs/kubecost/costs/window';
import { seededRandom } from '../../dev/seeded-random';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const D0 = Date.UTC(2026, 10, 1);

describe('cost window', () => {
  it('evaluates [from, to) at to − 1 ms over length − 1 ms, so a sample at `to` belongs to the next window', () => {
    const w = costWindow(new Date(D0), new Date(D0 + DAY));
    expect(w).toMatchObject({ fromMs: D0, toMs: D0 + DAY, evalMs: D0 + DAY - 1, range: `${DAY - 1}ms`, hours: 24 });
  });

  it('picks the finest resolution that divides an hour with at most 1440 points, hourly past 60 days', () => {
    expect(costWindow(new Date(D0), new Date(D0 + HOUR)).resolutionSeconds).toBe(60);
    expect(costWindow(new Date(D0), new Date(D0 + DAY)).resolutionSeconds).toBe(60);
    expect(costWindow(new Date(D0), new Date(D0 + 2 * DAY)).resolutionSeconds).toBe(120);
    expect(costWindow(new Date(D0), new Date(D0 + 30 * DAY)).resolutionSeconds).toBe(1800);
    expect(costWindow(new Date(D0), new Date(D0 + 400 * DAY)).resolutionSeconds).toBe(3600);
    for (const days of [1, 3, 7, 10, 30, 31, 60, 90]) {
      const { resolutionSeconds } = costWindow(new Date(D0), new Date(D0 + days * DAY));
      expect(3600 % resolutionSeconds).toBe(0);
      expect((days * DAY) / 1000 / resolutionSeconds).toBeLessThanOrEqual(Math.max(1440, days * 24));
    }
    expect(subquery(costWindow(new Date(D0), new Date(D0 + DAY)))).toBe(`[${DAY - 1}ms:60s]`);
  });
});

describe('series buckets', () => {
  it('are UTC days or hours, the first and last clipped to the range', () => {
    const from = D0 + 6 * HOUR;
    const to = D0 + 2 * DAY + 3 * HOUR;
    expect(seriesBuckets(from, to, DAY)).toEqual([
      { startMs: from, endMs: D0 + DAY },
      { startMs: D0 + DAY, endMs: D0 + 2 * DAY },
      { startMs: D0 + 2 * DAY, endMs: to },
    ]);
    expect(seriesBuckets(D0, D0 + DAY, DAY)).toEqual([{ startMs: D0, endMs: D0 + DAY }]);
  });

  it('tile any range exactly, and their count is known without building them', () => {
    const random = seededRandom(17);
    for (let i = 0; i < 500; i++) {
      const from = D0 + Math.floor(random() * 10 * DAY);
      const to = from + 60_000 + Math.floor(random() * 20 * DAY);
      const step = random() < 0.5 ? HOUR : DAY;
      const buckets = seriesBuckets(from, to, step);
      const joined = buckets.every((b, k) => (k === 0 ? b.startMs === from : b.startMs === buckets[k - 1].endMs && b.startMs % step === 0));
      const sized = buckets.every((b) => b.endMs > b.startMs && b.endMs - b.startMs <= step);
      expect({ case: i, joined, sized, end: buckets[buckets.length - 1].endMs, count: seriesBucketCount(from, to, step) }).toEqual({
        case: i,
        joined: true,
        sized: true,
        end: to,
        count: buckets.length,
      });
    }
  });
});
