import { startListening, type RunningService } from '../../lib/http/listen';
import { createKubecostSubgraph, type KubecostDeps } from './server';

export async function startKubecostSubgraph(deps: KubecostDeps): Promise<RunningService> {
  return startListening(await createKubecostSubgraph(deps), deps.config, { name: 'kubecost subgraph', logger: deps.logger, path: '/graphql' });
}
