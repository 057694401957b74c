import http from 'node:http';
import { REMOTE_WRITE_HEADERS as PROTOCOL_HEADERS } from '../../lib/remote-write/headers';

export const REMOTE_WRITE_HEADERS: Readonly<Record<string, string>> = { ...PROTOCOL_HEADERS, 'User-Agent': 'costgraph-bench' };

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** A status when the server answered (even if the connection broke afterwards), else the socket error code. */
export type PostOutcome = { status: number; message: string } | { error: string };

/**
 * POSTs one remote-write body. Never rejects: the outcome says what happened, so a load loop
 * can count failures instead of stopping at the first one.
 */
export function postWrite(agent: http.Agent, target: URL, headers: Record<string, string>, body: Buffer): Promise<PostOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    let status = 0;
    const chunks: Buffer[] = [];
    const settle = (outcome: PostOutcome) => {
      if (!settled) {
        settled = true;
        resolve(outcome);
      }
    };
    const answered = () => settle({ status, message: Buffer.concat(chunks).toString('utf8').trim().slice(0, 300) });
    const request = http.request(
      { hostname: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { ...headers, 'Content-Length': String(body.length) } },
      (response) => {
        status = response.statusCode ?? 0;
        response.on('data', (chunk: Buffer) => {
          if (chunks.length < 4) chunks.push(chunk);
        });
        response.on('end', answered);
        response.on('close', answered);
        response.on('error', answered);
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) => {
      // A server that answers before reading the whole body (503 at capacity) may reset the
      // connection while the body is still being written: the answer still counts.
      if (status !== 0) answered();
      else settle({ error: error.code ?? error.message });
    });
    request.end(body);
  });
}
