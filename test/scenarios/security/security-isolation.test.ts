import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createOrganization } from '../../../lib/accounts/repository';
import { daysBetween, shiftFocusDates } from '../../../cli/demo/focus-dates';
import { importFocusFile } from '../../../subgraphs/expenses/import/import-focus';
import { createKubernetesCluster } from '../../../lib/accounts/kubernetes-clusters';
import { createApiToken } from '../../../lib/accounts/api-tokens';
import { escapeLabelValue, escapeRegex } from '../../../subgraphs/kubecost/promql/matchers';
import { databaseBackends, type TestDatabase } from '../../helpers/databases';
import { FOCUS_CSV_TEXT } from '../../helpers/focus-fixture';
import { instantQuery } from '../../helpers/promql';
import { startPromqlRecorder, tenantMatchers, type PromqlRecorder } from '../../helpers/promql-recorder';
import { basicAuth, post, REMOTE_WRITE_HEADERS } from '../../helpers/remote-write';
import { pickOne, seededRandom } from '../../../dev/seeded-random';
import { callGateway, startTestStack, type TestStack } from '../../helpers/stack';
import { callSubgraph } from '../../helpers/subgraph-client';
import { encodeSeries, GIB, HOUR_MS, writeClusters, type ClusterWrite, type SyntheticCluster } from '../../helpers/synthetic-cluster';

const DAY_MS = 86_400_000;
const END = Math.floor(Date.now() / DAY_MS) * DAY_MS;
const RANGES = [
  { from: new Date(END - 30 * DAY_MS).toISOString(), to: new Date(END).toISOString() },
  { from: new Date(END - 2 * DAY_MS).toISOString(), to: new Date(END).toISOString() },
];
const SEED = Number(process.env.SECURITY_SEED ?? 20240606);
// Enough for 1,000 gateway queries and 400 _entities calls, each sent twice (foreign, missing).
const GATEWAY_CASES = 1000;
const ENTITY_CASES = 400;
const CONCURRENCY = 4;

function cluster(tenantId: string, cores: number): SyntheticCluster {
  return {
    tenantId,
    startMs: END - 4 * HOUR_MS,
    endMs: END,
    intervalSeconds: 60,
    nodes: [{ name: 'node-a', cpuPrice: 0.031611, ramPrice: 0.004237, cores, memoryBytes: 4 * cores * GIB }],
    volumes: [{ name: 'pvc-data', price: 0.000233, capacityBytes: 20 * cores * GIB }],
    loadBalancers: [{ namespace: 'ingress', service: 'nginx', ip: '10.0.0.1', price: 0.025 }],
    managementFee: 0.1,
    containers: [{ namespace: 'web', pod: 'web-1', container: 'app', node: 'node-a', cores: 2, memoryBytes: 4 * GIB }],
  };
}

/** Every string and number anywhere in a JSON value. */
function leaves(value: unknown, out: { strings: string[]; numbers: number[] } = { strings: [], numbers: [] }) {
  if (typeof value === 'string') out.strings.push(value);
  else if (typeof value === 'number') out.numbers.push(value);
  else if (Array.isArray(value)) for (const v of value) leaves(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) leaves(v, out);
  return out;
}

async function inParallel<T>(items: T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index], index);
      }
    }),
  );
}

const randomId = () => crypto.randomUUID();

const ALL_CLUSTER_FIELDS = `totalCost hasData lastSampleAt cloudAccount { id }
  breakdown { cpu ram gpu persistentVolumes network loadBalancers clusterManagement }
  namespaces { namespace totalCost cpu ram } series(step: DAY) { start totalCost } efficiency { cpu ram total } savings { kind target monthlySavings }`;

const backend = databaseBackends().at(-1)!;

