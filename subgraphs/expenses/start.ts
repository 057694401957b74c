import { startListening, type RunningService } from '../../lib/graphql/http-server';
import { createExpensesSubgraph, type ExpensesDeps } from './server';

export async function startExpensesSubgraph(deps: ExpensesDeps): Promise<RunningService> {
  return startListening(await createExpensesSubgraph(deps), { name: 'expenses subgraph', port: deps.config.port, host: deps.config.host, logger: deps.logger, path: '/graphql' });
}
