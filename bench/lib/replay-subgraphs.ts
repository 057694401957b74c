/**
 * Child process of bench/gateway.ts for the gateway-bound comparison: one HTTP endpoint per
 * subgraph that forwards a request body it has not seen to the real subgraph and answers
 * every later identical body with the recorded answer. The gateways' own work is then what
 * limits their throughput, not the subgraphs' SQL and PromQL, which cost both gateways the same.
 *
 * argv[2]: JSON {"expenses": url, "kubecost": url}. Prints JSON with the replaying URLs.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

interface Recorded {
  status: number;
  contentType: string;
  body: Buffer;
}

/** Hop-by-hop and framing headers belong to the incoming connection; undici sets its own. */
const NOT_FORWARDED = new Set(['host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'expect', 'upgrade']);

function forwardable(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !NOT_FORWARDED.has(name)) out[name] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

async function serve(target: string): Promise<string> {
  const recorded = new Map<string, Promise<Recorded>>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let answer = recorded.get(body);
      if (!answer) {
        answer = request(target, { method: 'POST', headers: forwardable(req.headers), body }).then(async (response) => ({
          status: response.statusCode,
          contentType: String(response.headers['content-type'] ?? 'application/json'),
          body: Buffer.from(await response.body.arrayBuffer()),
        }));
        recorded.set(body, answer);
        // Only successful answers are replayed; a failure is asked again next time.
        answer.then((r) => r.status !== 200 && recorded.delete(body), () => recorded.delete(body));
      }
      answer.then(
        (r) => res.writeHead(r.status, { 'content-type': r.contentType, 'content-length': r.body.length }).end(r.body),
        () => res.writeHead(502).end(),
      );
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

async function main(): Promise<void> {
  const targets = JSON.parse(process.argv[2]) as Record<string, string>;
  const urls: Record<string, string> = {};
  for (const [name, url] of Object.entries(targets)) urls[name] = await serve(url);
  process.stdout.write(`${JSON.stringify(urls)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench replay subgraphs: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
