import { assetCosts } from '../../subgraphs/kubecost/costs/queries';
import type { VectorPoint } from '../../subgraphs/kubecost/promql/thanos-client';
import { hourEvaluatedAt, hourQuery, pieceFromPoints, pieceQuery } from '../../subgraphs/kubecost/costs/pieces';
import { intervalQuery, pinnedForPiece, scrapeIntervalSeconds } from '../../subgraphs/kubecost/costs/scrape-interval';
import { costWindow } from '../../subgraphs/kubecost/costs/window';

const T = 'tenant_id=~"a|b"';
const D0 = Date.UTC(2026, 0, 1);

describe('kubecost running time by samples', () => {
  it("the scrape interval is 3600 s over the samples of a series present throughout the hour, else the hour before's, else the 10 minutes after's", () => {
    expect(scrapeIntervalSeconds({ hour: 60, previous: 12, after: 2 })).toBe(60);
    expect(scrapeIntervalSeconds({ previous: 12, after: 10 })).toBe(300);
    expect(scrapeIntervalSeconds({ after: 10 })).toBe(60);
    // Intervals that do not divide the hour still round to their whole seconds.
    expect(scrapeIntervalSeconds({ hour: 514 })).toBe(7);
    expect(scrapeIntervalSeconds({ hour: 80 })).toBe(45);
    expect(scrapeIntervalSeconds({ hour: NaN, previous: 0, after: 4 })).toBe(150);
  });

  it('no series present throughout any source: no interval', () => {
    expect(scrapeIntervalSeconds({})).toBeNull();
    expect(scrapeIntervalSeconds({ hour: NaN })).toBeNull();
  });

  it("a piece's interval is its hour's, pinned to 10 minutes after that hour's end; the 10 minutes only once they have passed", () => {
    const piece = { startMs: D0 + 20 * 60_000, endMs: D0 + 30 * 60_000 };
    const evaluation = D0 + 4_200_000;
    const past = pinnedForPiece(piece, D0 + 86_400_000);
    expect(past.withAfter).toBe(true);
    expect(past.at(600_001)).toBe(` @ ${((evaluation - 600_001) / 1000).toFixed(3)}`);
    const query = intervalQuery(T, past.at, past.withAfter);
    // The hour: its samples over [start, end − 1 ms], and a sample in each of its 5-minute slots.
    expect(query).toContain(`count_over_time(node_cpu_hourly_cost{${T}}[3599999ms] @ ${((D0 + 3_600_000 - 1) / 1000).toFixed(3)})`);
    expect(query).toContain(`count_over_time(count_over_time(node_cpu_hourly_cost{${T}}[300000ms])[3600000ms:300000ms] @ ${((D0 + 3_600_000) / 1000).toFixed(3)}) >= 12`);
    expect(query).toContain('"interval_from", "after"');
    expect(query).not.toContain('timestamp(');
    // Before the 10 minutes have passed (now floored to the minute), no "after".
    const open = pinnedForPiece(piece, evaluation - 1);
    expect(open.withAfter).toBe(false);
    expect(intervalQuery(T, open.at, open.withAfter)).not.toContain('"after"');
    // An hour still going (here at its 57th minute, every 5-minute slot holding a sample) is not
    // counted as an hour's samples: the hour before prices it.
    const going = pinnedForPiece(piece, D0 + 57 * 60_000);
    expect(going).toMatchObject({ withHour: false, withAfter: false });
    const goingQuery = intervalQuery(T, going.at, going.withAfter, going.withHour);
    expect(goingQuery).not.toContain('"interval_from", "hour"');
    expect(goingQuery).toContain('"interval_from", "previous"');
    expect(pinnedForPiece(piece, D0 + 3_600_000).withHour).toBe(true);
  });

  it('whole hours in a range query: evaluated 10 minutes after their end, every selector shifted back by offsets, no timestamp()', () => {
    const query = hourQuery(T);
    expect(query).not.toContain(' @ ');
    expect(query).not.toContain('timestamp(');
    expect(query).toContain(`count_over_time(node_cpu_hourly_cost{${T}}[3599999ms] offset 600001ms)`);
    expect(query).toContain(`[3600000ms:300000ms] offset 4200000ms) >= 12`);
    expect(hourEvaluatedAt(D0)).toBe(D0 + 3_600_000 + 600_000);
  });

  it('running time counts raw samples over the half-open window: no subquery, no lookback', () => {
    const window = costWindow(new Date(D0), new Date(D0 + 86_400_000));
    const query = assetCosts(T, window.range);
    expect(query).toContain('count_over_time(node_cpu_hourly_cost{tenant_id=~"a|b"}[86399999ms])');
    expect(query).not.toMatch(/\[\d+ms:\d+s\]/);
    // One value per object, summed by the caller (which leaves non-finite ones out): every
    // selector is evaluated once.
    expect(query).not.toContain('sum by');
    expect(query.match(/avg_over_time\(node_cpu_hourly_cost/g)).toHaveLength(1);
  });

  it('an hourly piece is half-open: its selectors reach 1 ms short of the hour, pinned to its last millisecond', () => {
    const at = ` @ ${((D0 + 3_600_000 - 1) / 1000).toFixed(3)}`;
    const query = pieceQuery(T, 3_600_000, at, 'vector(0)');
    expect(query).toContain(`count_over_time(node_cpu_hourly_cost{${T}}[3599999ms]${at})`);
    expect(query).toContain(`increase(kubecost_pod_network_egress_bytes_total{${T}}[3599999ms]${at})`);
    expect(query).not.toContain('[3600000ms]');
  });

  it("a piece's samples are priced at the interval measured in it; none measured: the default, counted", () => {
    const piece = { startMs: D0, endMs: D0 + 3_600_000 };
    const cpu = { labels: { tenant_id: 'a', category: 'cpu' }, value: 120 };
    const measured = pieceFromPoints([cpu, { labels: { tenant_id: 'a', interval_from: 'hour' }, value: 120 }], piece);
    expect(measured.costs.cpu).toBeCloseTo((120 * 30) / 3600, 12);
    expect(measured).toMatchObject({ intervalSeconds: 30, intervalAssumed: 0 });
    const assumed = pieceFromPoints([cpu], piece);
    expect(assumed.costs.cpu).toBeCloseTo((120 * 60) / 3600, 12);
    expect(assumed).toMatchObject({ intervalSeconds: null, intervalAssumed: 1 });
    // A NaN or infinite object is left out of the sum and counted.
    const bad = pieceFromPoints([cpu, { labels: { tenant_id: 'a', category: 'cpu', node: 'n2' }, value: NaN }, { labels: { tenant_id: 'a', category: 'ram', node: 'n2' }, value: Infinity }], piece);
    expect(bad.costs.cpu).toBeCloseTo((120 * 60) / 3600, 12);
    expect(bad.nonFinite).toEqual({ cpu: 1, ram: 1 });
    // Nothing charged, nothing assumed.
    expect(pieceFromPoints([], piece).intervalAssumed).toBe(0);
  });

  it("a piece's assets: nodes with their provider id and resource split, volumes, load balancers; a node whose id changed counts once, at its larger value", () => {
    const piece = { startMs: D0, endMs: D0 + 3_600_000 };
    const node = (category: string, value: number, provider_id?: string) => ({ labels: { tenant_id: 'a', category, node: 'n1', ...(provider_id ? { provider_id } : {}) }, value });
    const points: VectorPoint[] = [
      { labels: { tenant_id: 'a', interval_from: 'hour' }, value: 60 },
      node('cpu', 36, 'aws:///us-east-1a/i-old'),
      node('cpu', 48, 'aws:///us-east-1a/i-new'),
      node('ram', 12),
      { labels: { tenant_id: 'a', category: 'persistentVolumes', persistentvolume: 'pv-1', provider_id: 'vol-1' }, value: 6 },
      { labels: { tenant_id: 'a', category: 'loadBalancers', namespace: 'web', service_name: 'lb', ingress_ip: '10.0.0.1' }, value: 3 },
      { labels: { tenant_id: 'a', category: 'clusterManagement' }, value: 6 },
    ];
    const costs = pieceFromPoints(points, piece);
    // 60 samples an hour: each stands for a minute.
    expect(costs.costs.cpu).toBeCloseTo(48 / 60, 12);
    expect(costs.assets).toEqual([
      { kind: 'node', name: 'n1', providerId: 'aws:///us-east-1a/i-new', cpu: 48 / 60, ram: 12 / 60, gpu: 0, cost: 60 / 60 },
      { kind: 'volume', name: 'pv-1', providerId: 'vol-1', cpu: 0, ram: 0, gpu: 0, cost: 6 / 60 },
      { kind: 'load-balancer', name: 'web/lb/10.0.0.1', providerId: '', cpu: 0, ram: 0, gpu: 0, cost: 3 / 60 },
    ]);
    expect(costs.costs.clusterManagement).toBeCloseTo(0.1, 12);
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
