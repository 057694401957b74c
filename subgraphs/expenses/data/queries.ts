import { isId } from '../../../lib/accounts/ids';
import type { Queryable } from '../../../lib/db/database';
import { addDecimals, formatDecimal, parseDecimal, ZERO } from './decimal';

/**
 * The read side of expenses, called by the GraphQL expenses subgraph. Callers pass an
 * organization id they have already authorised; everything here is scoped to it and to its
 * live (not soft-deleted) cloud accounts.
 *
 * Sums are computed in SQL over exact `numeric` values and become JavaScript numbers only at
 * the end (`::float8`, the nearest double). Totals and breakdowns read the whole UTC days of
 * their range from `expense_daily_totals` where the question allows it (`sourcesOf`), and the
 * rest from the rows; both hold the same exact sums, so the answer does not depend on which.
 *
 * Filter semantics:
 * - an absent list (undefined/null) does not filter; a present list matches rows whose value is
 *   one of its entries, so an empty list (or one holding only malformed ids) matches nothing;
 * - the entry '' matches rows without a value, the same '' that `breakdown` uses as their key;
 * - `providers` matches FOCUS ProviderName as imported ('AWS', 'Microsoft', 'Oracle', ...);
 * - `regions` matches RegionId or RegionName;
 * - `tag` matches rows having the key (and, with `value`, having exactly that value);
 * - `resourceIdContains` is a case-insensitive substring match on ResourceId ('' = no filter).
 */

export type CostType = 'BILLED' | 'EFFECTIVE' | 'LIST';
export type ExpenseOrder = 'COST_DESC' | 'COST_ASC' | 'DATE_DESC' | 'DATE_ASC';
export type ExpenseDimension = 'DAY' | 'SERVICE' | 'REGION' | 'RESOURCE_TYPE' | 'CLOUD_ACCOUNT' | 'SERVICE_CATEGORY' | 'TAG' | 'KUBERNETES_CLUSTER';

export interface ExpenseFilter {
  cloudAccountIds?: string[];
  providers?: string[];
  services?: string[];
  regions?: string[];
  resourceTypes?: string[];
  tag?: { key: string; value?: string };
  resourceIdContains?: string;
}

export interface ExpenseScope {
  organizationId: string;
  /** Half-open range [from, to) on ChargePeriodStart. */
  from: Date;
  to: Date;
  filter?: ExpenseFilter;
  costType: CostType;
}

export interface ExpenseItem {
  id: string;
  cloudAccountId: string;
  chargePeriodStart: Date;
  chargePeriodEnd: Date;
  /** The cost of the scope's cost type. */
  cost: number;
  billedCost: number;
  effectiveCost: number;
  listCost: number;
  currency: string;
  provider: string;
  serviceName: string | null;
  serviceCategory: string | null;
  regionId: string | null;
  regionName: string | null;
  resourceId: string | null;
  resourceName: string | null;
  resourceType: string | null;
  chargeCategory: string | null;
  chargeDescription: string | null;
  skuId: string | null;
  tags: Record<string, unknown>;
  /** The organization's Kubernetes cluster the row charges, when matched. */
  kubernetesClusterId: string | null;
}

export interface ExpensePage {
  items: ExpenseItem[];
  endCursor: string | null;
  hasNextPage: boolean;
}

export interface BreakdownEntry {
  /** '' for rows without a value in the dimension (no service, no region, no such tag...). */
  key: string;
  cost: number;
  count: number;
}

/** Bad input from the API's caller: the subgraph turns it into a BAD_USER_INPUT error. */
export class ExpenseQueryError extends Error {
  readonly code = 'BAD_USER_INPUT' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ExpenseQueryError';
  }
}

export const MAX_FILTER_VALUES = 100;
export const MAX_FILTER_TEXT = 1000;
export const MAX_PAGE_SIZE = 500;

const COST_COLUMNS: Record<CostType, string> = {
  BILLED: 'e.billed_cost',
  EFFECTIVE: 'e.effective_cost',
  LIST: 'e.list_cost',
};

