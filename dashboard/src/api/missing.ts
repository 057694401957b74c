import type { GraphQLErrorEntry } from './client';

/** What a reader calls each part of an answer that can fail on its own. */
const PARTS: Array<[RegExp, string]> = [
  [/^ingestStatus$/, 'ingest status'],
  [/^(kubernetesCosts|kubernetesCost|previousKubernetes|series|namespaces|efficiency|savings)$/, 'Kubernetes costs'],
  [/^(costSummary|previousSummary)$/, 'Kubernetes part of the totals'],
  [/^(expenses|previousExpenses|items|breakdown|services|days)$/, 'cloud expenses'],
  [/^(cloudAccounts|cloudAccount|organization|organizations)$/, 'accounts'],
];

const SERVICES: Record<string, string> = { kubecost: 'the Kubernetes cost service', expenses: 'the expenses service' };
/** What a subgraph's failure takes away when the error carries no path. */
const SERVICE_PARTS: Record<string, string> = { kubecost: 'Kubernetes costs', expenses: 'cloud expenses and accounts' };

function partOf(error: GraphQLErrorEntry): string {
  const segments = [...(error.path ?? [])].reverse().filter((s): s is string => typeof s === 'string');
  for (const segment of segments) {
    const found = PARTS.find(([pattern]) => pattern.test(segment));
    if (found) return found[1];
  }
  return SERVICE_PARTS[error.extensions?.serviceName ?? ''] ?? 'part of the data';
}

/** One sentence per missing part, naming what is missing and why (service or metrics store). */
export function describeMissing(errors: readonly GraphQLErrorEntry[]): string[] {
  const lines = new Set<string>();
  for (const error of errors) {
    const code = error.extensions?.code;
    const service = error.extensions?.serviceName;
    const why =
      code === 'UPSTREAM_UNAVAILABLE'
        ? 'the metrics store is unavailable'
        : code === 'DOWNSTREAM_SERVICE_ERROR' && service
          ? `${SERVICES[service] ?? service} is unavailable`
          : error.message;
    lines.add(`${partOf(error)}: ${why}`);
  }
  return [...lines];
}

/** Whether some error concerns a field under `field` (so its panel shows an error, not zeros). */
export function failedUnder(errors: readonly GraphQLErrorEntry[], field: string): boolean {
  return errors.some((e) => (e.path ?? []).includes(field));
}
