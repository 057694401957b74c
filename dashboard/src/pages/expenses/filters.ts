import type { ExpenseDimension, ExpenseFilter, ExpenseOrder } from '../../api/generated';

/** The expenses page's state, all of it in the query string. */
export interface ExpensesView {
  filter: ExpenseFilter;
  by: ExpenseDimension;
  tagKey: string | undefined;
  order: ExpenseOrder;
  after: string | undefined;
}

export const DIMENSIONS: Record<ExpenseDimension, string> = {
  SERVICE: 'Service',
  REGION: 'Region',
  RESOURCE_TYPE: 'Resource type',
  CLOUD_ACCOUNT: 'Cloud account',
  SERVICE_CATEGORY: 'Service category',
  DAY: 'Day',
  TAG: 'Tag value',
  KUBERNETES_CLUSTER: 'Kubernetes cluster',
};

export const ORDERS: Record<ExpenseOrder, string> = { COST_DESC: 'Most expensive first', COST_ASC: 'Cheapest first', DATE_DESC: 'Newest first', DATE_ASC: 'Oldest first' };

const pick = <T extends string>(value: string | null, allowed: Record<T, string>, fallback: NoInfer<T>): T => (value && value in allowed ? (value as T) : fallback);

export function viewFromSearch(search: URLSearchParams): ExpensesView {
  const filter: ExpenseFilter = {};
  const account = search.get('account');
  const service = search.get('service');
  const region = search.get('region');
  const type = search.get('type');
  const tagKey = search.get('tag');
  if (account) filter.cloudAccountIds = [account];
  if (service) filter.services = [service];
  if (region) filter.regions = [region];
  if (type) filter.resourceTypes = [type];
  if (tagKey) filter.tag = { key: tagKey, ...(search.get('tagValue') ? { value: search.get('tagValue')! } : {}) };
  const by = pick(search.get('by'), DIMENSIONS, 'SERVICE');
  const breakdownTag = search.get('byTag') ?? undefined;
  return {
    filter,
    // A tag breakdown without a key falls back to services rather than asking the API something it refuses.
    by: by === 'TAG' && !breakdownTag ? 'SERVICE' : by,
    tagKey: by === 'TAG' ? breakdownTag : undefined,
    order: pick(search.get('order'), ORDERS, 'COST_DESC'),
    after: search.get('after') ?? undefined,
  };
}
