import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import type { Queryable } from '../lib/db/database';
import { ErrorCode } from '../lib/graphql/errors';
import { createGraphQLHttpServer, HttpError } from '../lib/graphql/http-server';
import { createInternalServer } from '../lib/http/internal-server';
import type { Logger } from '../lib/log';
import { CredentialChangeFeed } from '../lib/accounts/credential-changes';
import { VerificationBusyError, VerificationQueue } from '../lib/accounts/verification-queue';
import { TokenVerifier } from './auth/token-verifier';
import type { GatewayConfig } from './config';
import { createApiReference } from './api-docs/api-reference';
import { createDashboard } from './dashboard/serve';
import { createGraphiQL } from './graphiql/page';
import { createFocusUploadProxy } from './rest/focus-upload-proxy';
import { createRestApi } from './rest/rest-api';
import { createGatewayMetrics } from './metrics';
import { formatGatewayError } from './plugins/errors';
import { documentLimit, limitRules } from './plugins/limits';
import { metricsPlugin } from './plugins/metrics-plugin';
import { operationResolutionPlugin } from './plugins/operation';
import { operationTypeRule } from './plugins/operation-types';
import { scalarLiteralRule } from './plugins/scalar-literals';
import { scalarVariablesPlugin } from './plugins/scalar-variables';
import { SubgraphDataSource, type GatewayContext } from './subgraph-data-source';
import { staticSupergraph } from './supergraph/static-supergraph';
import { SCHEMA_DIR, type SubgraphName } from './supergraph/compose';

export const HEADLINE_QUERY_FILE = path.join(SCHEMA_DIR, 'operations', 'Headline.graphql');

export interface GatewayDeps {
  config: GatewayConfig;
  db: Queryable;
  logger: Logger;
  /** Pre-fills GraphiQL's variables (local stack: the demo organization). */
  graphiqlOrganizationId?: string;
  /** Where the dashboard's build is (tests point it elsewhere). @default dashboard/dist */
  dashboardDir?: string;
}

export interface Gateway {
  /** Public: /graphql, GraphiQL, the dashboard, /healthz. */
  server: http.Server;
  /** Internal: /metrics, /readyz, /healthz. */
  internal: http.Server;
  /** Its token verifier (tests watch its queue). */
  verifier: TokenVerifier;
  apollo: ApolloServer<GatewayContext>;
  close(): Promise<void>;
}

