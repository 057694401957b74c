import type http from 'node:http';
import { packageFile, sendAsset, staticAsset as asset, type StaticAsset as Asset } from '../static/assets';

/**
 * GraphiQL served by the gateway from its own origin: React, ReactDOM and GraphiQL's UMD
 * builds come from node_modules, so the playground works offline. A Content-Security-Policy
 * of 'self' makes the browser refuse anything that would leave the origin.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // GraphiQL sets inline styles and embeds its fonts as data: URLs.
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
].join('; ');

const INIT_SCRIPT = `(() => {
  const config = JSON.parse(document.getElementById('graphiql-config').textContent);
  const fetcher = GraphiQL.createFetcher({ url: config.endpoint });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultQuery: config.query,
      defaultHeaders: config.headers,
      variables: config.variables,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      defaultEditorToolsVisibility: 'headers',
    }),
  );
})();
`;

export interface GraphiQLOptions {
  /** The document the editor opens with (the headline query). */
  query: string;
  /**
   * Pre-filled variables (the organization id when the stack knows one), asked for each time
   * the page is served, so that a date range stays current in a gateway that runs for days.
   */
  variables: () => Record<string, unknown>;
}

function pageHtml(query: string, variables: string): string {
  const config = {
    endpoint: '/graphql',
    query,
    variables,
    headers: JSON.stringify({ Authorization: 'Bearer <paste an API token: costgraph token create --org ID>' }, null, 2),
  };
  // `<` escaped so no value can close the JSON script element.
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>costgraph GraphiQL</title>
<link rel="stylesheet" href="/graphiql/assets/graphiql.min.css">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script id="graphiql-config" type="application/json">${json}</script>
<script src="/graphiql/assets/react.production.min.js"></script>
<script src="/graphiql/assets/react-dom.production.min.js"></script>
<script src="/graphiql/assets/graphiql.min.js"></script>
<script src="/graphiql/assets/init.js"></script>
</body>
</html>
`;
}

export function createGraphiQL(options: GraphiQLOptions) {
  const assets = new Map<string, Asset>([
    ['/graphiql/assets/react.production.min.js', asset('text/javascript', packageFile('react', 'umd/react.production.min.js'))],
    ['/graphiql/assets/react-dom.production.min.js', asset('text/javascript', packageFile('react-dom', 'umd/react-dom.production.min.js'))],
    ['/graphiql/assets/graphiql.min.js', asset('text/javascript', packageFile('graphiql', 'graphiql.min.js'))],
    ['/graphiql/assets/graphiql.min.css', asset('text/css', packageFile('graphiql', 'graphiql.min.css'))],
    ['/graphiql/assets/init.js', asset('text/javascript', INIT_SCRIPT)],
  ]);
  let cached: { variables: string; page: Asset } | undefined;
  /** The page for the current variables; rebuilt (with a new ETag) only when they change. */
  const page = (): Asset => {
    const variables = JSON.stringify(options.variables(), null, 2);
    if (cached?.variables !== variables) cached = { variables, page: asset('text/html; charset=utf-8', pageHtml(options.query, variables)) };
    return cached.page;
  };

  /** Answers GraphiQL's page and assets; false for anything else. */
  return function serve(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/favicon.ico') {
      // Browsers ask for it; answer "nothing" rather than a 404 in every console.
      res.writeHead(204, { 'Cache-Control': 'public, max-age=86400' }).end();
      return true;
    }
    const wantsPage =
      url.pathname === '/graphiql' || ((url.pathname === '/graphql' || url.pathname === '/') && !url.searchParams.has('query') && (req.headers.accept ?? '').includes('text/html'));
    const found = wantsPage ? page() : assets.get(url.pathname);
    if (!found) return false;
    sendAsset(req, res, found, { 'Cache-Control': wantsPage ? 'no-cache' : 'public, max-age=86400', 'Content-Security-Policy': CSP });
    return true;
  };
}
