import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, isInputObjectType, isListType, isNonNullType, typeFromAST, type GraphQLInputType, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { ErrorCode } from '../../lib/graphql/errors';
import { SUBGRAPH_SCALARS } from '../../lib/graphql/scalars';

/**
 * The supergraph knows the subgraphs' custom scalars by name only, so the gateway's own
 * variable coercion accepts any value for them and the subgraph refused it after planning,
 * reported as that subgraph's error. Each such value is parsed here with the subgraphs' own
 * implementation before planning: a bad one is the client's mistake, HTTP 400 BAD_USER_INPUT,
 * as for an inline literal (scalarLiteralRule). Everything else is left to graphql's coercion.
 */
export function scalarVariablesPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, schema, request }) {
          if (operation) checkVariables(schema, operation, request.variables ?? {});
        },
      };
    },
  };
}

function checkVariables(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Record<string, unknown>): void {
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
    if (!type || !(name in variables)) continue;
    const failure = firstFailure(variables[name], type, name);
    if (failure) {
      const shown = JSON.stringify(failure.value)?.slice(0, 60);
      throw new GraphQLError(`Variable "$${name}" got invalid value ${shown} at "${failure.path}"; ${failure.message}`, {
        extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } },
      });
    }
  }
}

interface Failure {
  path: string;
  value: unknown;
  message: string;
}

/** Walks the value along its type (as graphql's coercion does) and parses each subgraph scalar in it. */
function firstFailure(value: unknown, type: GraphQLInputType, path: string): Failure | undefined {
  if (value === null || value === undefined) return undefined;
  if (isNonNullType(type)) return firstFailure(value, type.ofType, path);
  if (isListType(type)) {
    if (!Array.isArray(value)) return firstFailure(value, type.ofType, path);
    for (const [i, item] of value.entries()) {
      const failure = firstFailure(item, type.ofType, `${path}[${i}]`);
      if (failure) return failure;
    }
    return undefined;
  }
  if (isInputObjectType(type)) {
    if (typeof value !== 'object' || Array.isArray(value)) return undefined;
    for (const field of Object.values(type.getFields())) {
      if (!(field.name in value)) continue;
      const failure = firstFailure((value as Record<string, unknown>)[field.name], field.type, `${path}.${field.name}`);
      if (failure) return failure;
    }
    return undefined;
  }
  const scalar = SUBGRAPH_SCALARS.get(type.name);
  if (!scalar) return undefined;
  try {
    scalar.parseValue(value);
    return undefined;
  } catch (error) {
    return { path, value, message: error instanceof Error ? error.message : String(error) };
  }
}
