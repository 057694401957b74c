import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createOrganization } from '../../lib/accounts/repository';
import { importFocusFile } from '../../subgraphs/expenses/import/import-focus';
import { signContext } from '../../lib/internal-auth/signed-context';
import { silentLogger } from '../../lib/log';
import { loadExpensesConfig } from '../../subgraphs/expenses/config';
import { startExpensesSubgraph } from '../../subgraphs/expenses/start';
import type { RunningService } from '../../lib/http/listen';
import { databaseBackends, type TestDatabase } from '../helpers/databases';
import { FOCUS_CSV_PATH as CSV, FOCUS_ROWS } from '../helpers/focus-fixture';
import { callSubgraph } from '../helpers/subgraph-client';

const SECRET = crypto.randomBytes(32).toString('hex');
const RANGE = { from: '2000-01-01T00:00:00Z', to: '2001-01-01T00:00:00Z' };

/** The fixture's rows by charge period start, read from the CSV itself. */
const STARTS = FOCUS_ROWS.map((row) => row.ChargePeriodStart!).map((start) =>
  Date.parse(start.includes('T') || start.endsWith('Z') ? start : `${start.replace(' ', 'T')}Z`),
);
const FIXTURE_RANGE = { from: new Date(Math.min(...STARTS)).toISOString(), to: new Date(Math.max(...STARTS) + 1).toISOString() };
const FIXTURE_ROWS_IN_RANGE = STARTS.length;
/** Region columns of every fixture row, with a bare NULL read as null. */
const REGIONS = FOCUS_ROWS.map((row) => ({ provider: row.ProviderName!, regionId: row.RegionId || null, regionName: row.RegionName || null }));

