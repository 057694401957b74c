const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Every id costgraph issues is a UUID. Checking the shape first means a hostile or malformed
 * id is simply "not found" and never reaches SQL or PromQL.
 */
export function isId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * The one spelling of an id: a UUID in lower case, as the database returns it and as tenant
 * labels are written. Ids are compared as strings (caller scopes, loader keys, PromQL
 * matchers), so an upper-case spelling would otherwise find nothing in one place and the
 * object in another. Anything that is not a UUID is returned unchanged, to be "not found".
 */
export function canonicalId(value: string): string {
  return UUID.test(value) ? value.toLowerCase() : value;
}