export async function createGateway({ config, db, logger, graphiqlOrganizationId, dashboardDir }: GatewayDeps): Promise<Gateway> {
  // A self-hosted, offline product never phones home: @apollo/gateway reports anonymous usage
  // to Apollo unless this is set, and reads it in its constructor.
  process.env.APOLLO_TELEMETRY_DISABLED = '1';
  const metrics = createGatewayMetrics();
  const sources = new Map<string, SubgraphDataSource>();
  /** Each subgraph's URL as the gateway calls it (an override, else the supergraph's). */
  const subgraphUrls = new Map<string, string>();
  const gateway = new ApolloGateway({
    supergraphSdl: staticSupergraph(config.supergraphFile, logger),
    buildService: ({ name, url }) => {
      subgraphUrls.set(name, config.subgraphUrls[name as SubgraphName] ?? url ?? '');
      const source = new SubgraphDataSource({
        name,
        url: subgraphUrls.get(name)!,
        secret: config.internalSecret,
        timeoutMs: config.subgraphTimeoutMs,
        connections: config.subgraphConnections,
        metrics,
      });
      void sources.get(name)?.close();
      sources.set(name, source);
      return source;
    },
    logger,
  });
  const apollo = new ApolloServer<GatewayContext>({
    // The process's owner (`up`, a service's main) stops everything in order on SIGINT/SIGTERM;
    // Apollo's own handler would stop this server alone and send the signal again.
    stopOnTerminationSignals: false,
    gateway,
    logger,
    introspection: config.introspection,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // Automatic persisted queries would let any caller fill a shared cache; operations are small.
    persistedQueries: false,
    includeStacktraceInErrorResponses: false,
    // Checked before parsing (checkDocument below); the parser's own count is a backstop.
    parseOptions: { maxTokens: config.limits.maxTokens },
    validationRules: [...limitRules(config.limits), operationTypeRule, scalarLiteralRule],
    formatError: formatGatewayError(logger),
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      // No cache hints are used; the default plugin would hook every field of every response.
      ApolloServerPluginCacheControlDisabled(),
      metricsPlugin(metrics),
      operationResolutionPlugin(),
      scalarVariablesPlugin(),
    ],
  });
  await apollo.start();

  const verifier = new TokenVerifier(db, {
    ttlMs: config.tokenCacheTtlMs,
    queue: new VerificationQueue({ concurrency: config.tokenVerifyConcurrency, maxQueued: config.tokenVerifyQueue }),
  });
  const changes = new CredentialChangeFeed(db, {
    intervalMs: config.tokenRevocationPollMs,
    logger,
    onChange: (change) => {
      if (change.kind === 'api_token') verifier.forgetToken(change.subjectId);
      else if (change.kind === 'organization') verifier.forgetOrganization(change.subjectId);
    },
    onGap: () => verifier.forgetAll(),
  });
  await changes.start();
  const graphiql = createGraphiQL({
    query: fs.readFileSync(HEADLINE_QUERY_FILE, 'utf8'),
    variables: () => headlineVariables(graphiqlOrganizationId),
  });
  const dashboard = createDashboard({ dir: dashboardDir });
  const reference = createApiReference();
  /** The caller of a public request, from its Bearer token; HttpError 401, 429 or 503 otherwise. */
  const context = async (req: http.IncomingMessage): Promise<GatewayContext> => {
    let caller;
    try {
      caller = await verifier.verify(req.headers.authorization);
    } catch (error) {
      if (error instanceof VerificationBusyError) {
        metrics.authThrottled.inc();
        const retryAfter = error.retryAfterSeconds;
        throw new HttpError(429, 'too many token verifications in progress, retry later', ErrorCode.RATE_LIMITED, { retryAfter }, { 'Retry-After': String(retryAfter) });
      }
      logger.error({ err: error }, 'token lookup failed');
      throw new HttpError(503, 'authentication is temporarily unavailable', ErrorCode.SERVICE_UNAVAILABLE);
    }
    if (!caller) {
      metrics.authFailures.inc();
      throw new HttpError(401, 'missing, invalid or revoked API token (Authorization: Bearer <token>)', ErrorCode.UNAUTHENTICATED);
    }
    return { caller };
  };
  const rest = createRestApi({ apollo, context, logger });
  const upload = createFocusUploadProxy({
    context,
    expensesOrigin: () => new URL(subgraphUrls.get('expenses') ?? '').origin,
    secret: config.internalSecret,
    maxBytes: config.importMaxBytes,
    timeoutMs: config.importTimeoutMs,
    logger,
  });
  const server = createGraphQLHttpServer<GatewayContext>({
    apollo,
    logger,
    maxBodyBytes: config.limits.maxBodyBytes,
    graphqlOverHttpStatus: true,
    // Bills arrive as uploads (rest/focus-upload-proxy.ts), bounded by their own timeout.
    requestTimeoutMs: config.importTimeoutMs,
    checkDocument: (query) => {
      const exceeded = documentLimit(query, config.limits);
      if (exceeded) throw new HttpError(400, exceeded.message, ErrorCode.QUERY_TOO_COMPLEX, { limit: exceeded.limit });
    },
    // The seed's REST paths and the bill upload first; the API reference owns /docs and /openapi.*; the dashboard
    // owns / and its routes; GraphiQL keeps /graphql and /graphiql.
    route: async (req, res) => (await rest(req, res)) || (await upload(req, res)) || reference.serve(req, res) || dashboard(req, res) || graphiql(req, res),
    context,
  });
  // Ready once started, whatever the subgraphs do: every replica shares them, so a readiness
  // tied to a subgraph would take all of them out of the Service at once and turn the partial
  // answers the gateway gives without that subgraph into an outage (docs/deploy.md, Probes).
  // A failing subgraph shows in the metrics (CostgraphSubgraphDown).
  const internal = createInternalServer({ registry: metrics.registry, logger });
  return {
    server,
    internal,
    apollo,
    verifier,
    close: async () => {
      changes.close();
      await apollo.stop();
      await Promise.all([...sources.values()].map((s) => s.close()));
    },
  };
}

function headlineVariables(organizationId: string | undefined): Record<string, unknown> {
  const to = new Date();
  to.setUTCHours(0, 0, 0, 0);
  to.setUTCDate(to.getUTCDate() + 1);
  // 31 days up to tomorrow: the last 30 full days and today, what `costgraph demo` fills.
  const from = new Date(to.getTime() - 31 * 86_400_000);
  return { org: organizationId ?? '<organization id>', range: { from: from.toISOString(), to: to.toISOString() } };
}
