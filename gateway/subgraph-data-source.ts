import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { GraphQLError } from 'graphql';
import { Pool } from 'undici';
import { ErrorCode } from '../lib/graphql/errors';
import { CONTEXT_HEADER, signContext, type CallerContext } from '../lib/internal-auth/signed-context';
import type { GatewayMetrics } from './metrics';

/** Signed context headers by caller object; entries go with the callers. */
const SIGNED = new WeakMap<CallerContext, { secret: string; header: string; expiresAt: number }>();

export interface GatewayContext {
  caller: CallerContext;
}

export interface SubgraphDataSourceOptions {
  name: string;
  url: string;
  secret: string;
  timeoutMs: number;
  connections: number;
  metrics: GatewayMetrics;
  /** Lifetime of a signed context; short, since it only has to cover one fetch. @default 60s */
  contextTtlMs?: number;
}

/**
 * Sends the gateway's subgraph fetches over a bounded keep-alive pool (undici). It replaces
 * RemoteGraphQLDataSource, whose default client builds a node-fetch Request per fetch and
 * keeps unbounded sockets; here a fetch is one JSON POST on a reused socket.
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  private readonly pool: Pool;
  private readonly path: string;

  constructor(private readonly options: SubgraphDataSourceOptions) {
    const url = new URL(options.url);
    this.path = `${url.pathname}${url.search}`;
    this.pool = new Pool(url.origin, {
      connections: options.connections,
      keepAliveTimeout: 30_000,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connectTimeout: Math.min(options.timeoutMs, 5_000),
    });
  }

  /**
   * The one place the caller's identity leaves the gateway: every subgraph request carries
   * it signed, so calling a subgraph directly bypasses nothing.
   */
  willSendRequest(headers: Record<string, string>, caller: CallerContext | undefined): void {
    if (!caller) throw new Error('subgraph request without a caller context');
    headers[CONTEXT_HEADER] = this.signed(caller);
  }

  /**
   * A request's fetches (and a token's requests, which share its caller object) reuse one
   * signature while it has more than a subgraph timeout left to live: one HMAC, not one per fetch.
   */
  private signed(caller: CallerContext): string {
    const now = Date.now();
    const cached = SIGNED.get(caller);
    if (cached && cached.secret === this.options.secret && cached.expiresAt - now > this.options.timeoutMs) return cached.header;
    const ttl = Math.max(this.options.contextTtlMs ?? 60_000, 2 * this.options.timeoutMs);
    const header = signContext(caller, this.options.secret, ttl, now);
    SIGNED.set(caller, { secret: this.options.secret, header, expiresAt: now + ttl });
    return header;
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    this.willSendRequest(headers, (options.context as Partial<GatewayContext>).caller);
    const body = JSON.stringify({ query: request.query, variables: request.variables, operationName: request.operationName });
    const stop = this.options.metrics.subgraphLatency.startTimer({ subgraph: this.options.name });
    try {
      const response = await this.pool.request({ path: this.path, method: 'POST', headers, body });
      const text = await response.body.text();
      let parsed: GatewayGraphQLResponse | undefined;
      try {
        parsed = JSON.parse(text) as GatewayGraphQLResponse;
      } catch {
        parsed = undefined;
      }
      // A 4xx with GraphQL errors (a refused variable, say) is still an answer worth passing on.
      const answered = parsed && (response.statusCode === 200 || Array.isArray(parsed.errors));
      if (!answered || !parsed) throw this.failure(`${this.options.name} answered HTTP ${response.statusCode}`, `http_${response.statusCode}`);
      stop({ outcome: parsed.errors ? 'errors' : 'ok' });
      return parsed;
    } catch (error) {
      if (error instanceof GraphQLError) {
        stop({ outcome: 'failed' });
        throw error;
      }
      const code = (error as { code?: string }).code ?? 'unknown';
      stop({ outcome: 'failed' });
      throw this.failure(`${this.options.name} unreachable (${code})`, code);
    }
  }

  /** A failed fetch: the fields this subgraph owns come back null with this error. */
  private failure(message: string, reason: string): GraphQLError {
    this.options.metrics.subgraphErrors.inc({ subgraph: this.options.name, reason: reason.toLowerCase() });
    return new GraphQLError(message, { extensions: { code: ErrorCode.DOWNSTREAM_SERVICE_ERROR, serviceName: this.options.name } });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
