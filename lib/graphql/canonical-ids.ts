import {
  defaultFieldResolver,
  getNamedType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLFieldResolver,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';

type Canonical = (id: string) => string;

/** By name: the schema may hold another module copy's ID scalar. */
const isId = (type: unknown): boolean => isScalarType(type) && type.name === 'ID';

/** Whether a value of this input type can hold an ID, at any depth. */
function holdsId(type: GraphQLInputType, seen = new Set<string>()): boolean {
  const named = getNamedType(type);
  if (isId(named)) return true;
  if (!isInputObjectType(named) || seen.has(named.name)) return false;
  seen.add(named.name);
  return Object.values(named.getFields()).some((field) => holdsId(field.type, seen));
}

function canonicalValue(value: unknown, type: GraphQLInputType, canonical: Canonical): unknown {
  if (value === null || value === undefined) return value;
  if (isNonNullType(type)) return canonicalValue(value, type.ofType, canonical);
  if (isListType(type)) return Array.isArray(value) ? value.map((item) => canonicalValue(item, type.ofType, canonical)) : canonicalValue(value, type.ofType, canonical);
  if (isInputObjectType(type)) {
    if (typeof value !== 'object') return value;
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const field of Object.values(type.getFields())) {
      if (field.name in copy && holdsId(field.type)) copy[field.name] = canonicalValue(copy[field.name], field.type, canonical);
    }
    return copy;
  }
  return isId(type) && typeof value === 'string' ? canonical(value) : value;
}

/** An entity representation with its ID-typed key and @external fields in canonical form. */
function canonicalReference(schema: GraphQLSchema, reference: unknown, canonical: Canonical): unknown {
  if (typeof reference !== 'object' || reference === null) return reference;
  const ref = reference as Record<string, unknown>;
  const type = typeof ref.__typename === 'string' ? schema.getType(ref.__typename) : undefined;
  if (!isObjectType(type)) return reference;
  const fields = type.getFields();
  const copy: Record<string, unknown> = { ...ref };
  for (const [key, value] of Object.entries(ref)) {
    if (fields[key] && isId(getNamedType(fields[key].type))) {
      copy[key] = Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? canonical(v) : v)) : typeof value === 'string' ? canonical(value) : value;
    }
  }
  return copy;
}

/**
 * Makes every ID that enters the subgraph canonical before any resolver sees it: arguments
 * and input fields of type ID (however nested, from variables or literals) and the ID fields
 * of `_entities` representations. Resolvers, loaders and data modules then compare ids as
 * plain strings and agree on what an id finds. Changes the schema in place and returns it.
 */
export function canonicalizeIds(schema: GraphQLSchema, canonical: Canonical): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      if (type === schema.getQueryType() && field.name === '_entities') {
        field.resolve = (source, args: { representations?: unknown[] }, context, info) =>
          resolve(source, { ...args, representations: args.representations?.map((r) => canonicalReference(schema, r, canonical)) }, context, info);
        continue;
      }
      const withIds: GraphQLArgument[] = field.args.filter((arg) => holdsId(arg.type));
      if (withIds.length === 0) continue;
      field.resolve = (source, args: Record<string, unknown>, context, info) => {
        const copy = { ...args };
        for (const arg of withIds) if (arg.name in copy) copy[arg.name] = canonicalValue(copy[arg.name], arg.type, canonical);
        return resolve(source, copy, context, info);
      };
    }
  }
  return schema;
}
