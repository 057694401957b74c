import type { ClusterCostData, NamespaceCostData, NamespaceUsage } from '../../subgraphs/kubecost/costs/cluster-costs';
import { efficiency, idleRow, savings } from '../../subgraphs/kubecost/costs/insights';

/** A cluster whose node costs are CPU 60, RAM 30, GPU 10 over the window (total 100 with the rest 0). */
function cluster(overrides: Partial<ClusterCostData> = {}): ClusterCostData {
  const breakdown = { cpu: 60, ram: 30, gpu: 10, persistentVolumes: 0, network: null, loadBalancers: 0, clusterManagement: 0 };
  return { cloudAccountId: 'c', breakdown, totalCost: 100, lastSampleAt: null, capacityComplete: true, warnings: [], ...overrides };
}

function namespace(name: string, cpu: number, ram: number, gpu = 0): NamespaceCostData {
  return { namespace: name, cpu, ram, gpu, persistentVolumes: 0, loadBalancers: 0, totalCost: cpu + ram + gpu };
}

function usage(name: string, cpu: [number, number] | null, ram: [number, number] | null): NamespaceUsage {
  return { namespace: name, cpuUsage: cpu?.[0] ?? null, cpuRequest: cpu?.[1] ?? null, ramUsage: ram?.[0] ?? null, ramRequest: ram?.[1] ?? null };
}

describe('idle cost', () => {
  it('is node cost minus what namespaces were allocated, per resource', () => {
    const idle = idleRow(cluster(), [namespace('a', 20, 10), namespace('b', 10, 5, 4)]);
    expect(idle).toMatchObject({ namespace: '__idle__', cpu: 30, ram: 15, gpu: 6, persistentVolumes: 0, loadBalancers: 0 });
    expect(idle!.totalCost).toBeCloseTo(51, 9);
  });

  it('is never negative when namespaces were allocated more than the nodes cost (over-commit)', () => {
    const idle = idleRow(cluster(), [namespace('a', 80, 10)]);
    expect(idle).toMatchObject({ cpu: 0, ram: 20, gpu: 10, totalCost: 30 });
  });

  it('is unknown (no row) when a node had no capacity, and absent when nodes cost nothing', () => {
    expect(idleRow(cluster({ capacityComplete: false }), [namespace('a', 1, 1)])).toBeUndefined();
    expect(idleRow(cluster({ breakdown: { ...cluster().breakdown, cpu: 0, ram: 0, gpu: 0 } }), [])).toBeUndefined();
  });
});

describe('efficiency', () => {
  it('is usage over request, the total weighted by each resource cost', () => {
    const result = efficiency(cluster(), [usage('a', [1, 4], [2, 4]), usage('b', [1, 4], [2, 4])]);
    expect(result!.cpu).toBeCloseTo(0.25, 12);
    expect(result!.ram).toBeCloseTo(0.5, 12);
    // (0.25 × 60 + 0.5 × 30) / 90
    expect(result!.total).toBeCloseTo(1 / 3, 12);
  });

  it('leaves out rows without data, and is null when no resource has any', () => {
    const partial = efficiency(cluster(), [usage('a', [1, 2], null), usage('b', null, null)]);
    expect(partial).toEqual({ cpu: 0.5, ram: null, total: 0.5 });
    expect(efficiency(cluster(), [usage('a', null, null)])).toBeNull();
    expect(efficiency(cluster(), [usage('a', [1, 0], [1, 0])])).toBeNull();
  });
});

describe('savings recommendations', () => {
  it('right-sizes requests used under half, keeping 20% headroom, scaled to a month', () => {
    // A 73-hour window is a tenth of a 730-hour month.
    // The namespace takes 85 of the 100 node cost, so idle capacity (15%) is not recommended.
    const [rec] = savings(cluster(), 73, [namespace('web', 50, 25, 10)], [usage('web', [1, 10], null)], []);
    expect(rec.kind).toBe('REQUEST_RIGHTSIZING');
    expect(rec.target).toBe('namespace/web');
    // Excess share (10 − 1 × 1.2) / 10 = 0.88 of its CPU cost 50, × 10 windows a month.
    expect(rec.monthlySavings).toBeCloseTo(440, 9);
    expect(rec.explanation).toMatch(/CPU requests are 10% used/);
  });

  it('does not recommend requests used at least half, nor namespaces without cost rows', () => {
    expect(savings(cluster(), 730, [namespace('web', 10, 0)], [usage('web', [5, 10], null)], []).filter((r) => r.kind === 'REQUEST_RIGHTSIZING')).toEqual([]);
    expect(savings(cluster(), 730, [], [usage('ghost', [1, 10], null)], []).filter((r) => r.kind === 'REQUEST_RIGHTSIZING')).toEqual([]);
  });

  it('recommends deleting unclaimed volumes worth more than a cent a month, and idle capacity over 30%', () => {
    const recs = savings(cluster(), 730, [namespace('a', 30, 10)], [], [
      { persistentVolume: 'pv-big', hourlyCost: 0.1 },
      { persistentVolume: 'pv-tiny', hourlyCost: 0.00001 },
    ]);
    expect(recs.map((r) => [r.kind, r.target])).toEqual([
      // 0.1 an hour × 730 hours; the tiny one is under a cent a month.
      ['UNCLAIMED_VOLUME', 'persistentvolume/pv-big'],
      // Idle: 100 − 40 = 60 of 100 node cost, over a whole month.
      ['IDLE_CAPACITY', 'cluster'],
    ]);
    expect(recs[0].monthlySavings).toBeCloseTo(73, 9);
    expect(recs[1].monthlySavings).toBeCloseTo(60, 9);
  });

  it('lists recommendations largest saving first', () => {
    const recs = savings(cluster(), 730, [namespace('a', 5, 5), namespace('b', 40, 20)], [usage('a', [0.1, 10], null), usage('b', [1, 10], null)], [
      { persistentVolume: 'pv', hourlyCost: 0.01 },
    ]);
    const amounts = recs.map((r) => r.monthlySavings);
    expect(amounts).toEqual([...amounts].sort((x, y) => y - x));
    expect(recs.length).toBeGreaterThanOrEqual(3);
  });
});
