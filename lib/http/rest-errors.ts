import type http from 'node:http';

/**
 * A refusal in OptScale's shape (the REST endpoints and the bill upload, at the gateway and at
 * the expenses service that imports), `{"error": {"status_code", "error_code", "reason", "params"}}`,
 * with its codes where OptScale has one (OE0216 argument missing, OE0223 not an integer, OE0224
 * value out of range, OE0217 invalid parameter, OE0446 end before start, OE0002 not found,
 * OE0235/OE0237 unauthorized, OE0003 unavailable; RATE_LIMITED and INTERNAL_ERROR where it has none).
 */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly reason: string,
    readonly params: readonly string[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(reason);
    this.name = 'RestError';
  }
}

export function sendRestError(res: http.ServerResponse, error: unknown): void {
  const failure = error instanceof RestError ? error : new RestError(500, 'INTERNAL_ERROR', 'internal error');
  if (res.headersSent) {
    res.end();
    return;
  }
  res
    .writeHead(failure.status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...(failure.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}), ...failure.headers })
    .end(JSON.stringify({ error: { status_code: failure.status, error_code: failure.code, reason: failure.reason, params: failure.params } }));
}
