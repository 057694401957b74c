import { formatGatewayError } from '../../gateway/plugins/errors';
import { silentLogger } from '../../lib/log';

describe('gateway error format', () => {
  const format = formatGatewayError(silentLogger);

  it("passes a subgraph's QUERY_TOO_EXPENSIVE through with its message and the budget it names", () => {
    const formatted = format(
      { message: 'over the budget of 100 per request (KUBECOST_QUERY_BUDGET)', path: ['a'], extensions: { code: 'QUERY_TOO_EXPENSIVE', serviceName: 'kubecost', limit: 'KUBECOST_QUERY_BUDGET' } },
      new Error('x'),
    );
    expect(formatted).toEqual({
      message: 'over the budget of 100 per request (KUBECOST_QUERY_BUDGET)',
      path: ['a'],
      locations: undefined,
      extensions: { code: 'QUERY_TOO_EXPENSIVE', serviceName: 'kubecost', limit: 'KUBECOST_QUERY_BUDGET' },
    });
  });

  it("masks a subgraph's unknown code as that subgraph failing, without its details", () => {
    const formatted = format({ message: 'secret detail', extensions: { code: 'WHATEVER', serviceName: 'kubecost', limit: 'x' } }, new Error('x'));
    expect(formatted.message).toBe('kubecost failed');
    expect(formatted.extensions).toEqual({ code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'kubecost' });
  });
});
