import { createOrganization, listCloudAccounts } from '../../../lib/accounts/repository';
import { importFocusFile } from '../../../subgraphs/expenses/import/import-focus';
import { createKubernetesCluster } from '../../../lib/accounts/kubernetes-clusters';
import { createApiToken } from '../../../lib/accounts/api-tokens';
import { databaseBackends, type TestDatabase } from '../../helpers/databases';
import { FOCUS_CSV_PATH, FOCUS_ROWS, sumColumnBy } from '../../helpers/focus-fixture';
import { basicAuth } from '../../helpers/remote-write';
import { callGateway, startTestStack, type TestStack } from '../../helpers/stack';
import { callSubgraph } from '../../helpers/subgraph-client';
import { GIB, HOUR_MS, writeClusters } from '../../helpers/synthetic-cluster';

const DAY_MS = 86_400_000;
const END = Math.floor(Date.now() / DAY_MS) * DAY_MS;
/** Where the cluster's samples are. */
const RECENT = { from: new Date(END - DAY_MS).toISOString(), to: new Date(END).toISOString() };
/** Where the FOCUS fixture's rows are. */
const FIXTURE_RANGE = { from: '2024-09-01T00:00:00Z', to: '2024-10-01T00:00:00Z' };

type Answer = { status: number; data?: unknown; errors?: unknown[] };

/**
 * One operation that takes an id: how to call it with a given spelling of the id, and which
 * part of the answer must not depend on that spelling (mutations answer fresh secrets).
 */
interface IdOperation {
  name: string;
  /** The id it is called with, in canonical form; a fresh one per call where the call consumes it. */
  id: () => Promise<string>;
  call: (id: string) => Promise<Answer>;
  /** The part of the answer that must be the same whatever the spelling. */
  project?: (data: unknown) => unknown;
}

const backend = databaseBackends().at(-1)!;

