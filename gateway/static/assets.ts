import crypto from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';

/*
 * Pages and files the gateway serves from memory (GraphiQL, the API reference): compressed
 * once at start, with a content hash as ETag, so the browser revalidates cheaply and nothing is
 * fetched from anywhere but this origin.
 */

export interface StaticAsset {
  type: string;
  gzipped: Buffer;
  etag: string;
}

export function staticAsset(type: string, body: Buffer | string): StaticAsset {
  const buffer = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return { type, gzipped: zlib.gzipSync(buffer), etag: `"${crypto.createHash('sha256').update(buffer).digest('base64url').slice(0, 22)}"` };
}

/** A file inside an installed package (package exports hide the UMD builds from require.resolve). */
export const packageFile = (pkg: string, file: string): Buffer => fs.readFileSync(path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file));

/** Sends `asset` (304 on a matching ETag, gzip when accepted) with `headers` added. */
export function sendAsset(req: http.IncomingMessage, res: http.ServerResponse, asset: StaticAsset, headers: Record<string, string>): void {
  const all: Record<string, string> = { 'Content-Type': asset.type, ETag: asset.etag, Vary: 'Accept, Accept-Encoding', 'X-Content-Type-Options': 'nosniff', ...headers };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, all).end();
    return;
  }
  // Every browser accepts gzip; the rare client that does not gets it inflated here.
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? asset.gzipped : zlib.gunzipSync(asset.gzipped);
  res.writeHead(200, { ...all, ...(gzip ? { 'Content-Encoding': 'gzip' } : {}), 'Content-Length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
