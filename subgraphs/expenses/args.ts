import { isId } from '../../lib/accounts/ids';
import { CLOUD_ACCOUNT_TYPES, type CloudAccountType } from '../../lib/accounts/types';
import { checkRange, type DateRange } from '../../lib/graphql/date-range';
import { badInput } from '../../lib/graphql/errors';
import type { CostType, ExpenseFilter, ExpenseScope } from './data/queries';

const MAX_LIST = 100;
const MAX_TEXT = 256;
export const MAX_PAGE = 500;

export interface ExpenseFilterInput {
  cloudAccountIds?: string[] | null;
  providers?: string[] | null;
  services?: string[] | null;
  regions?: string[] | null;
  resourceTypes?: string[] | null;
  tag?: { key: string; value?: string | null } | null;
  resourceIdContains?: string | null;
}

function list(name: string, values: string[] | null | undefined): string[] | undefined {
  if (values === null || values === undefined) return undefined;
  if (values.length > MAX_LIST) throw badInput(`filter.${name} may list at most ${MAX_LIST} values`, `filter.${name}`);
  for (const value of values) if (value.length > MAX_TEXT) throw badInput(`filter.${name} values may be at most ${MAX_TEXT} characters`, `filter.${name}`);
  return values;
}

function text(name: string, value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (value.length > MAX_TEXT) throw badInput(`${name} may be at most ${MAX_TEXT} characters`, name);
  return value;
}

export function toFilter(input: ExpenseFilterInput | null | undefined): ExpenseFilter | undefined {
  if (!input) return undefined;
  const cloudAccountIds = list('cloudAccountIds', input.cloudAccountIds);
  if (cloudAccountIds?.some((id) => !isId(id))) throw badInput('filter.cloudAccountIds must hold cloud account ids', 'filter.cloudAccountIds');
  return {
    cloudAccountIds,
    providers: list('providers', input.providers),
    services: list('services', input.services),
    regions: list('regions', input.regions),
    resourceTypes: list('resourceTypes', input.resourceTypes),
    tag: input.tag ? { key: text('filter.tag.key', input.tag.key)!, value: text('filter.tag.value', input.tag.value) } : undefined,
    resourceIdContains: text('filter.resourceIdContains', input.resourceIdContains),
  };
}

export function toScope(organizationId: string, range: DateRange, filter: ExpenseFilterInput | null | undefined, costType: CostType): ExpenseScope {
  const { from, to } = checkRange(range);
  return { organizationId, from, to, filter: toFilter(filter), costType };
}

export function checkFirst(first: number): number {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) throw badInput(`first must be between 1 and ${MAX_PAGE}`, 'first');
  return first;
}

export function toAccountType(value: string | null | undefined): CloudAccountType | undefined {
  if (value === null || value === undefined) return undefined;
  const type = value.toLowerCase() as CloudAccountType;
  if (!CLOUD_ACCOUNT_TYPES.includes(type)) throw badInput(`unknown cloud account type ${value}`, 'type');
  return type;
}
