import { GraphQLScalarType, Kind } from 'graphql';
import { badInput } from './errors';

/** ISO-8601 with an explicit zone (Z or ±hh:mm); anything else is refused rather than guessed. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

function parse(value: unknown): Date {
  if (typeof value !== 'string' || !ISO_8601.test(value)) throw badInput(`DateTime must be an ISO-8601 string such as 2026-01-31T00:00:00Z, got ${JSON.stringify(value)?.slice(0, 60)}`);
  const date = new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime())) throw badInput(`DateTime ${JSON.stringify(value)} is not a valid date`);
  return date;
}

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant, as an ISO-8601 string in UTC (e.g. 2026-01-31T00:00:00Z).',
  serialize: (value) => (value instanceof Date ? value : new Date(value as string)).toISOString(),
  parseValue: parse,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw badInput('DateTime must be a string');
    return parse(ast.value);
  },
});
