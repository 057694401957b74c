import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { tokenIdOfSubject } from '../../lib/accounts/api-tokens';
import { isId } from '../../lib/accounts/ids';
import { limitBytes } from '../../lib/http/limit-bytes';
import { RestError, sendRestError } from '../../lib/http/rest-errors';
import type { Database } from '../../lib/db/database';
import { ContextSignatureError, CONTEXT_HEADER, verifyContext } from '../../lib/internal-auth/signed-context';
import type { Logger } from '../../lib/log';
import { FocusImportError, importFocusFile } from './import/import-focus';

/*
 * `POST /imports/focus?organizationId=…&fileName=…` on the expenses service: a FOCUS file's
 * bytes, streamed from the gateway (which checked the token) with its signed context. The body
 * is spooled to a temporary file within the size limit (Parquet is read from its end first),
 * then imported exactly as the CLI imports a file: one transaction, the same refusals. Answers
 * in the REST API's error shape, which the gateway passes on.
 */

export const FOCUS_UPLOAD_PATH = '/imports/focus';

export interface FocusUploadOptions {
  db: Database;
  secret: string;
  logger: Logger;
  maxBytes: number;
  /** Where bodies are spooled. @default the system's temporary directory */
  spoolDir?: string;
}

const REFUSALS: Record<FocusImportError['code'], { status: number; code: string }> = {
  MALFORMED: { status: 400, code: 'FOCUS_MALFORMED' },
  UNREADABLE: { status: 400, code: 'FOCUS_UNREADABLE' },
  CURRENCY_MISMATCH: { status: 400, code: 'FOCUS_CURRENCY_MISMATCH' },
  ORGANIZATION_NOT_FOUND: { status: 404, code: 'OE0002' },
};

/** Copies the body to `target`, refused (413) the moment it passes `maxBytes`; its size. */
async function spool(req: http.IncomingMessage, target: string, maxBytes: number): Promise<number> {
  const tooLarge = () => new RestError(413, 'PAYLOAD_TOO_LARGE', `the file is larger than the limit of ${maxBytes} bytes`);
  if (Number(req.headers['content-length'] ?? NaN) > maxBytes) throw tooLarge();
  await pipeline(req, limitBytes(maxBytes, tooLarge), fs.createWriteStream(target, { flags: 'wx', mode: 0o600 }));
  return (await fs.promises.stat(target)).size;
}

export function createFocusUpload({ db, secret, logger, maxBytes, spoolDir = os.tmpdir() }: FocusUploadOptions) {
  async function accept(req: http.IncomingMessage, url: URL): Promise<unknown> {
    const header = req.headers[CONTEXT_HEADER];
    let caller;
    try {
      caller = verifyContext(Array.isArray(header) ? undefined : header, secret);
    } catch (error) {
      if (error instanceof ContextSignatureError) throw new RestError(401, 'OE0235', `expenses: ${error.message}`);
      throw error;
    }
    if (caller.role !== 'admin') throw new RestError(403, 'FORBIDDEN', `a ${caller.role} token cannot import bills`);
    const organizationId = url.searchParams.get('organizationId') ?? '';
    if (!isId(organizationId) || !caller.organizationIds.includes(organizationId)) {
      throw new RestError(404, 'OE0002', `Organization ${organizationId.slice(0, 100)} not found`, ['Organization', organizationId.slice(0, 100)]);
    }
    const fileName = (url.searchParams.get('fileName') ?? '').slice(0, 255) || 'upload';
    const dir = await fs.promises.mkdtemp(path.join(spoolDir, 'costgraph-import-'));
    try {
      const file = path.join(dir, 'body');
      const size = await spool(req, file, maxBytes);
      if (size === 0) throw new RestError(400, 'FOCUS_MALFORMED', 'the request has no body: send the file as the body');
      const result = await importFocusFile(db, organizationId, file, { fileName, apiTokenId: tokenIdOfSubject(caller.subject) });
      logger.info({ organizationId, importId: result.id, format: result.format, rows: result.rows, inserted: result.inserted }, 'FOCUS file imported over HTTP');
      return { ...result, importedAt: result.importedAt.toISOString() };
    } catch (error) {
      if (error instanceof FocusImportError) {
        const refusal = REFUSALS[error.code];
        throw new RestError(refusal.status, refusal.code, error.line === null ? error.reason : `line ${error.line}: ${error.reason}`, error.line === null ? [] : [String(error.line)]);
      }
      throw error;
    } finally {
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  }

  /** Answers the upload path; false for every other path. */
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== FOCUS_UPLOAD_PATH) return false;
    try {
      if (req.method !== 'POST') throw new RestError(405, 'OE0005', 'Method not allowed: use POST', [], { Allow: 'POST' });
      const body = await accept(req, url);
      res.writeHead(201, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }).end(JSON.stringify(body));
    } catch (error) {
      if (!(error instanceof RestError)) logger.error({ err: error }, 'FOCUS upload failed');
      // What the client still sends is read and dropped, so that it sees the answer.
      if (!req.complete) req.resume();
      sendRestError(res, error);
    }
    return true;
  };
}
