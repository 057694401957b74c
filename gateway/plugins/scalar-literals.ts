import { getNamedType, GraphQLError, type GraphQLScalarType, type ValidationRule, type ValueNode } from 'graphql';
import { DateTimeScalar } from '../../lib/graphql/scalars';

/** The custom scalars of the subgraphs, by name, with the implementation they use. */
const SUBGRAPH_SCALARS = new Map<string, GraphQLScalarType>([[DateTimeScalar.name, DateTimeScalar]]);

/**
 * The supergraph knows custom scalars by name only, so the gateway used to pass an inline literal
 * such as "2024-13-45T99:00:00Z" to the subgraph, whose validation refused the whole
 * operation: the client saw that subgraph failing (DOWNSTREAM_SERVICE_ERROR) where a variable
 * with the same value gave BAD_USER_INPUT. This rule parses such literals with the subgraphs'
 * own implementation before planning. The error formatter turns `badInput` into
 * BAD_USER_INPUT; Apollo answers a failed validation with HTTP 400.
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
