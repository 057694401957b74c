// An exporter in a process of its own (started by exporter-process.ts): a jest worker that
// stalls for a second (GC, PGlite) would otherwise answer a scrape after the agent's 1 s scrape
// timeout, and the agent would drop a scrape the exporter counted as served.
// argv[2]: {"body": "..."} serves a fixed exposition; {"sequence": {"metric", "labelText",
// "extra"}} serves the scrape's sequence number as the value of one series.
const http = require('node:http');

const config = JSON.parse(process.argv[2]);
const served = [];
const servedAt = [];

function exposition(value) {
  if (config.body !== undefined) return config.body;
  const { metric, labelText, extra } = config.sequence;
  // No TYPE line, so `extra` may declare any family (a second TYPE line would fail the scrape).
  return `${extra}${extra && !extra.endsWith('\n') ? '\n' : ''}${metric}{${labelText}} ${value}\n`;
}

const server = http.createServer((req, res) => {
  if (req.url === '/served') {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ served, servedAt }));
    return;
  }
  if (!req.url.startsWith('/metrics')) {
    res.writeHead(404).end();
    return;
  }
  const value = served.length + 1;
  served.push(value);
  servedAt.push(Date.now());
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(exposition(value));
});

server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
// Gone with the test process that started it.
process.on('disconnect', () => process.exit(0));
