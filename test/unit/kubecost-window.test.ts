import { assetCosts } from '../../subgraphs/kubecost/costs/queries';
import type { VectorPoint } from '../../subgraphs/kubecost/promql/thanos-client';
import { hourEvaluatedAt, hourQuery, pieceFromPoints, pieceQuery } from '../../subgraphs/kubecost/costs/pieces';
import { hourIntervalInstants, intervalQuery, pieceIntervalInstants, scrapeIntervalSeconds } from '../../subgraphs/kubecost/costs/scrape-interval';
import { costWindow } from '../../subgraphs/kubecost/costs/window';

const T = 'tenant_id=~"a|b"';
const D0 = Date.UTC(2026, 0, 1);

describe('kubecost running time by samples', () => {
  it('the scrape interval is the median of the instants, rounded to whole seconds', () => {
    expect(scrapeIntervalSeconds([15.0004, 14.9996, 15])).toBe(15);
    // An instant just after a gap spans it; the (lower) median ignores it.
    expect(scrapeIntervalSeconds([60, 60, 600, 60])).toBe(60);
    expect(scrapeIntervalSeconds([60, 120])).toBe(60);
    expect(scrapeIntervalSeconds([NaN, Infinity, 0, -5, 30])).toBe(30);
    expect(scrapeIntervalSeconds([0.2])).toBe(1);
  });

  it('no instant saw the cluster: no interval', () => {
    expect(scrapeIntervalSeconds([])).toBeNull();
    expect(scrapeIntervalSeconds([NaN])).toBeNull();
  });

  it('a piece is measured at instants inside it, 20 minutes apart, the last at its last millisecond, across its end, and just before it', () => {
    const hour = { startMs: D0, endMs: D0 + 3_600_000 };
    const at = (t: number) => ` @ ${(t / 1000).toFixed(3)}`;
    const instants = pieceIntervalInstants(hour, D0 + 86_400_000);
    expect(instants.map((i) => i.at)).toEqual([D0 + 4_200_000 - 1, D0 + 3_600_000 - 1, D0 + 2_400_000 - 1, D0 + 1_200_000 - 1, D0 - 1].map(at));
    // Each instant's earlier end is one span before it; across the end, the hour's last millisecond.
    expect(instants[1].before).toBe(at(D0 + 2_400_000 - 1));
    expect(instants[0]).toEqual({ at: at(D0 + 4_200_000 - 1), before: at(D0 + 3_600_000 - 1), spanMs: 600_000 });
    // Not across the end before that has happened (now floored to the minute).
    expect(pieceIntervalInstants(hour, D0 + 4_200_000 - 1_000).map((i) => i.at)).toEqual([D0 + 3_600_000 - 1, D0 + 2_400_000 - 1, D0 + 1_200_000 - 1, D0 - 1].map(at));
    // A 5-minute piece gets one instant inside it, and the one before it.
    expect(pieceIntervalInstants({ startMs: D0, endMs: D0 + 300_000 }, D0 + 300_000 + 60_000).map((i) => i.at)).toEqual([D0 + 300_000 - 1, D0 - 1].map(at));
  });

  it('a whole hour in a range query is measured at the same instants, as offsets from 10 minutes past its end', () => {
    expect(hourIntervalInstants()).toEqual([
      { at: '', before: ' offset 600000ms', spanMs: 600_000 },
      { at: ' offset 600000ms', before: ' offset 1800000ms', spanMs: 1_200_000 },
      { at: ' offset 1800000ms', before: ' offset 3000000ms', spanMs: 1_200_000 },
      { at: ' offset 3000000ms', before: ' offset 4200000ms', spanMs: 1_200_000 },
      { at: ' offset 4200000ms', before: ' offset 5400000ms', spanMs: 1_200_000 },
    ]);
    expect(hourQuery(T)).not.toContain(' @ ');
    expect(hourQuery(T)).toContain(`count_over_time(node_cpu_hourly_cost{${T}}[3599999ms] offset 600000ms)`);
    expect(hourEvaluatedAt(D0)).toBe(D0 + 3_600_000 - 1 + 600_000);
  });

  it('running time counts raw samples over the half-open window: no subquery, no lookback', () => {
    const window = costWindow(new Date(D0), new Date(D0 + 86_400_000));
    const query = assetCosts(T, window.range);
    expect(query).toContain('count_over_time(node_cpu_hourly_cost{tenant_id=~"a|b"}[86399999ms])');
    expect(query).not.toMatch(/\[\d+ms:\d+s\]/);
    // Non-finite objects are left out of the sums and counted apart.
    expect(query).toContain('> -Inf < Inf');
    expect(query).toContain('non_finite');
  });

  it('the interval is measured with @ instants, never offset together with @ (empty in Prometheus 2.42)', () => {
    const query = intervalQuery(T, pieceIntervalInstants({ startMs: D0, endMs: D0 + 3_600_000 }, D0 + 86_400_000));
    expect(query).toContain(`@ ${((D0 + 3_600_000 - 1) / 1000).toFixed(3)}`);
    expect(query).toContain(`@ ${((D0 + 3_600_000 - 1 - 1_200_000) / 1000).toFixed(3)}`);
    expect(query).not.toContain('offset');
    expect(query).toContain('quantile by (tenant_id) (0.5,');
  });

  it('an hourly piece is half-open: its selectors reach 1 ms short of the hour, pinned to its last millisecond', () => {
    const at = ` @ ${((D0 + 3_600_000 - 1) / 1000).toFixed(3)}`;
    const query = pieceQuery(T, 3_600_000, at, []);
    expect(query).toContain(`count_over_time(node_cpu_hourly_cost{${T}}[3599999ms]${at})`);
    expect(query).toContain(`increase(kubecost_pod_network_egress_bytes_total{${T}}[3599999ms]${at})`);
    expect(query).not.toContain('[3600000ms]');
  });

  it("a piece's samples are priced at the interval measured in it; none measured: the default, counted", () => {
    const piece = { startMs: D0, endMs: D0 + 3_600_000 };
    const cpu = { labels: { tenant_id: 'a', category: 'cpu' }, value: 120 };
    const measured = pieceFromPoints([cpu, ...[30, 30, 90].map((value, i) => ({ labels: { tenant_id: 'a', interval: String(i) }, value }))], piece);
    expect(measured.costs.cpu).toBeCloseTo((120 * 30) / 3600, 12);
    expect(measured).toMatchObject({ intervalSeconds: 30, intervalAssumed: 0 });
    const assumed = pieceFromPoints([cpu], piece);
    expect(assumed.costs.cpu).toBeCloseTo((120 * 60) / 3600, 12);
    expect(assumed).toMatchObject({ intervalSeconds: null, intervalAssumed: 1 });
    // Nothing charged, nothing assumed.
    expect(pieceFromPoints([], piece).intervalAssumed).toBe(0);
  });

  it('egress growth is scaled from the 1 ms short range to the piece, and priced by kind', () => {
    const piece = { startMs: D0, endMs: D0 + 3_600_000 };
    const GIB = 1073741824;
    const points: VectorPoint[] = [
      { labels: { tenant_id: 'a', category: 'egress_bytes', internet: 'true', same_zone: 'false', same_region: 'false' }, value: 2 * GIB * (3_599_999 / 3_600_000) },
      { labels: { tenant_id: 'a', category: 'egress_bytes', internet: 'false', same_zone: 'true', same_region: 'true' }, value: 50 * GIB },
      { labels: { tenant_id: 'a', category: 'egress_price_internet' }, value: 0.12 },
    ];
    expect(pieceFromPoints(points, piece).network).toBeCloseTo(0.24, 12);
    expect(pieceFromPoints([], piece).network).toBeNull();
  });
});
