import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Encoding } from './content-encoding';

/** One file of the build with its precompressed variants, held in memory (the build is small). */
export interface StaticFile {
  type: string;
  /** Per encoding, the bytes to send. */
  bodies: Map<Encoding, Buffer>;
  /** Content hash of the uncompressed file. */
  etag: string;
}

export interface StaticBuild {
  index: StaticFile;
  /** By URL path, e.g. `/assets/index-BBsBWcGT.js`. */
  assets: Map<string, StaticFile>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

function readFile(file: string): StaticFile {
  const identity = fs.readFileSync(file);
  const bodies = new Map<Encoding, Buffer>([['identity', identity]]);
  for (const [encoding, suffix] of [['br', '.br'], ['gzip', '.gz']] as const) {
    if (fs.existsSync(file + suffix)) bodies.set(encoding, fs.readFileSync(file + suffix));
  }
  return {
    type: TYPES[path.extname(file)] ?? 'application/octet-stream',
    bodies,
    etag: crypto.createHash('sha256').update(identity).digest('base64url').slice(0, 22),
  };
}

/** Reads a Vite build (index.html and assets/ with .gz/.br beside); undefined when there is none. */
export function readStaticBuild(dir: string): StaticBuild | undefined {
  const indexFile = path.join(dir, 'index.html');
  if (!fs.existsSync(indexFile)) return undefined;
  const assets = new Map<string, StaticFile>();
  const assetsDir = path.join(dir, 'assets');
  if (fs.existsSync(assetsDir)) {
    for (const name of fs.readdirSync(assetsDir, { recursive: true, encoding: 'utf8' })) {
      const file = path.join(assetsDir, name);
      if (/\.(gz|br)$/.test(name) || !fs.statSync(file).isFile()) continue;
      assets.set(`/assets/${name.split(path.sep).join('/')}`, readFile(file));
    }
  }
  return { index: readFile(indexFile), assets };
}
