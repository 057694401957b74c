import type { Queryable } from '../lib/db/database';
import { startListening, type RunningService } from '../lib/graphql/http-server';
import type { Logger } from '../lib/log';
import type { GatewayConfig } from './config';
import { createGateway } from './server';

/** The gateway listening: `url` is the GraphQL endpoint (GraphiQL at the same URL in a browser). */
export async function startGateway(deps: { config: GatewayConfig; db: Queryable; logger: Logger; graphiqlOrganizationId?: string }): Promise<RunningService> {
  return startListening(await createGateway(deps), { name: 'gateway', port: deps.config.port, host: deps.config.host, logger: deps.logger, path: '/graphql' });
}
