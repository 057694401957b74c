import { defaultFieldResolver, getNamedType, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';

/**
 * Significant digits a Float keeps on its way out. A double holds 15 to 17; sums of prices ×
 * hours, in PromQL or here, leave binary noise in the last ones (425.24025600000004 for
 * 425.240256). Fifteen drop the noise and keep every cent below ten trillion.
 */
const FLOAT_DIGITS = 15;
/**
 * Decimals a Float keeps: a billionth of a currency unit. PromQL's arithmetic on timestamps
 * (seconds since 1970, ten digits) leaves noise earlier than the 15th digit of small amounts
 * (0.468750000000006 for 0.46875).
 */
const FLOAT_DECIMALS = 9;

/** A number without the noise of binary arithmetic; anything else as it is (lists item by item). */
export function withoutFloatNoise(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? Number(Number(value.toFixed(FLOAT_DECIMALS)).toPrecision(FLOAT_DIGITS)) : value;
  if (Array.isArray(value)) return value.map(withoutFloatNoise);
  return value;
}

const isThenable = (value: unknown): value is PromiseLike<unknown> => typeof (value as PromiseLike<unknown> | null)?.then === 'function';

/**
 * Makes every field of type Float (or a list of Float) of the schema's object types return
 * its value through `withoutFloatNoise`, whatever resolver computes it. Changes the schema in
 * place and returns it.
 */
export function roundFloatFields(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (getNamedType(field.type).name !== 'Float') continue;
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        const value = resolve(source, args, context, info);
        return isThenable(value) ? value.then(withoutFloatNoise) : withoutFloatNoise(value);
      };
    }
  }
  return schema;
}
