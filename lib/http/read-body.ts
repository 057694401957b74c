import type http from 'node:http';

export type BodyReadFailure = 'too_large' | 'too_slow' | 'aborted' | 'unreadable';

/**
 * Why a body could not be read. Each server maps it to its own status and error shape
 * (ingest: 413/408/400 as plain text; GraphQL: 413/400 as a GraphQL error).
 */
export class BodyReadError extends Error {
  constructor(
    readonly reason: BodyReadFailure,
    message: string,
  ) {
    super(message);
    this.name = 'BodyReadError';
  }
}

/**
 * Reads a request body into one Buffer, refusing it as soon as it exceeds `limit` bytes: a
 * declared `Content-Length` over the limit is refused before any byte is read, and a chunked
 * body is refused the moment it crosses the limit, its chunks released. The caller decides
 * whether to drain (`req.resume()`) what is left unread.
 *
 * `timeoutMs` bounds the time from this call to the body's last byte, however the bytes
 * trickle in: a socket idle timeout would be reset by every byte of a sender writing one a second.
 */
export function readBody(req: http.IncomingMessage, limit: number, options: { timeoutMs?: number } = {}): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (error: BodyReadError) => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      cleanup();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) {
        fail(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onAborted = () => fail(new BodyReadError('aborted', 'request aborted by the client'));
    const onError = (error: Error) => fail(new BodyReadError('unreadable', `cannot read request: ${error.message}`));
    // Only `data` stays attached after failure (ignoring the rest), so a caller's later
    // `req.resume()` drains instead of buffering.
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => fail(new BodyReadError('too_slow', `body did not arrive within ${options.timeoutMs} ms`)), options.timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      req.off('end', onEnd);
      req.off('aborted', onAborted);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onAborted);
    // An `error` listener stays for the request's lifetime: a late socket error must not crash the process.
    req.on('error', onError);
  });
}

function tooLarge(limit: number): BodyReadError {
  return new BodyReadError('too_large', `body exceeds the limit of ${limit} bytes`);
}