describe(`ids in any letter case (${backend.name})`, () => {
  let t: TestDatabase;
  let stack: TestStack;
  let org = '';
  let token = '';
  let cluster = '';
  let account = '';

  beforeAll(async () => {
    t = await backend.create();
    stack = await startTestStack(t.db);
    org = (await createOrganization(t.db, 'Ids')).id;
    token = (await createApiToken(t.db, org, 'ids')).token;
    await importFocusFile(t.db, org, FOCUS_CSV_PATH);
    // The billing account with the largest total, so its filtered expenses cannot sum to 0.
    const [largest] = [...sumColumnBy(FOCUS_ROWS, 'BilledCost', 'SubAccountId')].sort(([, a], [, b]) => (b > a ? 1 : b < a ? -1 : 0))[0];
    account = (await listCloudAccounts(t.db, [org])).find((a) => a.type !== 'kubernetes' && a.providerAccountId === largest)!.id;
    const created = await createKubernetesCluster(t.db, org, 'ids', 'http://127.0.0.1/api/v1/write');
    cluster = created.cloudAccount.id;
    await writeClusters(stack.ingest.url, [
      {
        cluster: {
          tenantId: cluster,
          startMs: END - 2 * HOUR_MS,
          endMs: END,
          intervalSeconds: 60,
          nodes: [{ name: 'node-a', cpuPrice: 0.031611, ramPrice: 0.004237, cores: 4, memoryBytes: 16 * GIB }],
          volumes: [],
          loadBalancers: [],
          managementFee: 0.1,
          containers: [{ namespace: 'web', pod: 'web-1', container: 'app', node: 'node-a', cores: 2, memoryBytes: 4 * GIB }],
        },
        headers: { Authorization: basicAuth(created.username, created.password) },
      },
    ]);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await t?.drop();
  });

  const gateway = (query: string, variables: Record<string, unknown>) => callGateway(stack.gateway.url, query, variables, token);
  const subgraph = (name: 'expenses' | 'kubecost', query: string, variables: Record<string, unknown>) =>
    callSubgraph(stack[name].url, query, variables, { secret: stack.secret, organizationIds: [org] });
  const fresh = async () => (await createKubernetesCluster(t.db, org, `gone-${Math.random().toString(36).slice(2, 8)}`, 'http://127.0.0.1/api/v1/write')).cloudAccount.id;
  const entities = (selection: string) => `query($reps: [_Any!]!) { _entities(representations: $reps) { ${selection} } }`;

  const operations: IdOperation[] = [
    { name: 'organization', id: async () => org, call: (id) => gateway(`query($id: ID!) { organization(id: $id) { id name } }`, { id }) },
    { name: 'organization (literal)', id: async () => org, call: (id) => gateway(`{ organization(id: "${id}") { id name } }`, {}) },
    {
      name: 'cloudAccount',
      id: async () => account,
      call: (id) => gateway(`query($id: ID!) { cloudAccount(id: $id) { id name organization { id } } }`, { id }),
    },
    {
      name: 'cloudAccount.kubernetesCost (across both subgraphs)',
      id: async () => cluster,
      call: (id) =>
        gateway(`query($id: ID!, $range: DateRangeInput!) { cloudAccount(id: $id) { id kubernetesCost(range: $range) { totalCost hasData cloudAccount { id } } } }`, {
          id,
          range: RECENT,
        }),
    },
    {
      name: 'expenses filter cloudAccountIds',
      id: async () => account,
      call: (id) =>
        gateway(`query($org: ID!, $range: DateRangeInput!, $ids: [ID!]) { organization(id: $org) { expenses(range: $range, filter: { cloudAccountIds: $ids }) { totalCost count } } }`, {
          org,
          range: FIXTURE_RANGE,
          ids: [id],
        }),
    },
    {
      name: 'organization with its expenses and cost summary',
      id: async () => org,
      call: (id) =>
        gateway(`query($org: ID!, $range: DateRangeInput!) { organization(id: $org) { id expenses(range: $range) { count } costSummary(range: $range) { organizationId cloudCost } } }`, {
          org: id,
          range: FIXTURE_RANGE,
        }),
    },
    {
      name: 'rotateClusterCredential',
      id: async () => cluster,
      call: (id) => gateway(`mutation($id: ID!) { rotateClusterCredential(cloudAccountId: $id) { username cloudAccount { id organization { id } } } }`, { id }),
      project: (data) => ({ ...(data as { rotateClusterCredential: object }).rotateClusterCredential, password: undefined }),
    },
    {
      name: 'createKubernetesCluster',
      id: async () => org,
      call: (id) => gateway(`mutation($id: ID!) { createKubernetesCluster(organizationId: $id, name: "c-${Math.random().toString(36).slice(2, 8)}") { cloudAccount { organization { id } } } }`, { id }),
    },
    {
      name: 'deleteCloudAccount',
      id: fresh,
      call: (id) => gateway(`mutation($id: ID!) { deleteCloudAccount(id: $id) { id type } }`, { id }),
      project: (data) => ({ type: (data as { deleteCloudAccount: { type: string } }).deleteCloudAccount.type }),
    },
    {
      name: 'expenses: Organization reference',
      id: async () => org,
      call: (id) => subgraph('expenses', entities('... on Organization { id name kubernetesClusterIds }'), { reps: [{ __typename: 'Organization', id }] }),
    },
    {
      name: 'expenses: CloudAccount reference',
      id: async () => account,
      call: (id) => subgraph('expenses', entities('... on CloudAccount { id name }'), { reps: [{ __typename: 'CloudAccount', id }] }),
    },
    {
      name: 'expenses: CostSummary reference',
      id: async () => org,
      call: (id) =>
        subgraph('expenses', entities('... on CostSummary { organizationId cloudCost }'), { reps: [{ __typename: 'CostSummary', organizationId: id, ...FIXTURE_RANGE }] }),
    },
    {
      name: 'kubecost: Organization reference',
      id: async () => org,
      call: (id) =>
        subgraph('kubecost', `query($reps: [_Any!]!, $range: DateRangeInput!) { _entities(representations: $reps) { ... on Organization { id kubernetesCosts(range: $range) { totalCost clusters { cloudAccount { id } } } } } }`, {
          reps: [{ __typename: 'Organization', id, kubernetesClusterIds: [cluster] }],
          range: RECENT,
        }),
    },
    {
      name: 'kubecost: cluster ids of an Organization reference',
      id: async () => cluster,
      call: (id) =>
        subgraph('kubecost', `query($reps: [_Any!]!, $range: DateRangeInput!) { _entities(representations: $reps) { ... on Organization { kubernetesCosts(range: $range) { totalCost clusters { cloudAccount { id } } } } } }`, {
          reps: [{ __typename: 'Organization', id: org, kubernetesClusterIds: [id] }],
          range: RECENT,
        }),
    },
    {
      name: 'kubecost: CloudAccount reference',
      id: async () => cluster,
      call: (id) =>
        subgraph('kubecost', `query($reps: [_Any!]!, $range: DateRangeInput!) { _entities(representations: $reps) { ... on CloudAccount { id kubernetesCost(range: $range) { totalCost cloudAccount { id } } } } }`, {
          reps: [{ __typename: 'CloudAccount', id }],
          range: RECENT,
        }),
    },
    {
      name: 'kubecost: CostSummary reference',
      id: async () => org,
      call: (id) =>
        subgraph('kubecost', entities('... on CostSummary { organizationId kubernetesCost }'), {
          reps: [{ __typename: 'CostSummary', organizationId: id, ...RECENT, kubernetesClusterIds: [cluster] }],
        }),
    },
  ];

  it.each(operations.map((op) => [op.name, op] as const))('%s: an upper-case id finds the same object and the answer echoes the canonical id', async (_, op) => {
    const lower = await op.call(await op.id());
    const upperId = (await op.id()).toUpperCase();
    const upper = await op.call(upperId);
    const project = op.project ?? ((data: unknown) => data);
    expect({ status: lower.status, errors: lower.errors }).toEqual({ status: 200, errors: undefined });
    expect(JSON.stringify(lower.data)).not.toMatch(/null|"totalCost":0[,}]|"count":0/);
    expect({ status: upper.status, errors: upper.errors, data: project(upper.data) }).toEqual({ status: 200, errors: undefined, data: project(lower.data) });
    // Only the canonical spelling comes back.
    expect(JSON.stringify(upper.data)).not.toContain(upperId);
  });
});
