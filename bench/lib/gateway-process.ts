/**
 * Child process of bench/gateway.ts: one gateway on a free port, either costgraph's
 * (`costgraph`) or a stock @apollo/gateway configuration (`stock`: default
 * RemoteGraphQLDataSource and fetcher, no caching) with the same token check and the same
 * signed context, so the two differ only in what the gateway itself does. Prints its URL.
 */
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloServerPluginLandingPageDisabled, ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled';
import fs from 'node:fs';
import { openDatabase } from '../../lib/db/open';
import { CONTEXT_HEADER, signContext, type CallerContext } from '../../lib/internal-auth/signed-context';
import { silentLogger } from '../../lib/log';
import { TokenVerifier } from '../../gateway/auth/token-verifier';
import { loadGatewayConfig } from '../../gateway/config';
import { startGateway } from '../../gateway/start';
import { profileOnSignal } from './profile-on-signal';

async function main(): Promise<void> {
  process.env.APOLLO_TELEMETRY_DISABLED = '1';
  const mode = process.argv[2];
  profileOnSignal(`gateway-${mode}`);
  const config = loadGatewayConfig({ ...process.env, GATEWAY_PORT: '0', GATEWAY_INTERNAL_PORT: '0' });
  const { db } = await openDatabase(config.common);
  if (mode === 'costgraph') {
    const gateway = await startGateway({ config, db, logger: silentLogger });
    process.stdout.write(`${JSON.stringify({ url: gateway.url })}\n`);
    return;
  }
  const urls = config.subgraphUrls;
  const gateway = new ApolloGateway({
    supergraphSdl: fs.readFileSync(config.supergraphFile, 'utf8'),
    buildService: ({ name, url }) =>
      new RemoteGraphQLDataSource<{ caller: CallerContext }>({
        url: urls[name as 'expenses' | 'kubecost'] ?? url,
        willSendRequest({ request, context }) {
          request.http?.headers.set(CONTEXT_HEADER, signContext(context.caller, config.internalSecret));
        },
      }),
  });
  const server = new ApolloServer<{ caller: CallerContext }>({
    gateway,
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginUsageReportingDisabled()],
  });
  const verifier = new TokenVerifier(db, { ttlMs: config.tokenCacheTtlMs });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => {
      const caller = await verifier.verify(req.headers.authorization);
      if (!caller) throw new Error('unauthenticated');
      return { caller };
    },
  });
  process.stdout.write(`${JSON.stringify({ url: `${url.replace(/\/$/, '')}/graphql` })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench gateway: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
