import type { Queryable } from '../lib/db/database';
import { closeServer, listen } from '../lib/graphql/http-server';
import type { Logger } from '../lib/log';
import type { GatewayConfig } from './config';
import { createGateway } from './server';

export interface RunningGateway {
  /** GraphQL endpoint; GraphiQL at the same URL in a browser. */
  url: string;
  close(): Promise<void>;
}

export async function startGateway(deps: { config: GatewayConfig; db: Queryable; logger: Logger; graphiqlOrganizationId?: string }): Promise<RunningGateway> {
  const gateway = await createGateway(deps);
  const base = await listen(gateway.server, deps.config.port, deps.config.host);
  deps.logger.info({ url: `${base}/graphql` }, 'gateway listening');
  return {
    url: `${base}/graphql`,
    close: async () => {
      await closeServer(gateway.server);
      await gateway.close();
    },
  };
}
