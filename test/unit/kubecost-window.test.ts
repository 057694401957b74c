import { assetCosts, scrapeIntervalQuery } from '../../subgraphs/kubecost/costs/queries';
import { networkQuery, pieceQuery } from '../../subgraphs/kubecost/costs/pieces';
import { intervalInstants, scrapeIntervalSeconds } from '../../subgraphs/kubecost/costs/scrape-interval';
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

  it('instants lie inside the window, the last at its evaluation time', () => {
    const instants = intervalInstants(D0, D0 + 86_400_000);
    expect(instants).toHaveLength(6);
    expect(instants[0]).toBe(D0 + 86_400_000 - 1);
    for (const t of instants) {
      expect(t).toBeGreaterThanOrEqual(D0);
      expect(t).toBeLessThan(D0 + 86_400_000);
    }
    // A one-minute window still gets distinct instants inside it.
    const short = intervalInstants(D0, D0 + 60_000);
    expect(new Set(short).size).toBe(short.length);
    for (const t of short) expect(t).toBeGreaterThanOrEqual(D0);
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
    const query = scrapeIntervalQuery(T, [D0 + 3_600_000 - 1]);
    expect(query).toContain(`@ ${((D0 + 3_600_000 - 1) / 1000).toFixed(3)}`);
    expect(query).toContain(`@ ${((D0 + 3_600_000 - 1 - 1_200_000) / 1000).toFixed(3)}`);
    expect(query).not.toContain('offset');
    expect(query).toContain('quantile by (tenant_id) (0.5,');
  });

  it('egress counters are read over the whole range, at its end', () => {
    expect(networkQuery(T, D0, D0 + 86_400_000)).toContain(`kubecost_pod_network_egress_bytes_total{${T}}[86400000ms] @ ${((D0 + 86_400_000) / 1000).toFixed(3)}`);
  });

  it('an hourly piece is half-open: its selectors reach 1 ms short of the hour, pinned to its last millisecond', () => {
    const at = ` @ ${((D0 + 3_600_000 - 1) / 1000).toFixed(3)}`;
    const query = pieceQuery(T, 3_600_000, at);
    expect(query).toContain(`count_over_time(node_cpu_hourly_cost{${T}}[3599999ms]${at})`);
    expect(query).not.toContain('[3600000ms]');
    expect(query).not.toContain('kubecost_pod_network_egress_bytes_total');
  });
});