describe(`tenant isolation and PromQL injection (${backend.name})`, () => {
  let t: TestDatabase;
  let stack: TestStack;
  let recorder: PromqlRecorder;
  let url: string;
  const org = { a: '', b: '' };
  const token = { a: '', b: '' };
  const clusters: Record<'a' | 'b', string[]> = { a: [], b: [] };
  const accounts: Record<'a' | 'b', string[]> = { a: [], b: [] };
  const bCredentials: Array<{ username: string; password: string }> = [];
  /** B's values as B sees them, minus anything A's own answers also contain. */
  const bStrings = new Set<string>();
  const bNumbers = new Set<number>();
  let aKubernetesTotal = 0;
  let aSnapshot = '';
  let bSnapshot = '';

  const SNAPSHOT = `query($org: ID!, $range: DateRangeInput!) { organization(id: $org) {
    id name currency kubernetesClusterIds cloudAccounts { id name type providerAccountId }
    costSummary(range: $range) { cloudCost kubernetesCost totalCost }
    expenses(range: $range) { totalCost count items(first: 500) { nodes { id cost } } breakdown(by: CLOUD_ACCOUNT) { key cost } }
    e: expenses(range: $range, costType: EFFECTIVE) { totalCost }
    l: expenses(range: $range, costType: LIST) { totalCost }
    kubernetesCosts(range: $range) { totalCost clusters { cloudAccount { id name } ${ALL_CLUSTER_FIELDS} } } } }`;

  beforeAll(async () => {
    t = await backend.create();
    recorder = await startPromqlRecorder();
    stack = await startTestStack(t.db, { THANOS_QUERY_URL: recorder.url, TOKEN_CACHE_TTL: '30s' });
    recorder.upstream = stack.store.url;
    url = stack.gateway.url;
    org.a = (await createOrganization(t.db, 'Alpha')).id;
    const bName = `Beta-${crypto.randomBytes(4).toString('hex')}`;
    org.b = (await createOrganization(t.db, bName)).id;
    token.a = (await createApiToken(t.db, org.a, 'a')).token;
    token.b = (await createApiToken(t.db, org.b, 'b')).token;

    // Disjoint halves of the FOCUS fixture, so A's and B's expenses differ.
    const lines = FOCUS_CSV_TEXT.trimEnd().split('\n');
    const shift = daysBetween(new Date('2024-10-01T00:00:00Z'), new Date(END));
    for (const [key, rows] of [['a', lines.slice(1, 401)], ['b', lines.slice(401)]] as const) {
      const file = path.join(stack.dir, `focus-${key}.csv`);
      fs.writeFileSync(file, shiftFocusDates([lines[0], ...rows].join('\n') + '\n', shift));
      await importFocusFile(t.db, org[key], file);
    }
    const writes: ClusterWrite[] = [];
    for (const [key, sizes] of [['a', [4]], ['b', [64, 8]]] as const) {
      for (const cores of sizes) {
        const created = await createKubernetesCluster(t.db, org[key], `${key === 'b' ? bName.toLowerCase() : 'alpha'}-k8s-${cores}`, 'http://127.0.0.1/api/v1/write');
        clusters[key].push(created.cloudAccount.id);
        if (key === 'b') bCredentials.push({ username: created.username, password: created.password });
        writes.push({ cluster: cluster(created.cloudAccount.id, cores), headers: { Authorization: basicAuth(created.username, created.password) } });
      }
    }
    await writeClusters(stack.ingest.url, writes);

    // What each organization really has, as its own token sees it.
    for (const key of ['a', 'b'] as const) {
      const res = await callGateway<{ organization: { cloudAccounts: Array<{ id: string }> } }>(url, SNAPSHOT, { org: org[key], range: RANGES[0] }, token[key]);
      expect(res.errors).toBeUndefined();
      accounts[key] = res.data!.organization.cloudAccounts.map((a) => a.id);
      if (key === 'a') aSnapshot = JSON.stringify(res.data);
      else bSnapshot = JSON.stringify(res.data);
    }
    const a = JSON.parse(aSnapshot) as { organization: { kubernetesCosts: { totalCost: number } } };
    aKubernetesTotal = a.organization.kubernetesCosts.totalCost;
    const aLeaves = leaves(JSON.parse(aSnapshot));
    const bLeaves = leaves(JSON.parse(bSnapshot));
    // Numbers: B's totals and cluster figures; single rows (items, breakdown groups) may equal A's by chance.
    const bAggregates = JSON.parse(bSnapshot) as { organization: { expenses: Record<string, unknown> } };
    delete bAggregates.organization.expenses.items;
    delete bAggregates.organization.expenses.breakdown;
    const aStrings = new Set(aLeaves.strings);
    const aNumbers = new Set(aLeaves.numbers);
    for (const s of bLeaves.strings) if (!aStrings.has(s) && (/^[0-9a-f-]{36}$/.test(s) || s.toLowerCase().includes('beta'))) bStrings.add(s);
    // Totals and costs (not small counts or flags a query may legitimately share).
    for (const n of leaves(bAggregates).numbers) if (!aNumbers.has(n) && !Number.isInteger(n)) bNumbers.add(n);
    expect(bStrings.size).toBeGreaterThan(500); // B's org, accounts, clusters, a page of 500 expense rows, name
    expect(bNumbers.size).toBeGreaterThan(10);
    expect(aKubernetesTotal).toBeGreaterThan(0);
    expect(clusters.b.every((id) => bStrings.has(id))).toBe(true);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await recorder?.close();
    await t?.drop();
  });

  /** Fails when anything of B's appears in a response A received. `allowed` are ids A itself sent. */
  function expectNothingOfB(response: unknown, label: string, allowedInErrors: string[] = []) {
    const { data, errors } = response as { data?: unknown; errors?: Array<{ message: string }> };
    const found = leaves(data);
    const leakedStrings = found.strings.filter((s) => [...bStrings].some((b) => s.includes(b)));
    const leakedNumbers = found.numbers.filter((n) => bNumbers.has(n));
    let errorText = JSON.stringify(errors ?? []);
    // A sent id may come back in its canonical (lower-case) spelling.
    for (const id of allowedInErrors.flatMap((sent) => [sent, sent.toLowerCase()])) errorText = errorText.split(JSON.stringify(id).slice(1, -1)).join('<sent>');
    const leakedInErrors = [...bStrings].filter((b) => errorText.includes(b));
    expect({ label, leakedStrings, leakedNumbers, leakedInErrors }).toEqual({ label, leakedStrings: [], leakedNumbers: [], leakedInErrors: [] });
  }

  /** The response with each substituted id replaced by its slot name, to compare B's and a missing id's answers. */
  function normalized(response: unknown, substitutions: Map<string, string>): string {
    let text = JSON.stringify(response);
    for (const [id, slot] of substitutions) text = text.split(JSON.stringify(id).slice(1, -1)).join(slot);
    return text;
  }

  it(`answers ${GATEWAY_CASES} generated gateway queries naming B's ids exactly as it answers missing ids`, async () => {
    const random = seededRandom(SEED);
    type Kind = 'org' | 'account' | 'cluster';
    // A query template: slots are ids of B (or missing ones); the rest is A's own.
    interface Case {
      query: string;
      slots: Kind[];
      vars: (ids: string[]) => Record<string, unknown>;
    }
    const range = () => pickOne(random, RANGES);
    const costType = () => pickOne(random, ['BILLED', 'EFFECTIVE', 'LIST']);
    const dimension = () => pickOne(random, ['DAY', 'SERVICE', 'REGION', 'RESOURCE_TYPE', 'CLOUD_ACCOUNT', 'SERVICE_CATEGORY']);
    // A's own accounts around the foreign ones; drawn once per case, so both variants get the same.
    const mixer = () => {
      const own = accounts.a.filter(() => random() < 0.5);
      const at = Math.floor(random() * (own.length + 1));
      return (ids: string[]) => [...own.slice(0, at), ...ids, ...own.slice(at)];
    };
    const templates: Array<() => Case> = [
      () => ({
        query: `query($id: ID!) { organization(id: $id) { id name currency kubernetesClusterIds cloudAccounts { id name type } } }`,
        slots: ['org'],
        vars: ([id]) => ({ id }),
      }),
      () => {
        const [r, c, d] = [range(), costType(), dimension()];
        return {
          query: `query($id: ID!, $range: DateRangeInput!, $ct: CostType) { organization(id: $id) { expenses(range: $range, costType: $ct) {
            totalCost count items(first: 20) { nodes { id cost cloudAccount { id name } } } breakdown(by: ${d}) { key cost count } } } }`,
          slots: ['org'],
          vars: ([id]) => ({ id, range: r, ct: c }),
        };
      },
      () => {
        const r = range();
        return {
          query: `query($id: ID!, $range: DateRangeInput!) { organization(id: $id) { costSummary(range: $range) { organizationId cloudCost kubernetesCost totalCost }
            kubernetesCosts(range: $range) { totalCost clusters { cloudAccount { id name } totalCost breakdown { cpu ram } } } } }`,
          slots: ['org'],
          vars: ([id]) => ({ id, range: r }),
        };
      },
      () => {
        const kind = pickOne<Kind>(random, ['account', 'cluster']);
        const r = range();
        return {
          query: `query($id: ID!, $range: DateRangeInput!) { cloudAccount(id: $id) { id name type provider providerAccountId createdAt
            organization { id name } kubernetesCost(range: $range) { ${ALL_CLUSTER_FIELDS} } } }`,
          slots: [kind],
          vars: ([id]) => ({ id, range: r }),
        };
      },
      () => {
        // A's own organization, filtered by a mix of A's and foreign account ids.
        const slots = Array.from({ length: 1 + Math.floor(random() * 3) }, () => pickOne<Kind>(random, ['account', 'cluster']));
        const [r, d, mixed] = [range(), dimension(), mixer()];
        return {
          query: `query($org: ID!, $range: DateRangeInput!, $filter: ExpenseFilter) { organization(id: $org) { expenses(range: $range, filter: $filter) {
            totalCost count items(first: 50, orderBy: DATE_DESC) { nodes { id cost cloudAccount { id } } } breakdown(by: ${d}) { key cost } } } }`,
          slots,
          vars: (ids) => ({ org: org.a, range: r, filter: { cloudAccountIds: mixed(ids) } }),
        };
      },
      () => {
        // Foreign ids in the free-text filters and tag keys of A's own report.
        const r = range();
        return {
          query: `query($org: ID!, $range: DateRangeInput!, $x: String!) { organization(id: $org) {
            a: expenses(range: $range, filter: { resourceIdContains: $x, providers: [$x], services: [$x], regions: [$x], resourceTypes: [$x] }) { totalCost count }
            b: expenses(range: $range, filter: { tag: { key: $x, value: $x } }) { totalCost count }
            c: expenses(range: $range) { breakdown(by: TAG, tagKey: $x) { key cost } } } }`,
          slots: [pickOne<Kind>(random, ['org', 'account', 'cluster'])],
          vars: ([x]) => ({ org: org.a, range: r, x }),
        };
      },
      () => ({
        query: `mutation($id: ID!) { rotateClusterCredential(cloudAccountId: $id) { username password cloudAccount { id name } } }`,
        slots: [pickOne<Kind>(random, ['cluster', 'account'])],
        vars: ([id]) => ({ id }),
      }),
      () => ({
        query: `mutation($id: ID!) { deleteCloudAccount(id: $id) { id name organization { id } } }`,
        slots: [pickOne<Kind>(random, ['cluster', 'account'])],
        vars: ([id]) => ({ id }),
      }),
      () => ({
        query: `mutation($org: ID!) { createKubernetesCluster(organizationId: $org, name: "intruder") { username password cloudAccount { id organization { id name } } } }`,
        slots: ['org'],
        vars: ([org]) => ({ org }),
      }),
      () => {
        const r = range();
        return {
          query: `query($o: ID!, $a: ID!, $c: ID!, $range: DateRangeInput!) { organizations { id name }
            o: organization(id: $o) { id name kubernetesCosts(range: $range) { totalCost } }
            a: cloudAccount(id: $a) { id name organization { id } }
            c: cloudAccount(id: $c) { id kubernetesCost(range: $range) { totalCost hasData } } }`,
          slots: ['org', 'account', 'cluster'],
          vars: ([o, a, c]) => ({ o, a, c, range: r }),
        };
      },
    ];
    const pools: Record<Kind, string[]> = { org: [org.b], account: accounts.b, cluster: clusters.b };
    // Ids as B's appear in an argument: exact, or upper case (PostgreSQL's uuid type ignores case).
    const variant = (id: string, upper: boolean) => (upper ? id.toUpperCase() : id);

    const cases = Array.from({ length: GATEWAY_CASES }, () => {
      const c = pickOne(random, templates)();
      const upper = random() < 0.2;
      const foreign = c.slots.map((kind) => variant(pickOne(random, pools[kind]), upper));
      const missing = c.slots.map(() => variant(randomId(), upper));
      return { ...c, foreign, missing };
    });
    const mismatches: string[] = [];
    let nonNull = 0;
    await inParallel(cases, CONCURRENCY, async (c, i) => {
      const [foreign, missing] = await Promise.all([
        callGateway(url, c.query, c.vars(c.foreign), token.a),
        callGateway(url, c.query, c.vars(c.missing), token.a),
      ]);
      expectNothingOfB(foreign, `case ${i} (seed ${SEED})`, c.foreign);
      const slotNames = (ids: string[]) => new Map(ids.flatMap((id, k) => [[id, `<slot${k}>`] as const, [id.toLowerCase(), `<slot${k}>`] as const]));
      const a = normalized(foreign, slotNames(c.foreign));
      const b = normalized(missing, slotNames(c.missing));
      if (a !== b) mismatches.push(`case ${i} (seed ${SEED}) ${c.query.slice(0, 80)}\n foreign: ${a.slice(0, 400)}\n missing: ${b.slice(0, 400)}`);
      if (foreign.data && Object.values(foreign.data).some((v) => v !== null)) nonNull++;
    });
    expect(mismatches).toEqual([]);
    // The generator really exercised answers with data (A's own reports), not only nulls.
    expect(nonNull).toBeGreaterThan(GATEWAY_CASES / 10);
    process.stderr.write(`isolation: ${GATEWAY_CASES} gateway cases x2 (${nonNull} with data), 0 mismatches, 0 values of B\n`);

    // B is untouched: same answers for its own token, and its credentials still write.
    const after = await callGateway(url, SNAPSHOT, { org: org.b, range: RANGES[0] }, token.b);
    expect(JSON.stringify(after.data)).toBe(bSnapshot);
    for (const credential of bCredentials) {
      const write = await post(`${stack.ingest.url}/api/v1/write`, encodeSeries([]), { ...REMOTE_WRITE_HEADERS, Authorization: basicAuth(credential.username, credential.password) });
      expect(write.status).toBe(204);
    }
  }, 240_000);

  it(`answers ${ENTITY_CASES} generated _entities calls signed for A naming B exactly as missing ids`, async () => {
    const random = seededRandom(SEED + 1);
    const auth = { secret: stack.secret, organizationIds: [org.a] };
    const range = () => pickOne(random, RANGES);
    // One representation builder per entity and subgraph; `f` takes a foreign-or-missing id.
    type Rep = { subgraph: 'expenses' | 'kubecost'; fragment: string; build: (f: () => string) => Record<string, unknown> };
    const reps: Rep[] = [
      { subgraph: 'expenses', fragment: `... on Organization { id name currency kubernetesClusterIds cloudAccounts { id name } }`, build: (f) => ({ __typename: 'Organization', id: f() }) },
      {
        subgraph: 'expenses',
        fragment: `... on CloudAccount { id name type providerAccountId organization { id name } }`,
        build: (f) => ({ __typename: 'CloudAccount', id: f() }),
      },
      {
        subgraph: 'expenses',
        fragment: `... on CostSummary { organizationId cloudCost kubernetesClusterIds }`,
        build: (f) => ({ __typename: 'CostSummary', organizationId: f(), ...range() }),
      },
      {
        subgraph: 'kubecost',
        fragment: `... on Organization { kubernetesCosts(range: $range) { totalCost clusters { ${ALL_CLUSTER_FIELDS} } } }`,
        build: (f) => ({ __typename: 'Organization', id: f(), kubernetesClusterIds: [f(), f()] }),
      },
      {
        // B's clusters smuggled into A's own representation.
        subgraph: 'kubecost',
        fragment: `... on Organization { kubernetesCosts(range: $range) { totalCost clusters { ${ALL_CLUSTER_FIELDS} } } }`,
        build: (f) => ({ __typename: 'Organization', id: org.a, kubernetesClusterIds: [f(), ...clusters.a, f()].sort(() => random() - 0.5) }),
      },
      { subgraph: 'kubecost', fragment: `... on CloudAccount { kubernetesCost(range: $range) { ${ALL_CLUSTER_FIELDS} } }`, build: (f) => ({ __typename: 'CloudAccount', id: f() }) },
      {
        subgraph: 'kubecost',
        fragment: `... on CostSummary { summaryKubernetesCost: kubernetesCost totalCost }`,
        build: (f) => ({ __typename: 'CostSummary', organizationId: f(), ...range(), cloudCost: 1, kubernetesClusterIds: [f()] }),
      },
      {
        subgraph: 'kubecost',
        fragment: `... on CostSummary { summaryKubernetesCost: kubernetesCost totalCost }`,
        build: (f) => ({ __typename: 'CostSummary', organizationId: org.a, ...range(), cloudCost: 1, kubernetesClusterIds: [f(), ...clusters.a] }),
      },
    ];
    const foreignPool = [org.b, ...accounts.b, ...clusters.b];
    const mismatches: string[] = [];
    let checked = 0;
    const cases = Array.from({ length: ENTITY_CASES }, () => {
      const subgraph = pickOne(random, ['expenses', 'kubecost'] as const);
      const chosen = Array.from({ length: 1 + Math.floor(random() * 3) }, () => pickOne(random, reps.filter((r) => r.subgraph === subgraph)));
      const foreign: string[] = [];
      const missing: string[] = [];
      // A foreign id used twice stands for the same missing id twice, so the answers compare.
      const missingFor = new Map<string, string>();
      const built = chosen.map((rep) => {
        const ids: string[] = [];
        const take = () => {
          ids.push(pickOne(random, foreignPool));
          return `\u0000${ids.length - 1}`;
        };
        const shape = JSON.stringify(rep.build(take));
        for (const f of ids) if (!missingFor.has(f)) missingFor.set(f, randomId());
        const fill = (of: (f: string) => string) => JSON.parse(shape.replace(/\\u0000(\d+)/g, (_, k: string) => of(ids[Number(k)]))) as Record<string, unknown>;
        foreign.push(...ids);
        missing.push(...ids.map((f) => missingFor.get(f)!));
        return { foreign: fill((f) => f), missing: fill((f) => missingFor.get(f)!) };
      });
      const query = `query($reps: [_Any!]!, $range: DateRangeInput!) { _entities(representations: $reps) { __typename ${[...new Set(chosen.map((r) => r.fragment))].join(' ')} } }`;
      return { subgraph, query, foreign, missing, built };
    });
    await inParallel(cases, CONCURRENCY, async (c, i) => {
      const target = c.subgraph === 'expenses' ? stack.expenses.url : stack.kubecost.url;
      const [foreign, missing] = await Promise.all([
        callSubgraph(target, c.query, { reps: c.built.map((b) => b.foreign), range: RANGES[0] }, auth),
        callSubgraph(target, c.query, { reps: c.built.map((b) => b.missing), range: RANGES[0] }, auth),
      ]);
      expectNothingOfB(foreign, `entities case ${i} (seed ${SEED})`, c.foreign);
      const names = (ids: string[]) => new Map(ids.map((id, k) => [id, `<slot${ids.indexOf(id) === k ? k : ids.indexOf(id)}>`]));
      const a = normalized(foreign, names(c.foreign));
      const b = normalized(missing, names(c.missing));
      if (a !== b) mismatches.push(`entities case ${i} (seed ${SEED}) ${c.subgraph} ${JSON.stringify(c.built.map((x) => x.foreign)).slice(0, 300)}\n foreign: ${a.slice(0, 500)}\n missing: ${b.slice(0, 500)}`);
      checked++;
    });
    expect(mismatches).toEqual([]);
    expect(checked).toBe(ENTITY_CASES);
  }, 240_000);

  it('keeps hostile ids out of every PromQL query and never matches another tenant', async () => {
    const [b0] = clusters.b;
    const [a0] = clusters.a;
    const hostile = [
      '"',
      '\\',
      '"}',
      '.*',
      '|',
      '.+',
      `${a0}|.*`,
      `${a0}|${b0}`,
      `${a0}"} or {tenant_id=~".*`,
      `${a0}",tenant_id=~".+`,
      `${a0}\\"`,
      `${a0}\n`,
      `\n${b0}`,
      `${b0}.*`,
      `.*${b0.slice(8)}`,
      `${a0.slice(0, 35)}.`,
      `${a0.slice(0, 35)}[0-9a-f]`,
      `${b0.toUpperCase()}`,
      `{tenant_id=~".*"}`,
      `ü🙂${a0}`,
      `${a0}\u200b`,
      `${a0}\u0000`,
      '\\"} or vector(1) #',
    ];
    recorder.recorded.length = 0;
    const auth = { secret: stack.secret, organizationIds: [org.a] };
    // A window no earlier query used, so nothing comes from the subgraph's result cache.
    const range = { from: new Date(END - 3 * DAY_MS).toISOString(), to: RANGES[0].to };
    const results: unknown[] = [];
    for (const id of hostile) {
      results.push(
        await callGateway(url, `query($id: ID!, $range: DateRangeInput!) { cloudAccount(id: $id) { id kubernetesCost(range: $range) { ${ALL_CLUSTER_FIELDS} } } }`, { id, range }, token.a),
        await callGateway(url, `query($f: ExpenseFilter, $range: DateRangeInput!) { organization(id: "${org.a}") { expenses(range: $range, filter: $f) { totalCost } } }`, { f: { cloudAccountIds: [id] }, range }, token.a),
      );
    }
    const reps = [
      { __typename: 'Organization', id: org.a, kubernetesClusterIds: [...hostile, ...clusters.a] },
      ...hostile.map((id) => ({ __typename: 'CloudAccount', id })),
      { __typename: 'CostSummary', organizationId: org.a, ...range, cloudCost: 0, kubernetesClusterIds: [...hostile, ...clusters.a] },
      ...hostile.slice(0, 5).map((id) => ({ __typename: 'CostSummary', organizationId: id, ...range, kubernetesClusterIds: clusters.b })),
      ...hostile.slice(0, 5).map((id) => ({ __typename: 'Organization', id, kubernetesClusterIds: clusters.b })),
    ];
    const direct = await callSubgraph<{ _entities: Array<Record<string, unknown> | null> }>(
      stack.kubecost.url,
      `query($reps: [_Any!]!, $range: DateRangeInput!) { _entities(representations: $reps) {
        ... on Organization { kubernetesCosts(range: $range) { totalCost clusters { ${ALL_CLUSTER_FIELDS} } } }
        ... on CloudAccount { kubernetesCost(range: $range) { ${ALL_CLUSTER_FIELDS} } }
        ... on CostSummary { summaryKubernetesCost: kubernetesCost totalCost } } }`,
      { reps, range },
      auth,
    );
    results.push(direct);
    for (const [i, r] of results.entries()) expectNothingOfB(r, `hostile result ${i}`, hostile);
    // The smuggled ids changed nothing: A's own clusters, A's own figures.
    expect(direct.errors).toBeUndefined();
    const organization = direct.data!._entities[0] as { kubernetesCosts: { totalCost: number; clusters: Array<{ cloudAccount: { id: string } }> } };
    expect(organization.kubernetesCosts.clusters.map((c) => c.cloudAccount.id)).toEqual(clusters.a);
    const own = await callGateway<{ organization: { kubernetesCosts: { totalCost: number } } }>(
      url,
      `query($range: DateRangeInput!) { organization(id: "${org.a}") { kubernetesCosts(range: $range) { totalCost } } }`,
      { range },
      token.a,
    );
    const aTotal = own.data!.organization.kubernetesCosts.totalCost;
    expect(aTotal).toBeCloseTo(aKubernetesTotal, 6);
    expect(organization.kubernetesCosts.totalCost).toBeCloseTo(aTotal, 9);
    expect(direct.data!._entities.slice(1, 1 + hostile.length).every((e) => e === null || (e as { kubernetesCost: unknown }).kubernetesCost === null)).toBe(true);
    const summary = direct.data!._entities[1 + hostile.length] as { summaryKubernetesCost: number };
    expect(summary.summaryKubernetesCost).toBeCloseTo(aTotal, 9);
    expect(direct.data!._entities.slice(2 + hostile.length)).toEqual(Array(10).fill(null));

    // Every PromQL query that was sent names only A's cluster, with an equality matcher. (Few
    // are sent: closed hours come from rollups after the first answer.)
    expect(recorder.recorded.length).toBeGreaterThan(0);
    const matchers = recorder.recorded.flatMap((r) => tenantMatchers(r.query));
    expect(matchers.length).toBeGreaterThanOrEqual(recorder.recorded.length);
    const bad = matchers.filter((m) => !((m.op === '=' || m.op === '=~') && m.value.split('|').every((v) => clusters.a.includes(v))));
    expect(bad).toEqual([]);
    process.stderr.write(`PromQL injection: ${hostile.length} hostile ids, ${recorder.recorded.length} PromQL requests, ${matchers.length} tenant matchers, ${bad.length} not A's\n`);
    for (const r of recorder.recorded) {
      for (const b of clusters.b) expect(r.query).not.toContain(b);
      expect(r.query).not.toMatch(/[\u0080-\uffff]|\\n|\.\*|\.\+/);
    }
  }, 120_000);

  it('escapes hostile label values so the real PromQL parser matches only that exact value', async () => {
    const [a0] = clusters.a;
    const values = ['"', '\\', '"}', '.*', '|', `${a0}|.*`, `${a0}"} or {tenant_id=~".*`, `${a0}\n`, `ü🙂`, '\\"} or vector(1) #', `(${a0})`, `[${a0}]`, `${a0}$`, `^${a0}`, a0];
    for (const value of values) {
      for (const matcher of [`tenant_id="${escapeLabelValue(value)}"`, `tenant_id=~"${escapeLabelValue(escapeRegex(value))}"`]) {
        const found = await instantQuery(stack.store.url, `count by (tenant_id) (node_total_hourly_cost{${matcher}} or kube_node_status_capacity_cpu_cores{${matcher}})`, END - 1000);
        // Only the value that is really A's tenant id matches anything, and then only A.
        expect({ value, tenants: found.map((s) => s.metric.tenant_id) }).toEqual({ value, tenants: value === a0 ? [a0] : [] });
      }
    }
  });
});
