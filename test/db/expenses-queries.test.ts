import { createOrganization, listCloudAccounts, softDeleteCloudAccount } from '../../lib/accounts/repository';
import { importFocusFile } from '../../subgraphs/expenses/import/import-focus';
import {
  breakdown,
  breakdownWithSummary,
  ExpenseQueryError,
  listItems,
  summarize,
  type CostType,
  type ExpenseDimension,
  type ExpenseFilter,
  type ExpenseItem,
  type ExpenseOrder,
  type ExpenseScope,
} from '../../subgraphs/expenses/data/queries';
import { databaseBackends, type TestDatabase } from '../helpers/databases';
import { FOCUS_CSV_PATH as CSV_PATH, FOCUS_ROWS, units, unitsToNumber as toNumber } from '../helpers/focus-fixture';

const PROVIDER_TYPES: Record<string, string> = { AWS: 'aws', Microsoft: 'azure', Oracle: 'oracle', 'Google Cloud': 'gcp' };

/** The fixture as this test reads it, independently of the importer. */
interface Row {
  provider: string;
  accountKey: string;
  service: string | null;
  serviceCategory: string | null;
  regionId: string | null;
  regionName: string | null;
  resourceType: string | null;
  resourceId: string | null;
  start: number;
  tags: Record<string, unknown> | null;
  cost: Record<CostType, bigint>;
}

const ROWS: Row[] = FOCUS_ROWS.map((r) => ({
  provider: r.ProviderName!,
  accountKey: `${PROVIDER_TYPES[r.ProviderName!]}/${r.SubAccountId}`,
  service: r.ServiceName || null,
  serviceCategory: r.ServiceCategory || null,
  regionId: r.RegionId || null,
  regionName: r.RegionName || null,
  resourceType: r.ResourceType || null,
  resourceId: r.ResourceId || null,
  start: Date.parse(`${r.ChargePeriodStart!.replace(' ', 'T')}Z`),
  tags: r.Tags ? (JSON.parse(r.Tags) as Record<string, unknown>) : null,
  cost: { BILLED: units(r.BilledCost!), EFFECTIVE: units(r.EffectiveCost!), LIST: units(r.ListCost!) },
}));

const SEPTEMBER = { from: new Date('2024-09-01T00:00:00Z'), to: new Date('2024-10-01T00:00:00Z') };
const MID = { from: new Date('2024-09-10T00:00:00Z'), to: new Date('2024-09-20T00:00:00Z') };
/** Whole days come from the daily totals, the partial days at both ends from the rows. */
const RAGGED = { from: new Date('2024-09-10T05:00:00Z'), to: new Date('2024-09-20T13:30:00Z') };
/** Part of one day: rows only. */
const WITHIN_A_DAY = { from: new Date('2024-09-12T03:00:00Z'), to: new Date('2024-09-12T19:00:00Z') };

function expectedSummary(rows: Row[], costType: CostType) {
  return { totalCost: toNumber(rows.reduce((sum, row) => sum + row.cost[costType], 0n)), count: rows.length };
}

function expectedBreakdown(rows: Row[], costType: CostType, key: (row: Row) => string, byDay = false) {
  const groups = new Map<string, { total: bigint; count: number }>();
  for (const row of rows) {
    const k = key(row);
    const group = groups.get(k) ?? { total: 0n, count: 0 };
    group.total += row.cost[costType];
    group.count++;
    groups.set(k, group);
  }
  const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...groups]
    .sort(([ka, a], [kb, b]) => (byDay ? byKey(ka, kb) : a.total !== b.total ? (a.total > b.total ? -1 : 1) : byKey(ka, kb)))
    .map(([k, g]) => ({ key: k, cost: toNumber(g.total), count: g.count }));
}

const inRange = (range: { from: Date; to: Date }) => (row: Row) => row.start >= range.from.getTime() && row.start < range.to.getTime();

async function pageThrough(db: TestDatabase['db'], scope: ExpenseScope, orderBy: ExpenseOrder, first: number): Promise<{ items: ExpenseItem[]; pages: number }> {
  const items: ExpenseItem[] = [];
  let after: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await listItems(db, scope, { first, after, orderBy });
    pages++;
    items.push(...page.items);
    expect(page.items.length).toBeLessThanOrEqual(first);
    if (!page.hasNextPage) {
      return { items, pages };
    }
    expect(page.items).toHaveLength(first);
    expect(page.endCursor).toEqual(expect.any(String));
    after = page.endCursor!;
    if (pages > 1000) throw new Error('paging does not end');
  }
}

