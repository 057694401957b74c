import { request } from 'undici';
import { encodeWriteRequest } from './codec';
import { REMOTE_WRITE_HEADERS } from './headers';
import { compressSync } from './snappy-block';
import type { TimeSeries } from './write-request';

/** A series as callers describe it: labels by name, samples in time order. */
export interface SeriesInput {
  labels: Readonly<Record<string, string>>;
  samples: ReadonlyArray<{ timestamp: number; value: number }>;
}

/** Series in the wire shape, labels sorted by name as remote write 1.0 requires. */
export function toTimeSeries(series: readonly SeriesInput[]): TimeSeries[] {
  return series.map((s) => ({
    labels: Object.entries(s.labels)
      .map(([name, value]) => ({ name, value }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    samples: s.samples.map(({ timestamp, value }) => ({ timestamp, value })),
  }));
}

/** A request body: the series as a snappy-compressed WriteRequest. */
export function encodeRemoteWriteBody(series: readonly SeriesInput[]): Buffer {
  return compressSync(encodeWriteRequest(toTimeSeries(series)));
}

/** The HTTP Basic credential of a cluster's remote write. */
export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/**
 * Posts one body to a remote-write receiver (`url` is the write endpoint) as a Prometheus
 * sender would: 429 and 503 mean "later" (honouring Retry-After, at most 5 s a wait), any
 * other answer but 204 is final and thrown with the receiver's message.
 */
export async function postRemoteWrite(url: string, body: Buffer, options: { headers?: Record<string, string>; maxAttempts?: number } = {}): Promise<void> {
  const maxAttempts = options.maxAttempts ?? 20;
  for (let attempt = 1; ; attempt++) {
    const response = await request(url, { method: 'POST', headers: { ...REMOTE_WRITE_HEADERS, ...options.headers }, body });
    const text = await response.body.text();
    if (response.statusCode === 204) return;
    if ((response.statusCode !== 429 && response.statusCode !== 503) || attempt >= maxAttempts) {
      throw new Error(`remote write answered ${response.statusCode}: ${text.slice(0, 300)}`);
    }
    const retryAfter = Number(response.headers['retry-after']);
    await new Promise((resolve) => setTimeout(resolve, Number.isFinite(retryAfter) ? Math.min(retryAfter, 5) * 1000 : 250 * attempt));
  }
}
