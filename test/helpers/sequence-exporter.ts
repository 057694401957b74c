import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SequenceExporter {
  url: string;
  /** The value served by each scrape so far: 1, 2, 3, ... (a scrape's value identifies it in the store). */
  served: number[];
  /** Wall-clock time (ms) at which each value was served, same order as `served`. */
  servedAt: number[];
  close(): Promise<void>;
}

/**
 * An exporter whose one series carries the scrape's sequence number as its value, so every
 * scrape becomes one distinguishable sample in the store: a lost sample is a missing value,
 * counted exactly, not a shortfall hidden in a count. `extra` is appended to every scrape
 * (more series, e.g. a real Kubecost exposition) to give the agent realistic batches.
 */
export async function startSequenceExporter(metric: string, labels: Record<string, string>, extra = ''): Promise<SequenceExporter> {
  const labelText = Object.entries(labels)
    .map(([name, value]) => `${name}="${value}"`)
    .join(',');
  const exporter = { served: [] as number[], servedAt: [] as number[] } as SequenceExporter;
  const server = http.createServer((req, res) => {
    if (!req.url?.startsWith('/metrics')) {
      res.writeHead(404).end();
      return;
    }
    const value = exporter.served.length + 1;
    exporter.served.push(value);
    exporter.servedAt.push(Date.now());
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    // No TYPE line, so `extra` may declare any family (a second TYPE line would fail the scrape).
    res.end(`${extra}${extra && !extra.endsWith('\n') ? '\n' : ''}${metric}{${labelText}} ${value}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  exporter.url = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  exporter.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return exporter;
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
