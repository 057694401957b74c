import fs from 'node:fs';
import type http from 'node:http';
import { ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { GraphQLError, type GraphQLFormattedError, parse } from 'graphql';
import type { Registry } from 'prom-client';
import { canonicalId } from '../accounts/ids';
import { createInternalServer } from '../http/internal-server';
import { ContextSignatureError, CONTEXT_HEADER, verifyContext, type CallerContext } from '../internal-auth/signed-context';
import type { Logger } from '../log';
import { canonicalizeIds } from './canonical-ids';
import { ErrorCode, forbidden } from './errors';
import { roundFloatFields } from './float-precision';
import { createGraphQLHttpServer, HttpError } from './http-server';

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

/**
 * Errors a resolver threw on purpose (GraphQLError with one of our codes) or that GraphQL
 * itself raised (validation) reach the client; anything else is logged and masked.
 */
export function maskErrors(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const code = formatted.extensions?.code;
    if (original instanceof GraphQLError && typeof original.extensions?.code === 'string' && KNOWN_CODES.has(original.extensions.code)) {
      return { message: formatted.message, path: formatted.path, locations: formatted.locations, extensions: { code: original.extensions.code, ...pick(original.extensions) } };
    }
    if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR' && !(original instanceof Error && !(original instanceof GraphQLError))) {
      // Apollo's own request errors: GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT for variables, ...
      return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code } };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected resolver error');
    return { message: 'internal error', path: formatted.path, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  };
}

/** The extensions a client can act on beside the code: the argument at fault, the limit hit. */
function pick(extensions: Record<string, unknown>): Record<string, unknown> {
  const { argument, limit } = extensions as { argument?: unknown; limit?: unknown };
  return { ...(argument === undefined ? {} : { argument }), ...(limit === undefined ? {} : { limit }) };
}

/** Every subgraph's request context starts from the verified caller. */
export type SubgraphContext = BaseContext & { caller: CallerContext };

/**
 * Read-only callers run queries only. The check lives here, in the server every subgraph is
 * built with, and not in each mutation resolver: a mutation added later is covered without
 * anyone remembering a guard, a document with several mutation fields is refused before any of
 * them runs (nothing is half done), and a caller reaching a subgraph directly with a signed
 * read-only context gets the same refusal as through the gateway.
 */
function readOnlyRunsQueriesOnly<C extends SubgraphContext>(): ApolloServerPlugin<C> {
  return {
    requestDidStart: async () => ({
      didResolveOperation: async ({ operation, contextValue }) => {
        if (operation?.operation === 'mutation' && contextValue.caller.role !== 'admin') {
          throw forbidden(`a ${contextValue.caller.role} token cannot run mutations`);
        }
      },
    }),
  };
}

export interface SubgraphOptions<C extends SubgraphContext> {
  name: string;
  schemaFile: string;
  resolvers: GraphQLResolverMap<C>;
  secret: string;
  logger: Logger;
  /** Builds the per-request context from the verified caller (fresh DataLoaders every time). */
  buildContext: (caller: CallerContext) => C;
  /** Served on the internal listener's /metrics. */
  registry: Registry;
  /** The internal listener's /readyz. */
  ready?: () => Promise<boolean>;
  introspection?: boolean;
  /** Float results lose the noise of binary arithmetic (see `roundFloatFields`). */
  roundFloats?: boolean;
  /** Routes beside /graphql (they check the signed context themselves); true when handled. */
  route?: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;
}

export interface Subgraph<C extends SubgraphContext> {
  apollo: ApolloServer<C>;
  /** Public: /graphql and /healthz. */
  server: http.Server;
  /** Internal: /metrics, /readyz and /healthz. */
  internal: http.Server;
}

/** A federated subgraph that refuses (401) any request without a valid gateway signature. */
export async function createSubgraph<C extends SubgraphContext>(options: SubgraphOptions<C>): Promise<Subgraph<C>> {
  const typeDefs = parse(fs.readFileSync(options.schemaFile, 'utf8'));
  // Ids are made canonical here, for every operation of every subgraph, and nowhere else.
  const schema = canonicalizeIds(buildSubgraphSchema([{ typeDefs, resolvers: options.resolvers }]), canonicalId);
  const apollo = new ApolloServer<C>({
    schema: options.roundFloats ? roundFloatFields(schema) : schema,
    formatError: maskErrors(options.logger),
    // The process's owner (`up`, a service's main) stops everything in order on SIGINT/SIGTERM;
    // Apollo's own handler would stop this server alone and send the signal again.
    stopOnTerminationSignals: false,
    introspection: options.introspection ?? true,
    includeStacktraceInErrorResponses: false,
    // Subgraphs are called by the gateway only (JSON POSTs); keep CSRF prevention on anyway.
    csrfPrevention: true,
    logger: options.logger,
    // Federated tracing (ftv1) is for Apollo's hosted reporting, which a self-hosted product never uses.
    // Cache-control hints are unused (nothing sets them) but the default plugin hooks every
    // field's resolution: about a third of execution time for a 100-cluster report.
    plugins: [ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled(), readOnlyRunsQueriesOnly<C>()],
  });
  await apollo.start();
  const server = createGraphQLHttpServer<C>({
    apollo,
    logger: options.logger,
    route: options.route,
    context: async (req) => {
      const header = req.headers[CONTEXT_HEADER];
      try {
        return options.buildContext(verifyContext(Array.isArray(header) ? undefined : header, options.secret));
      } catch (error) {
        if (error instanceof ContextSignatureError) throw new HttpError(401, `${options.name}: ${error.message}`, ErrorCode.UNAUTHENTICATED);
        throw error;
      }
    },
  });
  const internal = createInternalServer({ registry: options.registry, ready: options.ready, logger: options.logger });
  return { apollo, server, internal };
}
