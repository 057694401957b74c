import http from 'node:http';
import { encodeRemoteWriteBody } from '../../lib/remote-write/client';

export { REMOTE_WRITE_HEADERS } from '../../lib/remote-write/headers';

export { basicAuth } from '../../lib/remote-write/client';

/** Builds a snappy-compressed WriteRequest body from simple series descriptions. */
export function writeBody(series: Array<{ labels: Record<string, string>; samples: Array<[number, number]> }>): Buffer {
  return encodeRemoteWriteBody(series.map((s) => ({ labels: s.labels, samples: s.samples.map(([timestamp, value]) => ({ timestamp, value })) })));
}

export interface PostResult {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** A raw HTTP POST (no client retries, no body rewriting) so tests see exactly what the server answered. */
export function post(url: string, body: Buffer | string, headers: Record<string, string>, method = 'POST'): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers: { ...headers, 'Content-Length': Buffer.byteLength(body) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: response.headers }));
    });
    request.on('error', reject);
    request.end(body);
  });
}
