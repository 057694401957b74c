import type { CloudAccountType } from '../../../lib/accounts/types';
import { isDecimal } from '../data/decimal';
import { malformed } from './focus-import-error';

/** Columns every file must have; the others are optional and read as NULL when absent. */
export const REQUIRED_COLUMNS = [
  'BilledCost',
  'EffectiveCost',
  'ListCost',
  'BillingCurrency',
  'ChargePeriodStart',
  'ChargePeriodEnd',
  'ChargeCategory',
  'ProviderName',
  'ServiceName',
  'ServiceCategory',
  'SubAccountId',
] as const;

export const OPTIONAL_COLUMNS = [
  'PublisherName',
  'SubAccountName',
  'BillingAccountId',
  'BillingAccountName',
  'RegionId',
  'RegionName',
  'AvailabilityZone',
  'ResourceId',
  'ResourceName',
  'ResourceType',
  'ChargeDescription',
  'SkuId',
  'Tags',
] as const;

export type Column = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];

const PROVIDER_TYPES: Array<[RegExp, CloudAccountType]> = [
  [/\b(aws|amazon)\b/i, 'aws'],
  [/\b(microsoft|azure)\b/i, 'azure'],
  [/\b(google|gcp)\b/i, 'gcp'],
  [/\b(oracle|oci)\b/i, 'oracle'],
  [/\b(alibaba|aliyun)\b/i, 'alibaba'],
];

export function cloudAccountTypeOf(providerName: string): CloudAccountType | undefined {
  return PROVIDER_TYPES.find(([pattern]) => pattern.test(providerName))?.[1];
}

/** Text columns of `expenses` stored as the file writes them, with their FOCUS column. */
export const STORED_AS_WRITTEN: ReadonlyArray<readonly [string, Column]> = [
  ['publisher', 'PublisherName'],
  ['service_name', 'ServiceName'],
  ['service_category', 'ServiceCategory'],
  ['region_id', 'RegionId'],
  ['region_name', 'RegionName'],
  ['availability_zone', 'AvailabilityZone'],
  ['resource_id', 'ResourceId'],
  ['resource_name', 'ResourceName'],
  ['resource_type', 'ResourceType'],
  ['charge_category', 'ChargeCategory'],
  ['charge_description', 'ChargeDescription'],
  ['sku_id', 'SkuId'],
];

/** A field's value; absent columns and empty fields are null. */
export const field = (record: readonly (string | null)[], index: number): string | null => {
  if (index < 0) return null;
  const value = record[index];
  return value === '' ? null : value;
};

/** Whether a parsed JSON value has U+0000 in any key or string. */
export function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(holdsNul);
  return Object.entries(value).some(([key, inner]) => key.includes('\u0000') || holdsNul(inner));
}

export const requiredField = (record: readonly (string | null)[], index: number, column: Column, line: number): string =>
  field(record, index) ?? malformed(line, `${column} is empty`);

/** A cost column's text, trimmed; refused unless it is a decimal number. */
export function decimalField(record: readonly (string | null)[], index: number, column: Column, line: number): string {
  const text = requiredField(record, index, column, line).trim();
  if (!isDecimal(text)) malformed(line, `${column} "${text.slice(0, 40)}" is not a decimal number`);
  return text;
}
