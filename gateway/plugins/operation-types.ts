import { GraphQLError, type ValidationRule } from 'graphql';

/**
 * graphql 16 validates no operation type against the schema's root types, so a subscription
 * reached the query planner, which threw ("no subscription root type") and the client got a
 * 500. Refused here, it is a validation error: HTTP 400 with GRAPHQL_VALIDATION_FAILED.
 */
export const operationTypeRule: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (!context.getSchema().getRootType(node.operation)) {
      context.reportError(new GraphQLError(`this API has no ${node.operation} operations`, { nodes: node }));
    }
  },
});
