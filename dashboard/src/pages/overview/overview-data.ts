import type { OverviewQuery } from '../../api/generated';
import { CATEGORIES, type CategoryKey } from '../../charts/palette';
import { dayOf, type DayRange } from '../../range/range';

type Organization = OverviewQuery['organizations'][number];
type Cluster = NonNullable<Organization['kubernetesCosts']>['clusters'][number];

export interface DayCost {
  day: string;
  /** null: no expense on that day (no data, not $0). */
  cloud: number | null;
  /** null: no cluster sent data, or the Kubernetes costs are unavailable. */
  kubernetes: number | null;
}

/** One row per UTC day of the range: cloud from the DAY breakdown, Kubernetes summed over the clusters' daily series. */
export function costPerDay(org: Organization, range: DayRange): DayCost[] {
  const cloud = new Map(org.expenses.days.map((g) => [g.key, g.cost]));
  const clusters = (org.kubernetesCosts?.clusters ?? []).filter((c) => c.hasData);
  const kubernetes = new Map<string, number>();
  for (const cluster of clusters) {
    for (const point of cluster.series) kubernetes.set(point.start.slice(0, 10), (kubernetes.get(point.start.slice(0, 10)) ?? 0) + point.totalCost);
  }
  const rows: DayCost[] = [];
  for (let ms = Date.parse(`${range.from}T00:00:00Z`); ms < Date.parse(`${range.to}T00:00:00Z`); ms += 86_400_000) {
    const day = dayOf(ms);
    // A running cluster always costs something (nodes, fees): a day at exactly 0 across every
    // cluster is a day without samples, which reads as "no data", not $0.00.
    rows.push({ day, cloud: cloud.get(day) ?? null, kubernetes: kubernetes.get(day) || null });
  }
  return rows;
}

/** Each category summed over the clusters with data; network is unknown for clusters that send no egress metrics. */
export function categoriesAcrossClusters(clusters: readonly Cluster[]): Array<{ key: CategoryKey; label: string; cost: number; unknownIn: number }> {
  const withData = clusters.filter((c) => c.hasData);
  return CATEGORIES.map(({ key, label }) => {
    let cost = 0;
    let unknownIn = 0;
    for (const cluster of withData) {
      const value = cluster.breakdown[key];
      if (value === null) unknownIn += 1;
      else cost += value;
    }
    return { key, label, cost, unknownIn };
  });
}

/** The biggest services, and the rest as one row, so the list stays readable. */
export function topServices(services: Organization['expenses']['services'], shown = 8): Array<{ name: string; cost: number }> {
  const top = services.slice(0, shown).map((s) => ({ name: s.key === '' ? '(no service)' : s.key, cost: s.cost }));
  const rest = services.slice(shown).reduce((sum, s) => sum + s.cost, 0);
  return services.length > shown ? [...top, { name: `${services.length - shown} other services`, cost: rest }] : top;
}