describe.each(databaseBackends())('expense queries on $name', (backend) => {
  let t: TestDatabase;
  let orgId: string;
  let accountIds: Map<string, string>;
  const scope = (filter?: ExpenseFilter, costType: CostType = 'BILLED', range = SEPTEMBER): ExpenseScope => ({ organizationId: orgId, ...range, filter, costType });
  const accountOf = (row: Row) => accountIds.get(row.accountKey)!;

  beforeAll(async () => {
    t = await backend.create();
    orgId = (await createOrganization(t.db, 'Queries')).id;
    await importFocusFile(t.db, orgId, CSV_PATH);
    // Another organization with the same data must never leak into the first one's answers.
    await importFocusFile(t.db, (await createOrganization(t.db, 'Neighbour')).id, CSV_PATH);
    accountIds = new Map((await listCloudAccounts(t.db, [orgId])).map((a) => [`${a.type}/${a.providerAccountId}`, a.id]));
  });
  afterAll(() => t?.drop());

  it('takes the same summary from a breakdown as from its own query, to the last bit, for every dimension', async () => {
    const dimensions: Array<[ExpenseDimension, string?]> = [['DAY'], ['SERVICE'], ['REGION'], ['RESOURCE_TYPE'], ['CLOUD_ACCOUNT'], ['SERVICE_CATEGORY'], ['TAG', 'environment']];
    for (const costType of ['BILLED', 'EFFECTIVE', 'LIST'] as const) {
      for (const range of [SEPTEMBER, MID, RAGGED, WITHIN_A_DAY]) {
        const expected = expectedSummary(ROWS.filter(inRange(range)), costType);
        expect(expected.count).toBeGreaterThan(0);
        expect(await summarize(t.db, scope(undefined, costType, range))).toEqual(expected);
        for (const [by, tagKey] of dimensions) {
          const both = await breakdownWithSummary(t.db, scope(undefined, costType, range), by, tagKey);
          expect(both.summary).toEqual(expected);
          expect(both.groups).toEqual(await breakdown(t.db, scope(undefined, costType, range), by, tagKey));
        }
      }
    }
    // A filter that matches nothing, and an organization id that cannot exist.
    expect((await breakdownWithSummary(t.db, scope({ services: ['no such service'] }), 'SERVICE')).summary).toEqual({ totalCost: 0, count: 0 });
    expect(await breakdownWithSummary(t.db, { ...scope(), organizationId: 'nope' }, 'SERVICE')).toEqual({ groups: [], summary: { totalCost: 0, count: 0 } });
  });

  it('sums every cost type over the whole fixture and over a half-open part of it', async () => {
    for (const costType of ['BILLED', 'EFFECTIVE', 'LIST'] as const) {
      expect(await summarize(t.db, scope(undefined, costType))).toEqual(expectedSummary(ROWS, costType));
      expect(await summarize(t.db, scope(undefined, costType, MID))).toEqual(expectedSummary(ROWS.filter(inRange(MID)), costType));
    }
    // The part's edges carry rows: those starting at `from` count, those starting at `to` do not.
    expect(ROWS.some((row) => row.start === MID.from.getTime())).toBe(true);
    expect(ROWS.some((row) => row.start === MID.to.getTime())).toBe(true);
    expect((await summarize(t.db, scope(undefined, 'BILLED', MID))).count).toBe(ROWS.filter(inRange(MID)).length);
    expect(await summarize(t.db, scope(undefined, 'BILLED', { from: new Date('2025-01-01Z'), to: new Date('2025-02-01Z') }))).toEqual({ totalCost: 0, count: 0 });
    expect(await summarize(t.db, scope(undefined, 'BILLED', { from: SEPTEMBER.from, to: SEPTEMBER.from }))).toEqual({ totalCost: 0, count: 0 });
  });

  const DIMENSIONS: Array<[ExpenseDimension, string | undefined, (row: Row) => string]> = [
    ['SERVICE', undefined, (row) => row.service ?? ''],
    ['REGION', undefined, (row) => row.regionId ?? row.regionName ?? ''],
    ['CLOUD_ACCOUNT', undefined, (row) => accountOf(row)],
    ['DAY', undefined, (row) => new Date(row.start).toISOString().slice(0, 10)],
    ['RESOURCE_TYPE', undefined, (row) => row.resourceType ?? ''],
    ['SERVICE_CATEGORY', undefined, (row) => row.serviceCategory ?? ''],
    ['TAG', 'environment', (row) => (row.tags?.environment === undefined ? '' : String(row.tags.environment))],
    // A real key of the fixture with a leading space: keys are taken literally.
    ['TAG', ' org', (row) => (row.tags?.[' org'] === undefined ? '' : String(row.tags[' org']))],
  ];

  it.each(DIMENSIONS)('breaks costs down by %s %s', async (by, tagKey, key) => {
    for (const costType of ['BILLED', 'EFFECTIVE'] as const) {
      const actual = await breakdown(t.db, scope(undefined, costType), by, tagKey);
      expect(actual).toEqual(expectedBreakdown(ROWS, costType, key, by === 'DAY'));
      expect(actual.reduce((n, group) => n + group.count, 0)).toBe(ROWS.length);
    }
    for (const range of [MID, RAGGED, WITHIN_A_DAY]) {
      expect(await breakdown(t.db, scope(undefined, 'BILLED', range), by, tagKey)).toEqual(expectedBreakdown(ROWS.filter(inRange(range)), 'BILLED', key, by === 'DAY'));
    }
  });

  it('answers whole days from the daily totals and partial days from the rows', async () => {
    const org = await createOrganization(t.db, 'Tampered');
    await importFocusFile(t.db, org.id, CSV_PATH);
    const s = (range: { from: Date; to: Date }, filter?: ExpenseFilter): ExpenseScope => ({ organizationId: org.id, ...range, filter, costType: 'BILLED' });
    const before = { mid: await summarize(t.db, s(MID)), ragged: await summarize(t.db, s(RAGGED)), regions: await summarize(t.db, s(MID, { regions: ['us-east-1'] })) };
    // One more unit and row on 2024-09-15 in the daily totals only: what reads them shows it.
    const [day] = await t.db.query<{ cloud_account_id: string }>(
      `UPDATE expense_daily_totals SET billed_cost = billed_cost + 1, row_count = row_count + 1
        WHERE ctid = (SELECT ctid FROM expense_daily_totals WHERE organization_id = $1 AND day = '2024-09-15' LIMIT 1) RETURNING cloud_account_id`,
      [org.id],
    );
    expect(day).toBeDefined();
    expect(await summarize(t.db, s(MID))).toEqual({ totalCost: before.mid.totalCost + 1, count: before.mid.count + 1 });
    expect(await summarize(t.db, s(RAGGED))).toEqual({ totalCost: before.ragged.totalCost + 1, count: before.ragged.count + 1 });
    // A day outside the whole days of the range, and a filter the totals do not keep, read rows.
    expect(await summarize(t.db, s({ from: new Date('2024-09-15T01:00:00Z'), to: new Date('2024-09-15T23:00:00Z') }))).toEqual(
      expectedSummary(ROWS.filter(inRange({ from: new Date('2024-09-15T01:00:00Z'), to: new Date('2024-09-15T23:00:00Z') })), 'BILLED'),
    );
    expect(await summarize(t.db, s(MID, { regions: ['us-east-1'] }))).toEqual(before.regions);
    expect((await breakdown(t.db, s(MID), 'REGION')).reduce((n, g) => n + g.count, 0)).toBe(before.mid.count);
  });

  it('has the breakdown shapes the fixture implies', async () => {
    const days = await breakdown(t.db, scope(), 'DAY');
    expect(days.map((d) => d.key)).toEqual(Array.from({ length: 30 }, (_, i) => `2024-09-${String(i + 1).padStart(2, '0')}`));
    // Oracle rows have no RegionId: their RegionName is the key. Rows without tag are under ''.
    expect((await breakdown(t.db, scope(), 'REGION')).map((g) => g.key)).toEqual(expect.arrayContaining(['us-east-1', 'us-sanjose-1', 'global']));
    expect((await breakdown(t.db, scope(), 'TAG', 'environment')).find((g) => g.key === '')?.count).toBe(ROWS.filter((r) => !r.tags || !('environment' in r.tags)).length);
  });

  const FILTERS: Array<[string, () => ExpenseFilter, (row: Row) => boolean]> = [
    ['two cloud accounts', () => ({ cloudAccountIds: [...accountIds.values()].slice(0, 2) }), (row) => [...accountIds.values()].slice(0, 2).includes(accountOf(row))],
    ['a cloud account among malformed ids', () => ({ cloudAccountIds: [[...accountIds.values()][0], 'nope', "x' OR '1'='1"] }), (row) => accountOf(row) === [...accountIds.values()][0]],
    ['only malformed account ids', () => ({ cloudAccountIds: ['nope'] }), () => false],
    ['an empty account list', () => ({ cloudAccountIds: [] }), () => false],
    ['providers', () => ({ providers: ['Microsoft', 'Oracle'] }), (row) => row.provider === 'Microsoft' || row.provider === 'Oracle'],
    ['services', () => ({ services: ['Elastic Load Balancing', 'AmazonCloudWatch'] }), (row) => row.service === 'Elastic Load Balancing' || row.service === 'AmazonCloudWatch'],
    ['regions by RegionId and RegionName', () => ({ regions: ['us-east-1', 'us-sanjose-1'] }), (row) => row.regionId === 'us-east-1' || row.regionName === 'us-sanjose-1'],
    ['a region by its name', () => ({ regions: ['US West (Oregon)'] }), (row) => row.regionName === 'US West (Oregon)'],
    ['resource types, with none as the empty string', () => ({ resourceTypes: ['volume', ''] }), (row) => row.resourceType === 'volume' || row.resourceType === null],
    ['a tag key', () => ({ tag: { key: 'CostCenter' } }), (row) => !!row.tags && 'CostCenter' in row.tags],
    ['a tag key and value', () => ({ tag: { key: 'environment', value: 'dev' } }), (row) => row.tags?.environment === 'dev'],
    ['a tag nobody has', () => ({ tag: { key: 'no-such-tag' } }), () => false],
    ['a resource id fragment, case-insensitively', () => ({ resourceIdContains: 'StorageAccounts' }), (row) => !!row.resourceId?.toLowerCase().includes('storageaccounts')],
    ['an empty resource id fragment', () => ({ resourceIdContains: '' }), () => true],
    [
      'several fields at once',
      () => ({ providers: ['AWS'], regions: ['us-west-2'], tag: { key: 'environment' }, services: ['Amazon Elastic Compute Cloud'] }),
      (row) => row.provider === 'AWS' && row.regionId === 'us-west-2' && !!row.tags && 'environment' in row.tags && row.service === 'Amazon Elastic Compute Cloud',
    ],
  ];

  it.each(FILTERS)('filters by %s', async (_name, filter, keep) => {
    const rows = ROWS.filter(keep);
    expect(await summarize(t.db, scope(filter()))).toEqual(expectedSummary(rows, 'BILLED'));
    expect(await summarize(t.db, scope(filter(), 'LIST', MID))).toEqual(expectedSummary(rows.filter(inRange(MID)), 'LIST'));
    expect(await breakdown(t.db, scope(filter()), 'SERVICE')).toEqual(expectedBreakdown(rows, 'BILLED', (row) => row.service ?? ''));
    const { items } = await pageThrough(t.db, scope(filter()), 'DATE_ASC', 500);
    expect(items).toHaveLength(rows.length);
  });

  it('uses filters that really narrow the fixture, except those meant to match nothing or everything', () => {
    const matchNothing = ['only malformed account ids', 'an empty account list', 'a tag nobody has'];
    const matchAll = ['an empty resource id fragment'];
    for (const [name, , keep] of FILTERS) {
      const n = ROWS.filter(keep).length;
      const kind = n === 0 ? 'none' : n === ROWS.length ? 'all' : 'some';
      expect([name, kind]).toEqual([name, matchNothing.includes(name) ? 'none' : matchAll.includes(name) ? 'all' : 'some']);
    }
  });

  it.each(['COST_DESC', 'COST_ASC', 'DATE_DESC', 'DATE_ASC'] as const)('pages through every row exactly once, %s', async (orderBy) => {
    // In billed cost, rows of at least a cent either way come from another index than the
    // others (migration 008). Pages of 37 cross from one part to the other inside a page in
    // both directions: 93 rows of a cent or more, 3 credits of a cent or more.
    const cent = units('0.01');
    expect([ROWS.filter((row) => row.cost.BILLED >= cent).length, ROWS.filter((row) => row.cost.BILLED <= -cent).length]).toEqual([93, 3]);
    for (const costType of ['BILLED', 'EFFECTIVE'] as const) {
      const { items, pages } = await pageThrough(t.db, scope(undefined, costType), orderBy, 37);
      expect(pages).toBe(Math.ceil(ROWS.length / 37));
      expect(new Set(items.map((item) => item.id)).size).toBe(ROWS.length);
      const sign = orderBy.endsWith('DESC') ? -1 : 1;
      const value = (item: ExpenseItem) => (orderBy.startsWith('COST') ? item.cost : item.chargePeriodStart.getTime());
      for (let i = 1; i < items.length; i++) expect(sign * (value(items[i]) - value(items[i - 1]))).toBeGreaterThanOrEqual(0);
      expect(items.every((item) => item.cost === (costType === 'BILLED' ? item.billedCost : item.effectiveCost))).toBe(true);
    }
  });

  it('pages stably through ties: hundreds of rows cost exactly zero', async () => {
    const zero = ROWS.filter((row) => row.cost.BILLED === 0n).length;
    expect(zero).toBeGreaterThan(37 * 3);
    const { items } = await pageThrough(t.db, scope({ providers: ['AWS'] }), 'COST_ASC', 37);
    expect(new Set(items.map((i) => i.id)).size).toBe(ROWS.filter((r) => r.provider === 'AWS').length);
    // Within a tie the order is by row hash, so it is the same on every call.
    const again = await pageThrough(t.db, scope({ providers: ['AWS'] }), 'COST_ASC', 37);
    expect(again.items.map((item) => item.id)).toEqual(items.map((item) => item.id));
  });

  it('returns items with every field of the row', async () => {
    const record = FOCUS_ROWS.find((r) => r.Tags !== null && r.RegionName !== null && r.ResourceId !== null && r.ProviderName === 'Microsoft')!;
    const page = await listItems(t.db, scope({ resourceIdContains: record.ResourceId! }), { first: 500, orderBy: 'DATE_ASC' });
    const item = page.items.find((i) => i.chargePeriodStart.getTime() === Date.parse(`${record.ChargePeriodStart!.replace(' ', 'T')}Z`) && i.skuId === record.SkuId && i.billedCost === Number(record.BilledCost))!;
    expect(item).toEqual({
      id: expect.any(String),
      cloudAccountId: accountIds.get(`azure/${record.SubAccountId}`),
      chargePeriodStart: new Date(`${record.ChargePeriodStart!.replace(' ', 'T')}Z`),
      chargePeriodEnd: new Date(`${record.ChargePeriodEnd!.replace(' ', 'T')}Z`),
      cost: Number(record.BilledCost),
      billedCost: Number(record.BilledCost),
      effectiveCost: Number(record.EffectiveCost),
      listCost: Number(record.ListCost),
      currency: record.BillingCurrency,
      provider: 'Microsoft',
      serviceName: record.ServiceName,
      serviceCategory: record.ServiceCategory,
      regionId: record.RegionId,
      regionName: record.RegionName,
      resourceId: record.ResourceId,
      resourceName: record.ResourceName || null,
      resourceType: record.ResourceType,
      chargeCategory: record.ChargeCategory,
      chargeDescription: record.ChargeDescription,
      skuId: record.SkuId,
      tags: JSON.parse(record.Tags!),
      // No cluster of the organization runs this storage account.
      kubernetesClusterId: null,
    });
    // Rows without tags answer an empty object.
    const untagged = ROWS.filter((row) => row.tags === null).length;
    expect(untagged).toBeGreaterThan(0);
    const all = await pageThrough(t.db, scope(), 'DATE_ASC', 500);
    expect(all.items.filter((i) => Object.keys(i.tags).length === 0)).toHaveLength(ROWS.filter((row) => !row.tags || Object.keys(row.tags).length === 0).length);
  });

  it('leaves out expenses of deleted accounts', async () => {
    const org = await createOrganization(t.db, 'Deleting');
    await importFocusFile(t.db, org.id, CSV_PATH);
    const accounts = new Map((await listCloudAccounts(t.db, [org.id])).map((a) => [`${a.type}/${a.providerAccountId}`, a.id]));
    const doomed = ROWS[0].accountKey;
    await softDeleteCloudAccount(t.db, accounts.get(doomed)!);
    const live = ROWS.filter((row) => row.accountKey !== doomed);
    const s: ExpenseScope = { organizationId: org.id, ...SEPTEMBER, costType: 'BILLED' };
    expect(await summarize(t.db, s)).toEqual(expectedSummary(live, 'BILLED'));
    expect((await breakdown(t.db, s, 'CLOUD_ACCOUNT')).map((g) => g.key)).not.toContain(accounts.get(doomed));
    expect(await summarize(t.db, { ...s, filter: { cloudAccountIds: [accounts.get(doomed)!] } })).toEqual({ totalCost: 0, count: 0 });
    expect((await pageThrough(t.db, s, 'COST_DESC', 500)).items).toHaveLength(live.length);
  });

  it('answers nothing for an organization id that is not an id', async () => {
    const s: ExpenseScope = { organizationId: "x' OR '1'='1", ...SEPTEMBER, costType: 'BILLED' };
    expect(await summarize(t.db, s)).toEqual({ totalCost: 0, count: 0 });
    expect(await breakdown(t.db, s, 'SERVICE')).toEqual([]);
    expect(await listItems(t.db, s, { first: 10, orderBy: 'COST_DESC' })).toEqual({ items: [], endCursor: null, hasNextPage: false });
  });

  it('refuses bad input with ExpenseQueryError (BAD_USER_INPUT)', async () => {
    const bad = async (work: Promise<unknown>, message: RegExp) => {
      const error = await work.then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ExpenseQueryError);
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(message) });
    };
    for (const first of [0, 501, 1.5, -1, NaN]) await bad(listItems(t.db, scope(), { first, orderBy: 'COST_DESC' }), /first/);
    const page = await listItems(t.db, scope(), { first: 3, orderBy: 'COST_DESC' });
    for (const after of ['not a cursor!', 'e30', Buffer.from('{"o":"COST_DESC","c":"BILLED","k":"1; DROP TABLE expenses","i":"00000000-0000-4000-8000-000000000000"}').toString('base64url'), 'A'.repeat(600)]) {
      await bad(listItems(t.db, scope(), { first: 3, after, orderBy: 'COST_DESC' }), /after/);
    }
    // A cursor belongs to its order and cost type.
    await bad(listItems(t.db, scope(), { first: 3, after: page.endCursor!, orderBy: 'DATE_DESC' }), /after/);
    // A cursor of cost order from before ties went by row hash names its tie-breaker \`i\`.
    const { h, ...rest } = JSON.parse(Buffer.from(page.endCursor!, 'base64url').toString('utf8'));
    expect(h).toEqual(expect.any(String));
    const old = Buffer.from(JSON.stringify({ ...rest, i: h })).toString('base64url');
    await bad(listItems(t.db, scope(), { first: 3, after: old, orderBy: 'COST_DESC' }), /after/);
    await bad(listItems(t.db, scope(undefined, 'LIST'), { first: 3, after: page.endCursor!, orderBy: 'COST_DESC' }), /after/);
    await bad(breakdown(t.db, scope(), 'TAG'), /tagKey/);
    await bad(breakdown(t.db, scope(), 'NOPE' as ExpenseDimension), /by must be/);
    await bad(summarize(t.db, scope({ services: Array.from({ length: 101 }, (_, i) => `s${i}`) })), /at most 100/);
    await bad(summarize(t.db, scope(undefined, 'GROSS' as CostType)), /costType/);
    await bad(summarize(t.db, scope(undefined, 'BILLED', { from: SEPTEMBER.to, to: SEPTEMBER.from })), /before/);
    await bad(summarize(t.db, scope(undefined, 'BILLED', { from: new Date('nope'), to: SEPTEMBER.to })), /from/);
    // 100 values are fine.
    expect((await summarize(t.db, scope({ services: Array.from({ length: 100 }, (_, i) => `s${i}`) }))).count).toBe(0);
  });
});
