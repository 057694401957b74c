import { buildSubgraphSchema } from '@apollo/subgraph';
import { graphql, parse } from 'graphql';
import { roundFloatFields, withoutFloatNoise } from '../../lib/graphql/float-precision';

const typeDefs = parse(`
  type Query { report: Report! }
  type Report {
    sum: Float!
    stored: Float!
    later: Float
    missing: Float
    series: [Float!]!
    count: Int!
    label: String!
    failing: Float
  }
`);

// Values as float arithmetic leaves them: each has noise in its last digits.
const noisySum = 0.1 + 0.2;
const resolvers = {
  Query: { report: () => ({ stored: 425.240256 + 1e-13, label: String(noisySum) }) },
  Report: {
    sum: () => noisySum,
    later: async () => 1041.070464 + 1e-13,
    missing: () => null,
    series: () => [noisySum, 12_345_678_901.23, 0.0000001, -(0.1 + 0.7)],
    count: () => 3,
    failing: () => {
      throw new Error('no data');
    },
  },
};

async function run(schema = roundFloatFields(buildSubgraphSchema([{ typeDefs, resolvers }]))) {
  return graphql({ schema, source: '{ report { sum stored later missing series count label failing } }' });
}

describe('roundFloatFields', () => {
  it('is needed: without it the noise reaches the answer', async () => {
    const { data } = await run(buildSubgraphSchema([{ typeDefs, resolvers }]));
    expect(data?.report).toMatchObject({ sum: 0.30000000000000004 });
  });

  it('drops the noise of sync, async and default resolvers, and of list items', async () => {
    const { data } = await run();
    expect(data?.report).toEqual({
      sum: 0.3,
      stored: 425.240256,
      later: 1041.070464,
      missing: null,
      series: [0.3, 12_345_678_901.23, 0.0000001, -0.8],
      count: 3,
      label: '0.30000000000000004',
      failing: null,
    });
  });

  it('leaves errors of the resolvers it wraps as they were', async () => {
    const { errors } = await run();
    expect(errors?.map((e) => [e.message, e.path])).toEqual([['no data', ['report', 'failing']]]);
  });
});

describe('withoutFloatNoise', () => {
  it('keeps nine decimals and fifteen significant digits: every cent below ten trillion', () => {
    expect(withoutFloatNoise(9_999_999_999_999.99)).toBe(9_999_999_999_999.99);
    expect(withoutFloatNoise(1 / 3)).toBe(0.333333333);
    expect(withoutFloatNoise(1_000_000 / 3)).toBe(333_333.333333333);
    // Noise before the 15th digit, as PromQL's arithmetic on timestamps leaves it.
    expect(withoutFloatNoise(0.468750000000006)).toBe(0.46875);
    expect(withoutFloatNoise(7.13611680000001)).toBe(7.1361168);
    expect(withoutFloatNoise(0.0000001)).toBe(0.0000001);
    expect(withoutFloatNoise(0)).toBe(0);
    expect(withoutFloatNoise(Infinity)).toBe(Infinity);
    expect(withoutFloatNoise('0.1')).toBe('0.1');
  });
});