function countBy(keys: Array<string | null>): Map<string | null, number> {
  const counts = new Map<string | null, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

describe.each(databaseBackends())('expenses subgraph over HTTP ($name)', (backend) => {
  let dir: string;
  let t: TestDatabase;
  let subgraph: RunningService;
  let orgA: string;
  let orgB: string;
  let auth: { secret: string; organizationIds: string[] };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-expenses-'));
    t = await backend.create();
    orgA = (await createOrganization(t.db, 'A')).id;
    orgB = (await createOrganization(t.db, 'B')).id;
    await importFocusFile(t.db, orgA, CSV);
    await importFocusFile(t.db, orgB, CSV);
    auth = { secret: SECRET, organizationIds: [orgA] };
    subgraph = await startExpensesSubgraph({ config: loadExpensesConfig({ DATA_DIR: dir, INTERNAL_AUTH_SECRET: SECRET, EXPENSES_PORT: '0', EXPENSES_INTERNAL_PORT: '0' }), db: t.db, logger: silentLogger });
  }, 120_000);

  afterAll(async () => {
    await subgraph?.close();
    await t?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers the whole fixture with totals equal to the sum of its breakdown', async () => {
    const res = await callSubgraph<{ organization: { expenses: { totalCost: number; count: number; breakdown: Array<{ cost: number; count: number }>; items: { nodes: Array<{ cloudAccount: { type: string } }> } } } }>(
      subgraph.url,
      `query($id: ID!, $range: DateRangeInput!) { organization(id: $id) { expenses(range: $range) { totalCost count breakdown(by: SERVICE) { key cost count } items(first: 5) { nodes { id cost cloudAccount { id type } } } } } }`,
      { id: orgA, range: FIXTURE_RANGE },
      auth,
    );
    expect(res.errors).toBeUndefined();
    const report = res.data!.organization.expenses;
    expect(report.count).toBe(FIXTURE_ROWS_IN_RANGE);
    expect(report.breakdown.reduce((sum, g) => sum + g.count, 0)).toBe(report.count);
    expect(report.breakdown.reduce((sum, g) => sum + g.cost, 0)).toBeCloseTo(report.totalCost, 6);
    expect(report.items.nodes).toHaveLength(5);
    expect(report.items.nodes.every((n) => n.cloudAccount.type !== 'KUBERNETES')).toBe(true);
    // A year-long window far from the fixture's dates is valid and empty.
    const empty = await callSubgraph<{ organization: { expenses: { totalCost: number; count: number } } }>(
      subgraph.url,
      `query($id: ID!, $range: DateRangeInput!) { organization(id: $id) { expenses(range: $range) { totalCost count } } }`,
      { id: orgA, range: RANGE },
      auth,
    );
    expect(empty.data!.organization.expenses).toEqual({ totalCost: 0, count: 0 });
  });

  it('gives Expense.region the REGION breakdown key: RegionId, else RegionName (Oracle rows have no RegionId)', async () => {
    const oracle = REGIONS.filter((row) => row.provider === 'Oracle');
    // The fixture property this test is about: Oracle rows carry RegionName only.
    expect(oracle.length).toBeGreaterThan(0);
    expect(oracle.every((row) => row.regionId === null && row.regionName !== null)).toBe(true);

    const query = `query($id: ID!, $range: DateRangeInput!, $after: String) { organization(id: $id) { expenses(range: $range) {
      breakdown(by: REGION) { key count } items(first: 500, after: $after, orderBy: DATE_ASC) { nodes { provider region } pageInfo { endCursor hasNextPage } } } } }`;
    type Page = { organization: { expenses: { breakdown: Array<{ key: string; count: number }>; items: { nodes: Array<{ provider: string; region: string | null }>; pageInfo: { endCursor: string | null; hasNextPage: boolean } } } } };
    const nodes: Array<{ provider: string; region: string | null }> = [];
    let breakdownCounts = new Map<string | null, number>();
    let after: string | null = null;
    do {
      const res: Awaited<ReturnType<typeof callSubgraph<Page>>> = await callSubgraph<Page>(subgraph.url, query, { id: orgA, range: FIXTURE_RANGE, after }, auth);
      expect(res.errors).toBeUndefined();
      const report = res.data!.organization.expenses;
      breakdownCounts = new Map(report.breakdown.map((g) => [g.key, g.count]));
      nodes.push(...report.items.nodes);
      after = report.items.pageInfo.hasNextPage ? report.items.pageInfo.endCursor : null;
    } while (after);
    expect(nodes).toHaveLength(REGIONS.length);

    const expected = countBy(REGIONS.map((row) => row.regionId ?? row.regionName));
    expect(countBy(nodes.map((n) => n.region))).toEqual(expected);
    // The breakdown writes '' for rows without any region; an item's region is then null.
    expect(breakdownCounts).toEqual(new Map([...expected].map(([key, count]) => [key ?? '', count])));
    expect(countBy(nodes.filter((n) => n.provider === 'Oracle').map((n) => n.region))).toEqual(countBy(oracle.map((row) => row.regionName)));
  });

  it('answers totals next to breakdowns, and only a refusal when a breakdown of the same report is refused', async () => {
    // Valid for the resolver, refused by the query layer, which shares its batch with the totals.
    const longKey = 'k'.repeat(1001);
    const query = `query($id: ID!, $range: DateRangeInput!) { organization(id: $id) { expenses(range: $range) {
      totalCost count byService: breakdown(by: SERVICE) { cost count } byTag: breakdown(by: TAG, tagKey: "${longKey}") { key } } } }`;
    const both = await callSubgraph<{ organization: { expenses: { totalCost: number; count: number; byService: Array<{ cost: number; count: number }> | null } } }>(
      subgraph.url,
      query.replace(` byTag: breakdown(by: TAG, tagKey: "${longKey}") { key }`, ''),
      { id: orgA, range: FIXTURE_RANGE },
      auth,
    );
    expect(both.errors).toBeUndefined();
    const alone = await callSubgraph<{ organization: { expenses: { totalCost: number; count: number } } }>(
      subgraph.url,
      `query($id: ID!, $range: DateRangeInput!) { organization(id: $id) { expenses(range: $range) { totalCost count } } }`,
      { id: orgA, range: FIXTURE_RANGE },
      auth,
    );
    // The same double whether the total came from the breakdown's scan or from its own query.
    expect(both.data!.organization.expenses.totalCost).toBe(alone.data!.organization.expenses.totalCost);
    expect(both.data!.organization.expenses.count).toBe(FIXTURE_ROWS_IN_RANGE);

    const refused = await callSubgraph<{ organization: { expenses: { totalCost: number; count: number } } | null }>(subgraph.url, query, { id: orgA, range: FIXTURE_RANGE }, auth);
    expect(refused.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['BAD_USER_INPUT', ['organization', 'expenses', 'byTag']]]);
  });

  it('hides other organizations exactly like missing ones', async () => {
    const query = `query($id: ID!) { organization(id: $id) { id name } }`;
    const other = await callSubgraph<{ organization: unknown }>(subgraph.url, query, { id: orgB }, auth);
    const missing = await callSubgraph<{ organization: unknown }>(subgraph.url, query, { id: crypto.randomUUID() }, auth);
    expect(other).toEqual(missing);
    expect(other.data!.organization).toBeNull();
    const list = await callSubgraph<{ organizations: Array<{ id: string }> }>(subgraph.url, '{ organizations { id } }', {}, auth);
    expect(list.data!.organizations.map((o) => o.id)).toEqual([orgA]);
    const entities = await callSubgraph<{ _entities: unknown[] }>(
      subgraph.url,
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Organization { id } ... on CloudAccount { id } } }',
      { r: [{ __typename: 'Organization', id: orgB }, { __typename: 'Organization', id: orgA }] },
      auth,
    );
    expect(entities.data!._entities).toEqual([null, { id: orgA }]);
  });

  it('refuses unsigned requests and bad ranges', async () => {
    expect((await callSubgraph(subgraph.url, '{ organizations { id } }', {}, {})).status).toBe(401);
    const bad = await callSubgraph(subgraph.url, `query($id: ID!, $range: DateRangeInput!) { organization(id: $id) { expenses(range: $range) { totalCost } } }`, { id: orgA, range: { from: RANGE.to, to: RANGE.from } }, auth);
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('onboards a cluster through the mutation, in the caller\'s organization only', async () => {
    const create = `mutation($org: ID!) { createKubernetesCluster(organizationId: $org, name: "prod-1") { cloudAccount { id type organization { id } } username password remoteWriteUrl prometheusRemoteWrite } }`;
    const ok = await callSubgraph<{ createKubernetesCluster: { cloudAccount: { id: string; type: string }; username: string; password: string } }>(subgraph.url, create, { org: orgA }, auth);
    expect(ok.data!.createKubernetesCluster.cloudAccount.type).toBe('KUBERNETES');
    expect(ok.data!.createKubernetesCluster.username).toBe(ok.data!.createKubernetesCluster.cloudAccount.id);
    const denied = await callSubgraph(subgraph.url, create, { org: orgB }, auth);
    expect(denied.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const ids = await callSubgraph<{ organization: { kubernetesClusterIds: string[] } }>(subgraph.url, `query($id: ID!) { organization(id: $id) { kubernetesClusterIds } }`, { id: orgA }, auth);
    expect(ids.data!.organization.kubernetesClusterIds).toEqual([ok.data!.createKubernetesCluster.cloudAccount.id]);
    // The signing helper is shared with the gateway: the same header shape works for any org list.
    expect(signContext({ subject: 's', organizationIds: [], role: 'admin' }, SECRET)).toMatch(/^[\w-]+\.[\w-]+$/);
  });
});
