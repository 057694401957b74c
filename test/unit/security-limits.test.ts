import { countAliases, countDepth } from '@graphql-inspector/core';
import { buildSchema, Kind, parse, validate, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { limitRules } from '../../gateway/plugins/limits';
import { seededRandom } from '../../dev/seeded-random';

const schema = buildSchema('type Query { a: Int }');

/** The depth and alias counts the gateway's rule reports (limits of -1 make it report always). */
function measured(document: DocumentNode): Array<{ depth: number; aliases: number }> {
  const errors = validate(schema, document, limitRules({ maxDepth: -1, maxAliases: -1 }));
  const numbers = errors.map((e) => Number(/^(?:query depth )?(\d+)/.exec(e.message)?.[1]));
  const out: Array<{ depth: number; aliases: number }> = [];
  for (let i = 0; i < numbers.length; i += 2) out.push({ depth: numbers[i], aliases: numbers[i + 1] });
  return out;
}

/** @graphql-inspector's own (exponential) counters: the reference the rule must agree with. */
function reference(document: DocumentNode): Array<{ depth: number; aliases: number }> {
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  return document.definitions
    .filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
    .map((op) => ({ depth: countDepth(op, 0, (n) => fragments.get(n)), aliases: countAliases(op, (n) => fragments.get(n)) }));
}

/** A random acyclic document: fragment i only spreads fragments > i; aliases, inline fragments. */
function randomDocument(random: () => number): string {
  const fragmentCount = Math.floor(random() * 6);
  const pick = (n: number) => Math.floor(random() * n);
  const selection = (level: number, minFragment: number): string => {
    const items: string[] = [];
    const count = 1 + pick(3);
    for (let i = 0; i < count; i++) {
      const r = random();
      if (r < 0.2 && minFragment < fragmentCount) items.push(`...F${minFragment + pick(fragmentCount - minFragment)}`);
      else if (r < 0.3 && level < 4) items.push(`... on Query { ${selection(level + 1, minFragment)} }`);
      else if (r < 0.6 && level < 4) items.push(`${random() < 0.4 ? `x${i}: ` : ''}f${i} { ${selection(level + 1, minFragment)} }`);
      else items.push(`${random() < 0.4 ? `y${i}: ` : ''}g${i}`);
    }
    return items.join(' ');
  };
  const fragments = Array.from({ length: fragmentCount }, (_, i) => `fragment F${i} on Query { ${selection(0, i + 1)} }`);
  const operations = Array.from({ length: 1 + pick(2) }, (_, i) => `query Q${i} { ${selection(0, 0)} }`);
  return [...operations, ...fragments].join('\n');
}

describe('gateway depth and alias limits', () => {
  it('count exactly what @graphql-inspector counts, on 500 random documents with fragments', () => {
    const random = seededRandom(6);
    for (let i = 0; i < 500; i++) {
      const document = parse(randomDocument(random));
      expect(measured(document)).toEqual(reference(document));
    }
  });

  it('measure a fragment fan-out bomb in linear time and refuse it', () => {
    // Each fragment spreads the next twice: 2^200 paths, 200 definitions, ~2,200 tokens.
    const n = 200;
    const fragments = Array.from({ length: n }, (_, i) => (i < n - 1 ? `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }` : `fragment F${i} on Query { b: a }`));
    const document = parse(`{ ...F0 }\n${fragments.join('\n')}`, { maxTokens: 3000 });
    // Walking the 2^200 paths would never end, so finishing at all shows each fragment is measured once.
    const errors = validate(schema, document, limitRules({ maxDepth: 12, maxAliases: 30 }));
    expect(errors.map((e) => e.extensions.limit)).toEqual(['maxDepth', 'maxAliases']);
    // The spread in the operation, then 2 levels per fragment; one alias reached through 2^199 paths.
    expect(errors[0].message).toBe(`query depth ${2 * n + 1} exceeds the limit of 12`);
    expect(errors[1].message).toMatch(/^[0-9.e+]+ aliases exceed the limit of 30$/);
  });
});
