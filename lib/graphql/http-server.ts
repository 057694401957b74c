import http from 'node:http';
import { isUtf8 } from 'node:buffer';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { ErrorCode } from './errors';
import { GRAPHQL_RESPONSE_TYPE, prefersGraphQLResponse, statusFor } from './response-status';
import { BodyReadError, readBody as readRequestBody } from '../http/read-body';
import type { Logger } from '../log';

/** How long a GraphQL request's body may take to arrive, however slowly it trickles in. */
const BODY_TIMEOUT_MS = 60_000;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: ErrorCode = ErrorCode.BAD_REQUEST,
    /** More of the error's `extensions`, beside the code. */
    readonly extensions: Record<string, unknown> = {},
    /** Response headers beside the content type (`Retry-After`). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface GraphQLHttpOptions<C extends BaseContext> {
  apollo: ApolloServer<C>;
  /** Builds the per-request context (fresh DataLoaders); throw HttpError(401) to refuse the caller. */
  context: (req: http.IncomingMessage) => Promise<C>;
  logger: Logger;
  /** @default 1 MiB */
  maxBodyBytes?: number;
  /**
   * Sees the document's text before Apollo parses it; throw HttpError to refuse the request.
   * Apollo's pipeline has no hook before parsing that can answer with a client error.
   */
  checkDocument?: (query: string) => void;
  /**
   * Status codes by the client's Accept header, as GraphQL over HTTP gives them
   * (response-status.ts); otherwise Apollo's (400 for every request error). The gateway's.
   */
  graphqlOverHttpStatus?: boolean;
  /**
   * The longest a whole request may take to arrive (Node's requestTimeout): raised for routes
   * that take uploads. GraphQL bodies have their own bound (BODY_TIMEOUT_MS). @default 60s
   */
  requestTimeoutMs?: number;
  /** Extra routes (e.g. the GraphiQL page); return true when handled. */
  route?: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;
}

/**
 * Serves an Apollo Server on plain node:http (Apollo's own HTTP integration surface), with
 * /healthz beside /graphql and a body limit enforced while reading. This is the public
 * listener: metrics and readiness are on the internal one (lib/http/internal-server.ts).
 */
export function createGraphQLHttpServer<C extends BaseContext>(options: GraphQLHttpOptions<C>): http.Server {
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const failure = error instanceof HttpError ? error : new HttpError(500, 'internal error', ErrorCode.INTERNAL_SERVER_ERROR);
      if (!(error instanceof HttpError)) options.logger.error({ err: error }, 'unexpected HTTP failure');
      if (!res.headersSent) {
        const body = JSON.stringify({ errors: [{ message: failure.message, extensions: { code: failure.code, ...failure.extensions } }] });
        const graphqlResponse = options.graphqlOverHttpStatus && prefersGraphQLResponse(req.headers.accept);
        const status = options.graphqlOverHttpStatus ? statusFor(failure.status, body, req.headers.accept) : failure.status;
        res.writeHead(status, {
          'Content-Type': graphqlResponse ? `${GRAPHQL_RESPONSE_TYPE}; charset=utf-8` : 'application/json',
          ...(failure.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}),
          ...failure.headers,
        });
        res.end(body);
      }
      if (!req.complete) req.resume();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (options.route && (await options.route(req, res))) return;
    switch (url.pathname) {
      case '/healthz':
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
        return;
      case '/graphql':
      case '/':
        return graphql(req, res, url);
    }
    throw new HttpError(404, 'not found', ErrorCode.NOT_FOUND);
  }

  async function graphql(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    if (req.method !== 'POST' && req.method !== 'GET') throw new HttpError(405, 'use POST or GET', ErrorCode.METHOD_NOT_ALLOWED);
    const context = await options.context(req);
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown;
    if (req.method === 'POST') {
      const raw = await readBody(req, maxBody, BODY_TIMEOUT_MS);
      if ((headers.get('content-type') ?? '').includes('application/json')) {
        // JSON is UTF-8 (RFC 8259): decoding other bytes as U+FFFD would act on a value never sent.
        if (!isUtf8(raw)) throw new HttpError(400, 'request body is not valid UTF-8');
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new HttpError(400, 'request body is not valid JSON');
        }
      } else {
        body = raw.toString('utf8');
      }
    }
    const query = req.method === 'POST' ? queryOf(body) : url.searchParams.get('query');
    if (typeof query === 'string') options.checkDocument?.(query);
    const response = await options.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method.toUpperCase(), headers, search: url.search, body },
      context: async () => context,
    });
    const outHeaders: Record<string, string> = {};
    for (const [key, value] of response.headers) outHeaders[key] = value;
    if (response.body.kind === 'complete') {
      const status = response.status ?? 200;
      res.writeHead(options.graphqlOverHttpStatus ? statusFor(status, response.body.string, req.headers.accept) : status, outHeaders);
      res.end(response.body.string);
      return;
    }
    res.writeHead(response.status ?? 200, outHeaders);
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  server.requestTimeout = Math.max(BODY_TIMEOUT_MS, options.requestTimeoutMs ?? BODY_TIMEOUT_MS);
  server.headersTimeout = 30_000;
  return server;
}

/** The document of a single (unbatched) JSON request; anything else is Apollo's to refuse. */
function queryOf(body: unknown): unknown {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { query?: unknown }).query : undefined;
}

/** A body the server could not read, as a GraphQL-shaped HTTP error (413 when over the limit). */
export async function readBody(req: http.IncomingMessage, limit: number, timeoutMs?: number): Promise<Buffer> {
  try {
    return await readRequestBody(req, limit, { timeoutMs });
  } catch (error) {
    if (error instanceof BodyReadError) {
      if (error.reason === 'too_large') throw new HttpError(413, error.message, ErrorCode.PAYLOAD_TOO_LARGE);
      throw new HttpError(error.reason === 'too_slow' ? 408 : 400, error.message);
    }
    throw error;
  }
}
