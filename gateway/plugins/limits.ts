import { countAliases, countDepth } from '@graphql-inspector/core';
import { GraphQLError, Kind, type ASTVisitor, type DocumentNode, type FragmentDefinitionNode, type ValidationContext, type ValidationRule, visit } from 'graphql';
import type { QueryLimits } from '../config';

/**
 * Depth and alias limits as validation rules, so a bomb is refused before planning and
 * before any subgraph sees it. (Token count is enforced by the parser itself: parseOptions.)
 */
export function limitRules(limits: Pick<QueryLimits, 'maxDepth' | 'maxAliases'>): ValidationRule[] {
  return [
    (context: ValidationContext): ASTVisitor => ({
      Document(document) {
        // Cyclic fragments would recurse forever; graphql's NoFragmentCycles rule reports them.
        if (hasFragmentCycle(document)) return;
        const fragment = fragmentLookup(document);
        for (const definition of document.definitions) {
          if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
          const depth = countDepth(definition, 0, fragment);
          if (depth > limits.maxDepth) {
            context.reportError(limitError(`query depth ${depth} exceeds the limit of ${limits.maxDepth}`, 'maxDepth'));
          }
          const aliases = countAliases(definition, fragment);
          if (aliases > limits.maxAliases) {
            context.reportError(limitError(`${aliases} aliases exceed the limit of ${limits.maxAliases}`, 'maxAliases'));
          }
        }
      },
    }),
  ];
}

function limitError(message: string, limit: string): GraphQLError {
  // The gateway's error formatter turns `limit` into the QUERY_TOO_COMPLEX code.
  return new GraphQLError(message, { extensions: { limit } });
}

function fragmentLookup(document: DocumentNode): (name: string) => FragmentDefinitionNode | undefined {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return (name) => fragments.get(name);
}

function hasFragmentCycle(document: DocumentNode): boolean {
  const spreads = new Map<string, string[]>();
  for (const d of document.definitions) {
    if (d.kind !== Kind.FRAGMENT_DEFINITION) continue;
    const names: string[] = [];
    visit(d.selectionSet, { FragmentSpread: (node) => void names.push(node.name.value) });
    spreads.set(d.name.value, names);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const walk = (name: string): boolean => {
    if (state.get(name) === 'done') return false;
    if (state.get(name) === 'visiting') return true;
    state.set(name, 'visiting');
    const cyclic = (spreads.get(name) ?? []).some(walk);
    state.set(name, 'done');
    return cyclic;
  };
  return [...spreads.keys()].some(walk);
}
