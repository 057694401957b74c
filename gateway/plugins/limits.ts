import { GraphQLError, Kind, Lexer, Source, TokenKind, type ASTNode, type ASTVisitor, type DocumentNode, type FragmentDefinitionNode, type ValidationContext, type ValidationRule, visit } from 'graphql';
import type { QueryLimits } from '../config';

/**
 * Depth and alias limits as validation rules, so a bomb is refused before planning and
 * before any subgraph sees it. Tokens and nesting are checked before parsing (documentLimit).
 */
export function limitRules(limits: Pick<QueryLimits, 'maxDepth' | 'maxAliases'>): ValidationRule[] {
  return [
    (context: ValidationContext): ASTVisitor => ({
      Document(document) {
        // Cyclic fragments would recurse forever; graphql's NoFragmentCycles rule reports them.
        if (hasFragmentCycle(document)) return;
        const measure = documentMeasures(document);
        for (const definition of document.definitions) {
          if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
          const depth = measure.depth(definition);
          if (depth > limits.maxDepth) {
            context.reportError(limitError(`query depth ${depth} exceeds the limit of ${limits.maxDepth}`, 'maxDepth'));
          }
          const aliases = measure.aliases(definition);
          if (aliases > limits.maxAliases) {
            context.reportError(limitError(`${aliases} aliases exceed the limit of ${limits.maxAliases}`, 'maxAliases'));
          }
        }
      },
    }),
  ];
}

/**
 * Brackets of any kind may nest this much deeper than the depth limit: arguments, input
 * objects and lists inside the deepest selection. No document within the depth limit nests more.
 */
const VALUE_NESTING = 16;

export interface LimitExceeded {
  message: string;
  limit: keyof QueryLimits;
}

/**
 * The token and depth limits, measured on the text before it is parsed. graphql's parser
 * recurses once per nesting level and counts tokens as it goes, so a document nested
 * thousands of levels deep (lists especially: two tokens a level) overflowed the stack before
 * its token limit applied. The lexer is not recursive and stops at the first token over the
 * limit, so this costs at most maxTokens tokens whatever the document's size.
 */
export function documentLimit(query: string, limits: Pick<QueryLimits, 'maxDepth' | 'maxTokens'>): LimitExceeded | undefined {
  const maxNesting = limits.maxDepth + VALUE_NESTING;
  const lexer = new Lexer(new Source(query));
  let tokens = 0;
  let nesting = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (++tokens > limits.maxTokens) return { message: `the document has more than ${limits.maxTokens} tokens`, limit: 'maxTokens' };
      if (token.kind === TokenKind.BRACE_L || token.kind === TokenKind.BRACKET_L || token.kind === TokenKind.PAREN_L) {
        if (++nesting > maxNesting) return { message: `the document nests more than ${maxNesting} levels deep (query depth limit ${limits.maxDepth})`, limit: 'maxDepth' };
      } else if (token.kind === TokenKind.BRACE_R || token.kind === TokenKind.BRACKET_R || token.kind === TokenKind.PAREN_R) {
        nesting--;
      }
    }
  } catch {
    // Text the lexer cannot read: the parser reports the syntax error.
  }
  return undefined;
}

function limitError(message: string, limit: string): GraphQLError {
  // The gateway's error formatter turns `limit` into the QUERY_TOO_COMPLEX code.
  return new GraphQLError(message, { extensions: { limit } });
}

/**
 * Depth and alias counts with the same numbers as @graphql-inspector's countDepth and
 * countAliases (a fragment spread is one level, each selection one more; an alias counts once
 * per place it is spread into), but each fragment is measured once. Walking fragments anew at
 * every spread is exponential: 25 fragments each spreading the next twice took the event loop
 * for seconds before the depth error could be reported. Needs an acyclic document.
 */
function documentMeasures(document: DocumentNode): { depth(node: ASTNode): number; aliases(node: ASTNode): number } {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const depthOf = new Map<string, number>();
  const aliasesOf = new Map<string, number>();
  const memo = (cache: Map<string, number>, name: string, of: (fragment: FragmentDefinitionNode) => number): number => {
    const known = cache.get(name);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    const value = fragment ? of(fragment) : -1;
    cache.set(name, value);
    return value;
  };
  // depth(node) is countDepth(node, 0); countDepth(node, p) = p + depth(node).
  const depth = (node: ASTNode): number => {
    let max = 0;
    if ('selectionSet' in node && node.selectionSet) for (const child of node.selectionSet.selections) max = Math.max(max, 1 + depth(child));
    if (node.kind === Kind.FRAGMENT_SPREAD) {
      const below = memo(depthOf, node.name.value, depth);
      if (below >= 0) max = Math.max(max, 1 + below);
    }
    return max;
  };
  const aliases = (node: ASTNode): number => {
    let count = 'alias' in node && node.alias ? 1 : 0;
    if ('selectionSet' in node && node.selectionSet) for (const child of node.selectionSet.selections) count += aliases(child);
    else if (node.kind === Kind.FRAGMENT_SPREAD) count += Math.max(0, memo(aliasesOf, node.name.value, aliases));
    return count;
  };
  return { depth, aliases };
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
