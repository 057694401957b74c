import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode } from '../../lib/graphql/errors';
import { GraphQLError } from 'graphql';

/**
 * Refuses a document whose operation cannot be chosen (an unknown `operationName`, or several
 * operations and no name) as a bad request. Apollo Server leaves that to the executor, and
 * @apollo/gateway throws instead of answering with errors, which surfaced as HTTP 500.
 */
export function operationResolutionPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(requestContext) {
          if (requestContext.operation) return;
          const name = requestContext.request.operationName;
          const message = name ? `Unknown operation named ${JSON.stringify(name.slice(0, 100))}.` : 'Must provide an operation name: the document has several.';
          throw new GraphQLError(message, { extensions: { code: ErrorCode.OPERATION_RESOLUTION_FAILURE, http: { status: 400 } } });
        },
      };
    },
  };
}
