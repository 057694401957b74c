import { GraphQLError } from 'graphql';
import { ErrorCode } from '../../../lib/graphql/errors';

/**
 * How much raw metrics one GraphQL request may have the store read, in cluster-hours: the
 * clusters × hours it asks of PromQL (hours already rolled up cost nothing). A request over it
 * is refused before its query is sent, so no single request can keep the store busy for
 * minutes; the hours computed by the requests that fit stay rolled up for the next ones.
 */
export class QueryBudget {
  private spent = 0;

  constructor(readonly clusterHours: number) {}

  /** Takes `clusterHours` from the budget, or throws QUERY_TOO_EXPENSIVE (taking nothing). */
  charge(clusterHours: number): void {
    if (this.spent + clusterHours > this.clusterHours) {
      throw new GraphQLError(
        `this request would read ${Math.ceil(this.spent + clusterHours)} cluster-hours of raw metrics (hours not rolled up yet), over the budget of ${this.clusterHours} per request (KUBECOST_QUERY_BUDGET): ask for fewer clusters or a shorter range`,
        { extensions: { code: ErrorCode.QUERY_TOO_EXPENSIVE, limit: 'KUBECOST_QUERY_BUDGET' } },
      );
    }
    this.spent += clusterHours;
  }
}
