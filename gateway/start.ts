import type { Queryable } from '../lib/db/database';
import { startListening, type RunningService } from '../lib/http/listen';
import type { Logger } from '../lib/log';
import type { GatewayConfig } from './config';
import { createGateway } from './server';

/** The gateway listening: `url` is the GraphQL endpoint (GraphiQL at the same URL in a browser), `internalUrl` its metrics and readiness. */
export async function startGateway(deps: { config: GatewayConfig; db: Queryable; logger: Logger; graphiqlOrganizationId?: string }): Promise<RunningService> {
  return startListening(await createGateway(deps), deps.config, { name: 'gateway', logger: deps.logger, path: '/graphql' });
}
