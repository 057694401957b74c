import type http from 'node:http';
import path from 'node:path';
import { chooseEncoding, type Encoding } from './content-encoding';
import { readStaticBuild, type StaticBuild, type StaticFile } from './static-build';

/** Where `npm run build:dashboard` writes the dashboard. */
export const DASHBOARD_DIST = path.join(__dirname, '..', '..', 'dashboard', 'dist');

/** The dashboard's client-side routes: each answers index.html, and the app picks the page. */
const APP_ROUTES = [/^\/$/, /^\/clusters$/, /^\/clusters\/[^/]+$/, /^\/expenses$/, /^\/allocation$/, /^\/connect$/];

/**
 * Nothing but this origin: no inline script or style, no CDN, no frames. The app only calls
 * /graphql on the same origin.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': DASHBOARD_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** A missing build is the operator's to fix; a missing file would only confuse the browser. */
const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>costgraph: dashboard not built</title></head>
<body><h1>The dashboard is not built</h1>
<p>Build it with <code>npm run build:dashboard</code> (<code>scripts/setup</code>, which <code>./scripts/up</code> runs, does it when its sources change), then reload this page.</p>
<p>The GraphQL API and GraphiQL are at <a href="/graphql">/graphql</a>.</p></body></html>
`;

/** How long a missing build is remembered before the disk is looked at again. */
const RECHECK_MS = 2000;

export interface DashboardOptions {
  /** @default DASHBOARD_DIST */
  dir?: string;
}

/**
 * Serves the dashboard's build on the gateway's origin: app routes answer index.html (never
 * cached without revalidation), hashed assets are immutable, and each file goes out in the
 * best precompressed variant the client accepts. Returns false for requests that are not its.
 */
export function createDashboard(options: DashboardOptions = {}) {
  const dir = options.dir ?? DASHBOARD_DIST;
  let build: StaticBuild | undefined;
  let checkedAt = 0;
  const current = (): StaticBuild | undefined => {
    if (!build && Date.now() - checkedAt > RECHECK_MS) {
      checkedAt = Date.now();
      build = readStaticBuild(dir);
    }
    return build;
  };

  return function serve(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const isAsset = url.pathname.startsWith('/assets/');
    // GET / with a query string is a GraphQL request over GET, not a page.
    const isPage = APP_ROUTES.some((route) => route.test(url.pathname)) && !url.searchParams.has('query');
    if (!isAsset && !isPage) return false;
    const found = current();
    if (!found) {
      res.writeHead(503, { ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Retry-After': '10' });
      res.end(req.method === 'HEAD' ? undefined : NOT_BUILT);
      return true;
    }
    const file = isPage ? found.index : found.assets.get(url.pathname);
    if (!file) {
      res.writeHead(404, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : 'not found\n');
      return true;
    }
    send(req, res, file, isPage ? 'no-cache' : 'public, max-age=31536000, immutable');
    return true;
  };
}

function send(req: http.IncomingMessage, res: http.ServerResponse, file: StaticFile, cacheControl: string): void {
  const encoding: Encoding = chooseEncoding(req.headers['accept-encoding'], new Set(file.bodies.keys()));
  const body = file.bodies.get(encoding)!;
  // One ETag per variant: caches must never answer a br body to a client that asked for gzip.
  const etag = `"${file.etag}${encoding === 'identity' ? '' : `-${encoding}`}"`;
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    'Content-Type': file.type,
    'Cache-Control': cacheControl,
    ETag: etag,
    Vary: 'Accept-Encoding',
  };
  if (encoding !== 'identity') headers['Content-Encoding'] = encoding;
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
