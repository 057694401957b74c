import { startListening, type RunningService } from '../../lib/http/listen';
import { createExpensesSubgraph, type ExpensesDeps } from './server';

export async function startExpensesSubgraph(deps: ExpensesDeps): Promise<RunningService> {
  return startListening(await createExpensesSubgraph(deps), deps.config, { name: 'expenses subgraph', logger: deps.logger, path: '/graphql' });
}
