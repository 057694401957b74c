const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Every id costgraph issues is a UUID. Checking the shape first means a hostile or malformed
 * id is simply "not found" and never reaches SQL or PromQL.
 */
export function isId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
