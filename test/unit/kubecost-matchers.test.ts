import { escapeLabelValue, escapeRegex, tenantSelector } from '../../subgraphs/kubecost/promql/matchers';

const A = '0192f1a4-7c2e-7d3a-9b1c-2f4e6a8b0c1d';
const B = '0192f1a4-7c2e-7d3a-9b1c-2f4e6a8b0c1e';

describe('PromQL matchers', () => {
  it.each([
    ['plain', 'plain'],
    ['say "hi"', 'say \\"hi\\"'],
    ['back\\slash', 'back\\\\slash'],
    ['two\nlines', 'two\\nlines'],
    ['"} or vector(1) #', '\\"} or vector(1) #'],
  ])('escapes the label value %j', (value, escaped) => {
    expect(escapeLabelValue(value)).toBe(escaped);
  });

  it('escapes every RE2 metacharacter so a value matches only itself', () => {
    const hostile = 'a.b*c+d?e|f(g)h[i]j{k}l^m$n\\o';
    const pattern = new RegExp(`^(?:${escapeRegex(hostile)})$`);
    expect(pattern.test(hostile)).toBe(true);
    expect(pattern.test('aXb*c+d?e|f(g)h[i]j{k}l^m$n\\o')).toBe(false);
    expect(escapeRegex('0192f1a4-7c2e')).toBe('0192f1a4-7c2e');
  });

  it('one cluster is an equality matcher, several a regex of exactly those ids', () => {
    expect(tenantSelector([A])).toBe(`tenant_id="${A}"`);
    expect(tenantSelector([A, B])).toBe(`tenant_id=~"${A}|${B}"`);
  });

  it.each([[['not-a-uuid']], [[A, '.*']], [[`${A}"} or vector(1) or {a="`]], [['']]])('refuses a batch holding a non-id: %j', (ids) => {
    expect(() => tenantSelector(ids)).toThrow(/refusing non-id tenant/);
  });

  it('refuses an empty batch, which would otherwise select every tenant', () => {
    expect(() => tenantSelector([])).toThrow(/at least one id/);
  });
});
