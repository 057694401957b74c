import type http from 'node:http';
import { request } from 'undici';
import { isId } from '../../lib/accounts/ids';
import { limitBytes } from '../../lib/http/limit-bytes';
import { CONTEXT_HEADER, signContext } from '../../lib/internal-auth/signed-context';
import type { Logger } from '../../lib/log';
import type { GatewayContext } from '../subgraph-data-source';
import { restCaller } from './rest-caller';
import { RestError, sendRestError } from '../../lib/http/rest-errors';

/*
 * `POST /api/v1/organizations/{id}/imports/focus`: a FOCUS export (CSV, gzip CSV or Parquet) as
 * the request body, `?file_name=` naming it. The gateway checks the token (ADMIN, of that
 * organization) and streams the bytes to the expenses service, which spools and imports them
 * (subgraphs/expenses/focus-upload.ts); nothing is buffered here. Its answer is passed on.
 */

const UPLOAD = /^\/api\/v1\/organizations\/([^/]+)\/imports\/focus$/;

export interface FocusUploadProxyOptions {
  context(req: http.IncomingMessage): Promise<GatewayContext>;
  /** The expenses service's origin (its GraphQL URL's). */
  expensesOrigin: () => string;
  secret: string;
  maxBytes: number;
  /** How long an import may take, upload included. */
  timeoutMs: number;
  logger: Logger;
}

export function createFocusUploadProxy(options: FocusUploadProxyOptions) {
  async function forward(req: http.IncomingMessage, res: http.ServerResponse, organizationId: string, url: URL): Promise<void> {
    const { caller } = await restCaller(options.context, req);
    const shown = organizationId.slice(0, 100);
    if (!isId(organizationId) || !caller.organizationIds.includes(organizationId)) throw new RestError(404, 'OE0002', `Organization ${shown} not found`, ['Organization', shown]);
    if (caller.role !== 'admin') throw new RestError(403, 'FORBIDDEN', `a ${caller.role} token cannot import bills`);
    const tooLarge = () => new RestError(413, 'PAYLOAD_TOO_LARGE', `the file is larger than the limit of ${options.maxBytes} bytes`);
    if (Number(req.headers['content-length'] ?? NaN) > options.maxBytes) throw tooLarge();
    let overLimit = false;
    const counted = req.pipe(
      limitBytes(options.maxBytes, () => {
        overLimit = true;
        return tooLarge();
      }),
    );
    req.on('aborted', () => counted.destroy(new Error('the client aborted the upload')));
    const target = new URL('/imports/focus', options.expensesOrigin());
    target.searchParams.set('organizationId', organizationId);
    target.searchParams.set('fileName', (url.searchParams.get('file_name') ?? '').slice(0, 255));
    let answer;
    try {
      // The expenses service checks the signed context as the request's headers arrive, before
      // the body: the default lifetime of a minute is enough however long the upload takes.
      answer = await request(target, {
        method: 'POST',
        body: counted,
        headers: { 'content-type': 'application/octet-stream', [CONTEXT_HEADER]: signContext(caller, options.secret) },
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
    } catch (error) {
      if (overLimit) throw tooLarge();
      options.logger.warn({ err: error }, 'FOCUS upload: the expenses service did not answer');
      throw new RestError(503, 'OE0003', 'the expenses service is unavailable; nothing was imported');
    }
    const body = await answer.body.text();
    res.writeHead(answer.statusCode, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }).end(body);
  }

  /** Answers the upload path; false for every other path. */
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = UPLOAD.exec(url.pathname);
    if (!match) return false;
    try {
      if (req.method !== 'POST') throw new RestError(405, 'OE0005', 'Method not allowed: use POST', [], { Allow: 'POST' });
      await forward(req, res, decodeURIComponent(match[1]), url);
    } catch (error) {
      if (!(error instanceof RestError)) options.logger.error({ err: error }, 'FOCUS upload failed');
      // What the client still sends is read and dropped, so that it sees the answer.
      if (!req.complete) req.resume();
      sendRestError(res, error);
    }
    return true;
  };
}
