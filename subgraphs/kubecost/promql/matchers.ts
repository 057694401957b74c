import { isId } from '../../../lib/accounts/ids';

/** Escapes a string for a double-quoted PromQL label value. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Escapes RE2 metacharacters so a value matches only itself inside `=~`. */
export function escapeRegex(value: string): string {
  return value.replace(/[\\.^$|?*+()[\]{}]/g, '\\$&');
}

/**
 * The tenant matcher for a batch of clusters. Ids must be costgraph ids (UUIDs); anything
 * else is refused here, and every id is still escaped, so no id can widen the matcher.
 */
export function tenantSelector(ids: readonly string[]): string {
  if (ids.length === 0) throw new Error('tenantSelector needs at least one id');
  for (const id of ids) if (!isId(id)) throw new Error(`refusing non-id tenant ${JSON.stringify(id).slice(0, 80)}`);
  if (ids.length === 1) return `tenant_id="${escapeLabelValue(ids[0])}"`;
  return `tenant_id=~"${escapeLabelValue(ids.map(escapeRegex).join('|'))}"`;
}
