import { CONTEXT_HEADER, signContext } from '../../lib/internal-auth/signed-context';

/** The dashboard's expenses overview: totals, a service breakdown and the first page of rows. */
export const OVERVIEW_QUERY = `query Overview($id: ID!, $range: DateRangeInput!) {
  organization(id: $id) {
    expenses(range: $range) {
      totalCost
      count
      breakdown(by: SERVICE) { key cost }
      items(first: 50) {
        nodes { id cost chargePeriodStart serviceName region resourceId tags { key value } cloudAccount { id name type } }
        pageInfo { endCursor hasNextPage }
      }
    }
  }
}`;

export interface OverviewResult {
  totalCost: number;
  count: number;
  services: number;
  items: number;
}

export interface Latencies {
  p50: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
  runs: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function summarizeLatencies(ms: readonly number[]): Latencies {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length };
}

/**
 * Posts the overview query the way the gateway does (JSON, signed caller context) and checks
 * the answer has no errors, so a broken subgraph cannot pass for a fast one.
 */
export async function runOverview(url: string, secret: string, organizationId: string, range: { from: string; to: string }): Promise<OverviewResult> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', [CONTEXT_HEADER]: signContext({ subject: 'bench', organizationIds: [organizationId], role: 'read-only' }, secret) },
    body: JSON.stringify({ query: OVERVIEW_QUERY, variables: { id: organizationId, range } }),
  });
  const body = (await response.json()) as {
    data?: { organization: { expenses: { totalCost: number; count: number; breakdown: unknown[]; items: { nodes: unknown[] } } } | null };
    errors?: Array<{ message: string }>;
  };
  if (!response.ok || body.errors || !body.data?.organization) {
    throw new Error(`overview query failed (HTTP ${response.status}): ${JSON.stringify(body.errors ?? body).slice(0, 500)}`);
  }
  const report = body.data.organization.expenses;
  return { totalCost: report.totalCost, count: report.count, services: report.breakdown.length, items: report.items.nodes.length };
}

/** `warmup` unmeasured runs, then `runs` sequential measured ones (ms each). */
export async function measureOverview(
  url: string,
  secret: string,
  organizationId: string,
  range: { from: string; to: string },
  warmup: number,
  runs: number,
): Promise<{ latencies: Latencies; result: OverviewResult }> {
  let result = await runOverview(url, secret, organizationId, range);
  for (let i = 1; i < warmup; i++) await runOverview(url, secret, organizationId, range);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    result = await runOverview(url, secret, organizationId, range);
    ms.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return { latencies: summarizeLatencies(ms), result };
}
