import { GraphQLScalarType, Kind } from 'graphql';
import { badInput } from './errors';

/** ISO-8601 with an explicit zone (Z or ±hh:mm); anything else is refused rather than guessed. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** Billing data has no instants before the epoch; year 0 and earlier also break PostgreSQL's date input. */
const FIRST_YEAR = 1970;

function parse(value: unknown): Date {
  if (typeof value !== 'string' || !ISO_8601.test(value)) throw badInput(`DateTime must be an ISO-8601 string such as 2026-01-31T00:00:00Z, got ${JSON.stringify(value)?.slice(0, 60)}`);
  const date = new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
  const [year, month, day] = value.slice(0, 10).split('-').map(Number);
  // Date rolls 2026-11-31 over to December 1st; the calendar day as written must exist.
  const written = new Date(Date.UTC(year, month - 1, day));
  if (Number.isNaN(date.getTime()) || written.getUTCMonth() !== month - 1 || written.getUTCDate() !== day) {
    throw badInput(`DateTime ${JSON.stringify(value)} is not a valid date`);
  }
  if (year < FIRST_YEAR) throw badInput(`DateTime ${JSON.stringify(value)} is before ${FIRST_YEAR}`);
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

/**
 * Every custom scalar of the subgraphs, by name. The gateway knows them by name only and
 * checks literals and variables of them with these same implementations before planning.
 */
export const SUBGRAPH_SCALARS: ReadonlyMap<string, GraphQLScalarType> = new Map([[DateTimeScalar.name, DateTimeScalar as GraphQLScalarType]]);
