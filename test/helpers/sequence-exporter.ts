import { startExporterProcess, type ExporterProcess } from './exporter-process';

export type SequenceExporter = ExporterProcess;

/**
 * An exporter whose one series carries the scrape's sequence number as its value, so every
 * scrape becomes one distinguishable sample in the store: a lost sample is a missing value,
 * counted exactly, not a shortfall hidden in a count. `extra` is appended to every scrape
 * (more series, e.g. a real Kubecost exposition) to give the agent realistic batches. It runs
 * in a process of its own (see exporter-child.cjs).
 */
export function startSequenceExporter(metric: string, labels: Record<string, string>, extra = ''): Promise<SequenceExporter> {
  const labelText = Object.entries(labels)
    .map(([name, value]) => `${name}="${value}"`)
    .join(',');
  return startExporterProcess({ sequence: { metric, labelText, extra } });
}

/** The samples (timestamp ms, value) of the series matching `selector` in [start, end] (ms), exactly as stored. */
export async function storedSamples(storeUrl: string, selector: string, startMs: number, endMs: number): Promise<Array<[number, number]>> {
  // A range selector at one instant returns raw samples (no step interpolation, no staleness).
  const rangeMs = Math.max(1, Math.ceil(endMs - startMs));
  const params = new URLSearchParams({ query: `${selector}[${rangeMs}ms]`, time: String(endMs / 1000) });
  const response = await fetch(`${storeUrl}/api/v1/query?${params}`);
  const body = (await response.json()) as { status: string; error?: string; data: { result: Array<{ values: Array<[number, string]> }> } };
  if (body.status !== 'success') throw new Error(`query failed: ${body.error}`);
  return body.data.result.flatMap((series) => series.values.map(([t, value]): [number, number] => [Math.round(t * 1000), Number(value)]));
}

/** Which of `expected` are not in `stored`. */
export function missingValues(expected: readonly number[], stored: readonly number[]): number[] {
  const have = new Set(stored);
  return expected.filter((value) => !have.has(value));
}