/**
 * The organization's live cluster a row belongs to (its cloud account id), or NULL: the cluster
 * reporting the row's machine or disk as an asset, else the cluster the bill names (its own
 * resource, its tag; a name set on the cluster's account replaces the names learned from its
 * metrics). Clusters sharing a key (a misconfiguration) give the smallest id.
 */
const KUBERNETES_CLUSTER_OF_ROW = `COALESCE(
  (SELECT min(a.cloud_account_id::text) FROM kubecost_assets a JOIN cloud_accounts c ON c.id = a.cloud_account_id AND c.deleted_at IS NULL
    WHERE a.resource_key = e.bill_resource_key AND c.organization_id = e.organization_id),
  (SELECT min(k.cloud_account_id::text) FROM kubernetes_cluster_keys k JOIN cloud_accounts c ON c.id = k.cloud_account_id AND c.deleted_at IS NULL
    WHERE k.cluster_key = e.bill_cluster_key AND c.organization_id = e.organization_id
      AND (k.source = 'set' OR NOT EXISTS (SELECT 1 FROM kubernetes_cluster_keys s WHERE s.cloud_account_id = k.cloud_account_id AND s.source = 'set'))))`;

const DIMENSIONS: Record<Exclude<ExpenseDimension, 'TAG'>, string> = {
  DAY: `to_char(e.charge_period_start AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
  SERVICE: `COALESCE(e.service_name, '')`,
  REGION: `COALESCE(e.region_id, e.region_name, '')`,
  RESOURCE_TYPE: `COALESCE(e.resource_type, '')`,
  CLOUD_ACCOUNT: 'e.cloud_account_id::text',
  SERVICE_CATEGORY: `COALESCE(e.service_category, '')`,
  KUBERNETES_CLUSTER: `COALESCE(${KUBERNETES_CLUSTER_OF_ROW}, '')`,
};

const ORDERS: Record<ExpenseOrder, { key: 'cost' | 'date'; direction: 'ASC' | 'DESC' }> = {
  COST_DESC: { key: 'cost', direction: 'DESC' },
  COST_ASC: { key: 'cost', direction: 'ASC' },
  DATE_DESC: { key: 'date', direction: 'DESC' },
  DATE_ASC: { key: 'date', direction: 'ASC' },
};

class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

function costColumn(costType: CostType): string {
  const column = Object.prototype.hasOwnProperty.call(COST_COLUMNS, costType) ? COST_COLUMNS[costType] : undefined;
  if (!column) throw new ExpenseQueryError(`costType must be one of ${Object.keys(COST_COLUMNS).join(', ')}`);
  return column;
}

function checkText(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new ExpenseQueryError(`${name} must be a string`);
  if (value.length > MAX_FILTER_TEXT) throw new ExpenseQueryError(`${name} may be at most ${MAX_FILTER_TEXT} characters`);
  // PostgreSQL text cannot hold NUL: the query would fail as an internal error instead.
  if (value.includes('\u0000')) throw new ExpenseQueryError(`${name} may not contain NUL characters`);
  return value;
}

function checkList(name: string, values: unknown): string[] | undefined {
  if (values === undefined || values === null) return undefined;
  if (!Array.isArray(values)) throw new ExpenseQueryError(`filter.${name} must be a list`);
  if (values.length > MAX_FILTER_VALUES) throw new ExpenseQueryError(`filter.${name} may list at most ${MAX_FILTER_VALUES} values`);
  return values.map((value) => checkText(`filter.${name} values`, value));
}

/** `column` is one of `values`; '' among them also matches NULL. */
function inList(params: Params, columns: string[], values: string[]): string {
  const named = values.filter((value) => value !== '');
  const parts: string[] = [];
  if (named.length > 0) {
    const list = params.add(named);
    for (const column of columns) parts.push(`${column} = ANY(${list}::text[])`);
  }
  if (named.length < values.length) parts.push(`(${columns.map((column) => `${column} IS NULL`).join(' AND ')})`);
  return parts.length === 0 ? 'false' : `(${parts.join(' OR ')})`;
}

/** A scope after validation: what its filter asks, in the shape the SQL builders use. */
interface CheckedScope {
  organizationId: string;
  from: Date;
  to: Date;
  cost: string;
  cloudAccountIds?: string[];
  providers?: string[];
  services?: string[];
  regions?: string[];
  resourceTypes?: string[];
  tagKey?: string;
  tagValue?: string;
  resourceIdContains: string;
}

/**
 * Validates a scope. Throws ExpenseQueryError on invalid input; undefined when the scope can
 * match nothing (an organization id that is not an id, only malformed account ids).
 */
function checkScope(scope: ExpenseScope): CheckedScope | undefined {
  if (!(scope.from instanceof Date) || Number.isNaN(scope.from.getTime())) throw new ExpenseQueryError('from must be a valid date');
  if (!(scope.to instanceof Date) || Number.isNaN(scope.to.getTime())) throw new ExpenseQueryError('to must be a valid date');
  if (scope.to.getTime() < scope.from.getTime()) throw new ExpenseQueryError('to must not be before from');
  const cost = costColumn(scope.costType);
  const filter = scope.filter ?? {};
  const cloudAccountIds = checkList('cloudAccountIds', filter.cloudAccountIds);
  const providers = checkList('providers', filter.providers);
  const services = checkList('services', filter.services);
  const regions = checkList('regions', filter.regions);
  const resourceTypes = checkList('resourceTypes', filter.resourceTypes);
  const tag = filter.tag ?? undefined;
  const tagKey = tag ? checkText('filter.tag.key', tag.key) : undefined;
  const tagValue = tag && tag.value !== undefined && tag.value !== null ? checkText('filter.tag.value', tag.value) : undefined;
  const resourceIdContains =
    filter.resourceIdContains === undefined || filter.resourceIdContains === null ? '' : checkText('filter.resourceIdContains', filter.resourceIdContains);

  if (!isId(scope.organizationId)) return undefined;
  const validAccounts = cloudAccountIds?.filter(isId);
  if (validAccounts && validAccounts.length === 0) return undefined;
  return {
    organizationId: scope.organizationId,
    from: scope.from,
    to: scope.to,
    cost,
    cloudAccountIds: validAccounts,
    providers,
    services,
    regions,
    resourceTypes,
    tagKey,
    tagValue,
    resourceIdContains,
  };
}

/**
 * The filter's conditions on alias `e`. `expenses` and `expense_daily_totals` name their
 * shared columns alike, so the conditions on accounts, providers and services fit both.
 */
function filterConditions(scope: CheckedScope, params: Params): string[] {
  const where = [`e.organization_id = ${params.add(scope.organizationId)}::uuid`];
  if (scope.cloudAccountIds) where.push(`e.cloud_account_id = ANY(${params.add(scope.cloudAccountIds)}::uuid[])`);
  if (scope.providers) where.push(inList(params, ['e.provider'], scope.providers));
  if (scope.services) where.push(inList(params, ['e.service_name'], scope.services));
  if (scope.regions) {
    const named = scope.regions.filter((value) => value !== '');
    const parts: string[] = [];
    if (named.length > 0) {
      const list = params.add(named);
      parts.push(`e.region_id = ANY(${list}::text[])`, `e.region_name = ANY(${list}::text[])`);
    }
    if (named.length < scope.regions.length) parts.push('(e.region_id IS NULL AND e.region_name IS NULL)');
    where.push(parts.length === 0 ? 'false' : `(${parts.join(' OR ')})`);
  }
  if (scope.resourceTypes) where.push(inList(params, ['e.resource_type'], scope.resourceTypes));
  if (scope.tagKey !== undefined) {
    const key = params.add(scope.tagKey);
    where.push(scope.tagValue === undefined ? `e.tags ? ${key}::text` : `(e.tags ->> ${key}::text) = ${params.add(scope.tagValue)}::text`);
  }
  if (scope.resourceIdContains !== '') where.push(`strpos(lower(e.resource_id), lower(${params.add(scope.resourceIdContains)}::text)) > 0`);
  return where;
}

/** FROM and WHERE over `expenses` rows starting in [from, to). */
function rowsFrom(scope: CheckedScope, params: Params, from: Date, to: Date): string {
  const where = [
    ...filterConditions(scope, params),
    `e.charge_period_start >= ${params.add(from.toISOString())}::timestamptz`,
    `e.charge_period_start < ${params.add(to.toISOString())}::timestamptz`,
  ];
  return `FROM expenses e JOIN cloud_accounts a ON a.id = e.cloud_account_id AND a.deleted_at IS NULL
   WHERE ${where.join('\n     AND ')}`;
}

/** FROM and WHERE over `expense_daily_totals` for the UTC days [from, to) (both midnights). */
function daysFrom(scope: CheckedScope, params: Params, from: Date, to: Date): string {
  const where = [
    ...filterConditions(scope, params),
    `e.day >= ${params.add(from.toISOString().slice(0, 10))}::date`,
    `e.day < ${params.add(to.toISOString().slice(0, 10))}::date`,
  ];
  return `FROM expense_daily_totals e JOIN cloud_accounts a ON a.id = e.cloud_account_id AND a.deleted_at IS NULL
   WHERE ${where.join('\n     AND ')}`;
}

const DAY_MS = 86_400_000;

/** Dimensions the daily totals keep; the others (and tag or resource filters) need the rows. */
const DAILY_DIMENSIONS: ReadonlySet<ExpenseDimension> = new Set(['DAY', 'SERVICE', 'CLOUD_ACCOUNT', 'SERVICE_CATEGORY']);

/**
 * Where a scope's sums come from: the whole UTC days inside the range from
 * `expense_daily_totals` when the filter and dimension allow, the partial days at either end
 * (or everything) from `expenses`. Each source is one SELECT of `select(aggregates)`; the
 * caller combines them with UNION ALL and sums again.
 */
function sourcesOf(scope: CheckedScope, params: Params, by: ExpenseDimension | undefined, select: (from: string, daily: boolean) => string): string[] {
  const dailyFits =
    (by === undefined || DAILY_DIMENSIONS.has(by)) && !scope.regions && !scope.resourceTypes && scope.tagKey === undefined && scope.resourceIdContains === '';
  const from = scope.from.getTime();
  const to = scope.to.getTime();
  const firstDay = Math.ceil(from / DAY_MS) * DAY_MS;
  const lastDay = Math.floor(to / DAY_MS) * DAY_MS;
  if (!dailyFits || firstDay >= lastDay) return [select(rowsFrom(scope, params, scope.from, scope.to), false)];
  const sources = [select(daysFrom(scope, params, new Date(firstDay), new Date(lastDay)), true)];
  if (from < firstDay) sources.push(select(rowsFrom(scope, params, scope.from, new Date(firstDay)), false));
  if (lastDay < to) sources.push(select(rowsFrom(scope, params, new Date(lastDay), scope.to), false));
  return sources;
}

export async function summarize(db: Queryable, scope: ExpenseScope): Promise<{ totalCost: number; count: number }> {
  const params = new Params();
  const checked = checkScope(scope);
  if (!checked) return { totalCost: 0, count: 0 };
  const sources = sourcesOf(checked, params, undefined, (from, daily) => `SELECT sum(${checked.cost}) AS total, ${daily ? 'sum(e.row_count)' : 'count(*)'} AS count ${from}`);
  const [row] = await db.query<{ total: number; count: number }>(
    `SELECT COALESCE(sum(total), 0)::float8 AS total, COALESCE(sum(count), 0)::bigint AS count FROM (${sources.join('\n UNION ALL ')}) parts`,
    params.values,
  );
  return { totalCost: Number(row.total), count: Number(row.count) };
}

interface Cursor {
  /** Order and cost type the cursor was issued for. */
  o: ExpenseOrder;
  c: CostType;
  /** Sort key of the last item: exact cost as numeric text, or the start as an ISO instant (µs). */
  k: string;
  /** The tie-breaker of the last item: its id in date order, its row hash in cost order. */
  i: string;
}

/**
 * The cursor field of the tie-breaker. Cost order took ties by id before migration 008; a
 * cursor of that time names an id, and is refused rather than compared with row hashes.
 */
const tieField = (order: ExpenseOrder): 'i' | 'h' => (ORDERS[order].key === 'cost' ? 'h' : 'i');

const CURSOR_COST = /^-?\d{1,60}(?:\.\d{1,60})?$/;
const CURSOR_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function encodeCursor(cursor: Cursor): string {
  const { i, ...rest } = cursor;
  return Buffer.from(JSON.stringify({ ...rest, [tieField(cursor.o)]: i })).toString('base64url');
}

function decodeCursor(text: unknown, orderBy: ExpenseOrder, costType: CostType): Cursor {
  const invalid = () => new ExpenseQueryError('after is not a cursor of this list');
  if (typeof text !== 'string' || text.length === 0 || text.length > 512 || !/^[A-Za-z0-9_-]+$/.test(text)) throw invalid();
  let cursor: unknown;
  try {
    cursor = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof cursor !== 'object' || cursor === null) throw invalid();
  const { o, c, k, [tieField(orderBy)]: i } = cursor as Record<string, unknown>;
  if (o !== orderBy || c !== costType || typeof k !== 'string' || !isId(i)) throw invalid();
  const pattern = ORDERS[orderBy].key === 'cost' ? CURSOR_COST : CURSOR_DATE;
  if (!pattern.test(k)) throw invalid();
  if (ORDERS[orderBy].key === 'date' && Number.isNaN(Date.parse(k))) throw invalid();
  return { o: orderBy, c: costType, k, i };
}

interface ItemRow {
  id: string;
  /** The tie-breaker of the order: id or row hash. */
  tie: string;
  cloud_account_id: string;
  charge_period_start: Date;
  charge_period_end: Date;
  sort_key: string;
  cost: number;
  billed_cost: number;
  effective_cost: number;
  list_cost: number;
  billing_currency: string;
  provider: string;
  service_name: string | null;
  service_category: string | null;
  region_id: string | null;
  region_name: string | null;
  resource_id: string | null;
  resource_name: string | null;
  resource_type: string | null;
  charge_category: string | null;
  charge_description: string | null;
  sku_id: string | null;
  tags: Record<string, unknown> | string | null;
  kubernetes_cluster_id: string | null;
}

const toItem = (row: ItemRow): ExpenseItem => ({
  id: row.id,
  cloudAccountId: row.cloud_account_id,
  chargePeriodStart: new Date(row.charge_period_start),
  chargePeriodEnd: new Date(row.charge_period_end),
  cost: Number(row.cost),
  billedCost: Number(row.billed_cost),
  effectiveCost: Number(row.effective_cost),
  listCost: Number(row.list_cost),
  currency: row.billing_currency,
  provider: row.provider,
  serviceName: row.service_name,
  serviceCategory: row.service_category,
  regionId: row.region_id,
  regionName: row.region_name,
  resourceId: row.resource_id,
  resourceName: row.resource_name,
  resourceType: row.resource_type,
  chargeCategory: row.charge_category,
  chargeDescription: row.charge_description,
  skuId: row.sku_id,
  tags: (typeof row.tags === 'string' ? JSON.parse(row.tags) : row.tags) ?? {},
  kubernetesClusterId: row.kubernetes_cluster_id,
});

/**
 * Rows whose billed cost is at least this, either way, are in the billed-cost index
 * (expenses_by_org_large_billed_cost, migration 008). The text must stay the index's
 * predicate: the planner uses the index only for conditions that imply it.
 */
const LARGE_COST = '0.01';

const ITEM_COLUMNS = `e.id, e.cloud_account_id, e.charge_period_start, e.charge_period_end, e.billed_cost::float8 AS billed_cost,
       e.effective_cost::float8 AS effective_cost, e.list_cost::float8 AS list_cost, e.billing_currency, e.provider, e.service_name,
       e.service_category, e.region_id, e.region_name, e.resource_id, e.resource_name, e.resource_type, e.charge_category,
       e.charge_description, e.sku_id, e.tags, ${KUBERNETES_CLUSTER_OF_ROW} AS kubernetes_cluster_id`;

/**
 * One page of expenses. Keyset paging on (sort key, tie-breaker): stable under ties and under
 * inserts elsewhere in the list; `after` is the opaque `endCursor` of the previous page. Ties
 * are broken by id in date order and by row hash in cost order (see `pageByCost`).
 */
export async function listItems(
  db: Queryable,
  scope: ExpenseScope,
  options: { first: number; after?: string | null; orderBy: ExpenseOrder },
): Promise<ExpensePage> {
  const { first, after, orderBy } = options;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw new ExpenseQueryError(`first must be an integer between 1 and ${MAX_PAGE_SIZE}`);
  const order = Object.prototype.hasOwnProperty.call(ORDERS, orderBy) ? ORDERS[orderBy] : undefined;
  if (!order) throw new ExpenseQueryError(`orderBy must be one of ${Object.keys(ORDERS).join(', ')}`);
  // An unknown cost type is refused before the cursor is read.
  costColumn(scope.costType);
  const cursor = after === undefined || after === null ? undefined : decodeCursor(after, orderBy, scope.costType);
  const checked = checkScope(scope);
  if (!checked) return { items: [], endCursor: null, hasNextPage: false };

  const rows = order.key === 'cost' ? await pageByCost(db, checked, order.direction, first + 1, cursor) : await pageByDate(db, checked, order.direction, first + 1, cursor);
  const hasNextPage = rows.length > first;
  const page = rows.slice(0, first);
  const last = page[page.length - 1];
  return {
    items: page.map(toItem),
    endCursor: last ? encodeCursor({ o: orderBy, c: scope.costType, k: last.sort_key, i: last.tie }) : null,
    hasNextPage,
  };
}

async function pageByDate(db: Queryable, scope: CheckedScope, direction: 'ASC' | 'DESC', limit: number, cursor: Cursor | undefined): Promise<ItemRow[]> {
  const params = new Params();
  const from = rowsFrom(scope, params, scope.from, scope.to);
  const keyset = cursor
    ? `AND (e.charge_period_start, e.id) ${direction === 'DESC' ? '<' : '>'} (${params.add(cursor.k)}::timestamptz, ${params.add(cursor.i)}::uuid)`
    : '';
  return db.query<ItemRow>(
    `SELECT ${ITEM_COLUMNS}, ${scope.cost}::float8 AS cost, e.id AS tie,
            to_char(e.charge_period_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS sort_key
     ${from} ${keyset}
     ORDER BY e.charge_period_start ${direction}, e.id ${direction}
     LIMIT ${params.add(limit)}::int`,
    params.values,
  );
}

/**
 * A page in cost order, tie-broken by row hash. Rows are picked first by (cost, row hash)
 * alone, which the covering index answers without reading the table, then read whole
 * through the primary key. In billed cost, the rows of at least a cent either way come from
 * the billed-cost index, which holds only them: the list descending is those of at least a
 * cent, then the others; ascending, those of at most minus a cent, then the others. A page
 * takes from the second part only what the first does not fill.
 */
async function pageByCost(db: Queryable, scope: CheckedScope, direction: 'ASC' | 'DESC', limit: number, cursor: Cursor | undefined): Promise<ItemRow[]> {
  const parts =
    scope.cost !== COST_COLUMNS.BILLED
      ? [undefined]
      : direction === 'DESC'
        ? [`e.billed_cost >= ${LARGE_COST}`, `e.billed_cost < ${LARGE_COST}`]
        : [`e.billed_cost <= -${LARGE_COST}`, `e.billed_cost > -${LARGE_COST}`];
  const rows: ItemRow[] = [];
  for (const part of parts) {
    if (rows.length >= limit) break;
    const params = new Params();
    const from = rowsFrom(scope, params, scope.from, scope.to);
    const keyset = cursor
      ? `AND (${scope.cost}, e.row_hash) ${direction === 'DESC' ? '<' : '>'} (${params.add(cursor.k)}::numeric, ${params.add(cursor.i)}::uuid)`
      : '';
    const organization = params.add(scope.organizationId);
    rows.push(
      ...(await db.query<ItemRow>(
        `SELECT ${ITEM_COLUMNS}, ${scope.cost}::float8 AS cost, ${scope.cost}::text AS sort_key, e.row_hash AS tie
           FROM (SELECT ${scope.cost} AS cost, e.row_hash ${from} ${part ? `AND ${part}` : ''} ${keyset}
                  ORDER BY ${scope.cost} ${direction}, e.row_hash ${direction}
                  LIMIT ${params.add(limit - rows.length)}::int) page
           JOIN expenses e ON e.organization_id = ${organization}::uuid AND e.row_hash = page.row_hash
          ORDER BY page.cost ${direction}, page.row_hash ${direction}`,
        params.values,
      )),
    );
  }
  return rows;
}

/**
 * Cost and count per value of a dimension, by cost descending (ties by key); DAY is by day
 * ascending with 'YYYY-MM-DD' keys (UTC). Rows without a value are grouped under the key ''.
 */
export async function breakdown(db: Queryable, scope: ExpenseScope, by: ExpenseDimension, tagKey?: string | null): Promise<BreakdownEntry[]> {
  return (await breakdownWithSummary(db, scope, by, tagKey)).groups;
}

/**
 * A breakdown and, from the same scan, the scope's summary: every matching row falls in exactly
 * one group (rows without a value under ''), so the groups' exact numeric sums add up to the
 * total. Summed exactly here and converted once, the total is the double `summarize` returns.
 */
export async function breakdownWithSummary(
  db: Queryable,
  scope: ExpenseScope,
  by: ExpenseDimension,
  tagKey?: string | null,
): Promise<{ groups: BreakdownEntry[]; summary: { totalCost: number; count: number } }> {
  const params = new Params();
  let key: (daily: boolean) => string;
  if (by === 'TAG') {
    if (tagKey === undefined || tagKey === null || tagKey === '') throw new ExpenseQueryError('breakdown by TAG needs tagKey');
    const tag = checkText('tagKey', tagKey);
    key = () => `COALESCE(e.tags ->> ${params.add(tag)}::text, '')`;
  } else if (Object.prototype.hasOwnProperty.call(DIMENSIONS, by)) {
    key = (daily) => (daily && by === 'DAY' ? `to_char(e.day, 'YYYY-MM-DD')` : DIMENSIONS[by]);
  } else {
    throw new ExpenseQueryError(`by must be one of ${[...Object.keys(DIMENSIONS), 'TAG'].join(', ')}`);
  }
  const checked = checkScope(scope);
  if (!checked) return { groups: [], summary: { totalCost: 0, count: 0 } };
  const sources = sourcesOf(
    checked,
    params,
    by,
    (from, daily) => `SELECT ${key(daily)} AS key, sum(${checked.cost}) AS total, ${daily ? 'sum(e.row_count)' : 'count(*)'} AS count ${from} GROUP BY 1`,
  );
  const rows = await db.query<{ key: string; cost: number; exact: string; count: number }>(
    `SELECT g.key, g.total::float8 AS cost, g.total::text AS exact, g.count
       FROM (SELECT key, sum(total) AS total, sum(count)::bigint AS count FROM (${sources.join('\n UNION ALL ')}) parts GROUP BY key) g
      ORDER BY ${by === 'DAY' ? 'g.key COLLATE "C"' : 'g.total DESC, g.key COLLATE "C"'}`,
    params.values,
  );
  let total = ZERO;
  let count = 0;
  for (const row of rows) {
    const exact = parseDecimal(row.exact);
    if (!exact) throw new Error(`unexpected numeric ${row.exact}`);
    total = addDecimals(total, exact);
    count += Number(row.count);
  }
  return {
    groups: rows.map((row) => ({ key: row.key, cost: Number(row.cost), count: Number(row.count) })),
    summary: { totalCost: Number(formatDecimal(total)), count },
  };
}
