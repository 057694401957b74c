import { parse } from 'graphql';
import { documentLimit } from '../../gateway/plugins/limits';

const limits = { maxDepth: 12, maxTokens: 3000 };

describe('documentLimit (before parsing)', () => {
  it('counts tokens as the parser does: comments are not tokens', () => {
    const within = `{ ${'a '.repeat(2998)}}`;
    expect(documentLimit(within, limits)).toBeUndefined();
    expect(() => parse(within, { maxTokens: 3000 })).not.toThrow();
    const over = `{ ${'a '.repeat(2999)}}`;
    expect(documentLimit(over, limits)).toMatchObject({ limit: 'maxTokens' });
    expect(() => parse(over, { maxTokens: 3000 })).toThrow(/tokens/);
    expect(documentLimit(`{ a } # ${'b '.repeat(10_000)}`, limits)).toBeUndefined();
  });

  it('refuses nesting the parser would recurse into, of any bracket, within the token limit', () => {
    for (const [open, close] of [['{ a ', '}'], ['[', ']'], ['{a:', '}']] as const) {
      const text = `{ f(x: ${open.repeat(500)}1${close.repeat(500)}) }`;
      expect(documentLimit(text, { maxDepth: 12, maxTokens: 100_000 })).toMatchObject({ limit: 'maxDepth' });
    }
    // What a query within the depth limit needs: 12 selection levels and nested arguments.
    const deepest = `{ ${'a { '.repeat(11)}b(range: { from: "x", tag: { key: [["k"]] } }) ${'} '.repeat(11)}}`;
    expect(documentLimit(deepest, limits)).toBeUndefined();
  });

  it('stops early on huge text and leaves syntax errors to the parser', () => {
    expect(documentLimit('['.repeat(10_000_000), { maxDepth: 12, maxTokens: 100_000 })).toMatchObject({ limit: 'maxDepth' });
    expect(documentLimit(`{ a(s: "${'x'.repeat(1_000_000)}") }`, limits)).toBeUndefined();
    expect(documentLimit('{ a(s: "unterminated) }', limits)).toBeUndefined();
    expect(documentLimit('{ a ] ] ] }', limits)).toBeUndefined();
  });
});
