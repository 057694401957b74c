import { LRUCache } from 'lru-cache';
import { badInput } from '../../../lib/graphql/errors';
import type { ClusterCostData } from '../costs/cluster-costs';
import { addInto, allocate, isReserved, OTHER, reservedRow, type AllocationGroup, type AllocationOptions, type AllocationRow, type IdleMode } from './allocate';
import type { AllocationInputs } from './load';

/*
 * The allocation fields' arguments checked, and their answers: one cluster's rows, or every
 * cluster's rows together, each naming its cluster.
 */

export interface AllocationArgs {
  by: AllocationGroup[];
  idle: IdleMode;
  sharedNamespaces?: string[] | null;
  top: number;
}

export interface ReportRow extends AllocationRow {
  /** The cluster's cloud account; null for an __other__ row of several clusters. */
  clusterId: string | null;
  efficiency: number | null;
}

export interface AllocationReport {
  rows: ReportRow[];
  idleCost: number;
  totalCost: number;
  warnings: string[];
}

const MAX_TOP = 1000;
const MAX_GROUPS = 3;
/** A Kubernetes label key: an optional DNS prefix and `/`, then a name of up to 63 characters. */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

export function allocationOptions(args: AllocationArgs): AllocationOptions {
  if (args.by.length < 1 || args.by.length > MAX_GROUPS) throw badInput(`by must name 1 to ${MAX_GROUPS} dimensions`, 'by');
  for (const group of args.by) {
    if (group.dimension === 'LABEL' && !LABEL_KEY.test(group.labelKey ?? '')) throw badInput('a LABEL group needs labelKey, a Kubernetes label key (team, app.kubernetes.io/name)', 'by');
    if (group.dimension !== 'LABEL' && group.labelKey) throw badInput(`labelKey is for LABEL groups, not ${group.dimension}`, 'by');
  }
  if (!Number.isInteger(args.top) || args.top < 1 || args.top > MAX_TOP) throw badInput(`top must be between 1 and ${MAX_TOP}`, 'top');
  const shared = args.sharedNamespaces ?? [];
  if (shared.length > 100 || shared.some((ns) => ns.length === 0 || ns.length > 253)) throw badInput('sharedNamespaces: at most 100 namespace names', 'sharedNamespaces');
  return { by: args.by, idle: args.idle, sharedNamespaces: shared, top: args.top };
}

/** Used over requested CPU and memory, weighted by their cost; null without requests. */
function efficiency(row: AllocationRow): number | null {
  let weighted = 0;
  let weight = 0;
  if (row.cpuCoreHoursRequested > 0) {
    weighted += row.cpu * (row.cpuCoreHoursUsed / row.cpuCoreHoursRequested);
    weight += row.cpu;
  }
  if (row.ramByteHoursRequested > 0) {
    weighted += row.ram * (row.ramByteHoursUsed / row.ramByteHoursRequested);
    weight += row.ram;
  }
  return weight > 0 ? weighted / weight : null;
}

const withCluster = (clusterId: string | null) => (row: AllocationRow): ReportRow => ({ ...row, clusterId, efficiency: efficiency(row) });

export function clusterAllocation(clusterId: string, cluster: ClusterCostData, inputs: AllocationInputs, options: AllocationOptions): AllocationReport {
  const result = allocate(inputs.pods, inputs.workloads, cluster.breakdown, inputs.loadBalancersByNamespace, options);
  return { ...result, rows: result.rows.map(withCluster(clusterId)) };
}

/**
 * Recent organization reports, reused while every cluster's inputs are the very same objects
 * and its totals the same numbers (a repeat, a dashboard's second look): grouping a fleet's pods
 * is the report's main cost once its inputs are cached.
 */
const reports = new LRUCache<string, { inputs: readonly AllocationInputs[]; report: AllocationReport }>({ max: 256 });

/**
 * Every cluster's rows together: the most expensive `top` of them, the rest as one __other__,
 * then each cluster's reserved rows. The report may be shared: it must not be changed.
 */
export function organizationAllocation(clusters: ReadonlyArray<{ id: string; cluster: ClusterCostData; inputs: AllocationInputs }>, options: AllocationOptions): AllocationReport {
  const key = `${JSON.stringify(options)}|${clusters.map(({ id, cluster }) => `${id}:${Object.values(cluster.breakdown).join(':')}`).join(',')}`;
  const inputs = clusters.map((c) => c.inputs);
  const before = reports.get(key);
  if (before && before.inputs.every((input, i) => input === inputs[i])) return before.report;
  const report = groupOrganization(clusters, options);
  reports.set(key, { inputs, report });
  return report;
}

function groupOrganization(clusters: ReadonlyArray<{ id: string; cluster: ClusterCostData; inputs: AllocationInputs }>, options: AllocationOptions): AllocationReport {
  const each = clusters.map(({ id, cluster, inputs }) => clusterAllocation(id, cluster, inputs, { ...options, top: MAX_TOP }));
  const rows = each.flatMap((r) => r.rows);
  const ordinary = rows.filter((r) => !isReserved(r)).sort((a, b) => b.totalCost - a.totalCost || a.name.localeCompare(b.name));
  const kept: ReportRow[] = ordinary.slice(0, options.top);
  const rest = ordinary.slice(options.top);
  if (rest.length > 0) {
    const other = withCluster(null)(reservedRow(OTHER, options.by));
    for (const row of rest) addInto(other, row);
    other.efficiency = efficiency(other);
    kept.push(other);
  }
  const reserved = rows.filter(isReserved);
  const all = [...kept, ...reserved];
  return {
    rows: all,
    idleCost: each.reduce((sum, r) => sum + r.idleCost, 0),
    totalCost: all.reduce((sum, r) => sum + r.totalCost, 0),
    warnings: each.flatMap((r, i) => r.warnings.map((w) => `${clusters[i].id}: ${w}`)),
  };
}
