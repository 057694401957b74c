import { getNamedType, GraphQLError, type ValidationRule, type ValueNode } from 'graphql';
import { SUBGRAPH_SCALARS } from '../../lib/graphql/scalars';

/**
 * The supergraph knows custom scalars by name only, so an inline literal such as
 * "2024-13-45T99:00:00Z" would reach the subgraph, whose validation refuses the whole
 * operation, and the client would see that subgraph failing (DOWNSTREAM_SERVICE_ERROR) for
 * its own mistake. This rule parses such literals with the subgraphs' own implementation
 * before planning (scalarVariablesPlugin does the same for variables). The error formatter
 * turns `badInput` into BAD_USER_INPUT; Apollo answers a failed validation with HTTP 400.
 */
export const scalarLiteralRule: ValidationRule = (context) => {
  const check = (node: ValueNode) => {
    const type = context.getInputType();
    const scalar = type ? SUBGRAPH_SCALARS.get(getNamedType(type).name) : undefined;
    if (!scalar) return;
    try {
      scalar.parseLiteral(node, undefined);
    } catch (error) {
      context.reportError(new GraphQLError(error instanceof Error ? error.message : String(error), { nodes: node, extensions: { badInput: true } }));
    }
  };
  return { StringValue: check, IntValue: check, FloatValue: check, BooleanValue: check, EnumValue: check };
};
