import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import YAML from 'yaml';
import { packageFile, sendAsset, staticAsset, type StaticAsset } from '../static/assets';

/*
 * The REST API's reference: the committed OpenAPI document (schema/openapi.yaml) as
 * /openapi.json and /openapi.yaml, and a page at /docs rendered by Swagger UI, whose bundle is
 * served from node_modules like GraphiQL's, so the page works offline.
 */

export const OPENAPI_FILE = path.join(__dirname, '..', '..', 'schema', 'openapi.yaml');

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
].join('; ');

// No online validator badge (Swagger UI would call validator.swagger.io); "Try it out" sends
// the token typed in "Authorize" to this origin only.
const INIT_SCRIPT = `window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#reference',
    validatorUrl: null,
    deepLinking: true,
    tryItOutEnabled: false,
    persistAuthorization: false,
  });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>costgraph API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="stylesheet" href="/docs/assets/page.css">
</head>
<body>
<header class="costgraph-links">
<h1>costgraph API reference</h1>
<nav aria-label="Other references">
<a href="/graphiql">GraphQL playground (GraphiQL)</a>
<a href="/openapi.json">OpenAPI document (JSON)</a>
<a href="/openapi.yaml">(YAML)</a>
<a href="/">Dashboard</a>
</nav>
</header>
<main id="reference">Loading the reference…</main>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
`;

const PAGE_CSS = `body { margin: 0; font-family: system-ui, sans-serif; }
.costgraph-links { display: flex; flex-wrap: wrap; align-items: baseline; gap: 1rem 2rem; padding: 0.75rem 1.25rem; border-bottom: 1px solid #d0d7de; }
.costgraph-links h1 { font-size: 1.25rem; margin: 0; }
.costgraph-links nav { display: flex; flex-wrap: wrap; gap: 1rem; }
.costgraph-links a { color: #0b5cad; }
`;

export function createApiReference(openapiFile = OPENAPI_FILE) {
  const yamlText = fs.readFileSync(openapiFile, 'utf8');
  const document: unknown = YAML.parse(yamlText);
  const files = new Map<string, { asset: StaticAsset; cache: string }>([
    ['/openapi.json', { asset: staticAsset('application/json', JSON.stringify(document)), cache: 'no-cache' }],
    ['/openapi.yaml', { asset: staticAsset('application/yaml; charset=utf-8', yamlText), cache: 'no-cache' }],
    ['/docs', { asset: staticAsset('text/html; charset=utf-8', PAGE), cache: 'no-cache' }],
    ['/docs/assets/swagger-ui.css', { asset: staticAsset('text/css', packageFile('swagger-ui-dist', 'swagger-ui.css')), cache: 'public, max-age=86400' }],
    ['/docs/assets/swagger-ui-bundle.js', { asset: staticAsset('text/javascript', packageFile('swagger-ui-dist', 'swagger-ui-bundle.js')), cache: 'public, max-age=86400' }],
    ['/docs/assets/init.js', { asset: staticAsset('text/javascript', INIT_SCRIPT), cache: 'no-cache' }],
    ['/docs/assets/page.css', { asset: staticAsset('text/css', PAGE_CSS), cache: 'no-cache' }],
  ]);

  /** Answers the reference's page, assets and documents; false for anything else. */
  return {
    document,
    serve(req: http.IncomingMessage, res: http.ServerResponse): boolean {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      const pathname = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/$/, '');
      const found = files.get(pathname);
      if (!found) return false;
      sendAsset(req, res, found.asset, { 'Cache-Control': found.cache, 'Content-Security-Policy': CSP });
      return true;
    },
  };
}
