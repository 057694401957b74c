import { startListening, type RunningService } from '../../lib/graphql/http-server';
import { createKubecostSubgraph, type KubecostDeps } from './server';

export async function startKubecostSubgraph(deps: KubecostDeps): Promise<RunningService> {
  return startListening(await createKubecostSubgraph(deps), { name: 'kubecost subgraph', port: deps.config.port, host: deps.config.host, logger: deps.logger, path: '/graphql' });
}
