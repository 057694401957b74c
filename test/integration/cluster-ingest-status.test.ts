import { createApiToken } from '../../lib/accounts/api-tokens';
import { createKubernetesCluster, type ClusterConnection } from '../../lib/accounts/kubernetes-clusters';
import { createCloudAccount, createOrganization } from '../../lib/accounts/repository';
import { createLoaders } from '../../subgraphs/expenses/loaders';
import { countingDatabase } from '../helpers/counting-database';
import type { LocalPrometheus } from '../../cli/local/local-prometheus';
import { runCostgraph } from '../helpers/cli';
import { createPostgresDatabase, type TestDatabase } from '../helpers/databases';
import { startExporter, type Exporter } from '../helpers/exporter';
import { fixture } from '../helpers/fixtures';
import { waitFor } from '../helpers/promql';
import { basicAuth, post, REMOTE_WRITE_HEADERS } from '../helpers/remote-write';
import { startScrapingAgent } from '../helpers/scraping-agent';
import { callGateway, startTestStack, type TestStack } from '../helpers/stack';

const SCRAPE = fixture('opencost', 'kubecost-scrape.prom').toString('utf8');

const STATUS = `query ($id: ID!) {
  cloudAccount(id: $id) {
    ingestStatus { state lastReceivedAt lastSampleAt acceptedSamplesLastHour droppedSamplesLastHour { reason count } lastError { message at } }
  }
}`;
const LIST = `query ($org: ID!) { organization(id: $org) { cloudAccounts { id type ingestStatus { state } } } }`;

interface Status {
  state: string;
  lastReceivedAt: string | null;
  lastSampleAt: string | null;
  acceptedSamplesLastHour: number;
  droppedSamplesLastHour: Array<{ reason: string; count: number }>;
  lastError: { message: string; at: string } | null;
}

/*
 * A real Prometheus agent writes through ingest; the status it leaves is read through the
 * gateway and the CLI (a child process on the same PostgreSQL database, as an operator runs it).
 */
describe('cluster ingest status through the API and the CLI (postgres)', () => {
  let t: TestDatabase;
  let stack: TestStack;
  let exporter: Exporter;
  let agent: LocalPrometheus | undefined;
  let sending: ClusterConnection;
  let silent: ClusterConnection;
  let org: string;
  let otherOrgToken: string;
  let token: string;
  let aws: string;

  const cli = (args: string[], env: Record<string, string> = {}) => runCostgraph(args, { DATABASE_URL: t.url, DATA_DIR: stack.dir, ...env });
  const status = async (id: string, as = token) => {
    const res = await callGateway<{ cloudAccount: { ingestStatus: Status | null } | null }>(stack.gateway.url, STATUS, { id }, as);
    expect(res.errors).toBeUndefined();
    return res.data!.cloudAccount?.ingestStatus;
  };

  beforeAll(async () => {
    t = await createPostgresDatabase();
    org = (await createOrganization(t.db, 'Ingest Status')).id;
    sending = await createKubernetesCluster(t.db, org, 'sending', 'http://unused');
    silent = await createKubernetesCluster(t.db, org, 'silent', 'http://unused');
    aws = (await createCloudAccount(t.db, { organizationId: org, name: 'billing', type: 'aws', providerAccountId: '123456789012' })).id;
    token = (await createApiToken(t.db, org, 'test')).token;
    otherOrgToken = (await createApiToken(t.db, (await createOrganization(t.db, 'Other')).id, 'test')).token;
    stack = await startTestStack(t.db, { INGEST_STATUS_FLUSH_INTERVAL: '300ms' });
    exporter = await startExporter(SCRAPE);
    agent = await startScrapingAgent({ dir: stack.dir, target: exporter.url, ingestUrl: stack.ingest.url, credential: sending, maxBackoff: '500ms' });
  }, 90_000);

  afterAll(async () => {
    await agent?.stop();
    await exporter?.close();
    await stack?.stop();
    await t?.drop();
  });

  it('turns receiving once the agent writes, in the API and the CLI; a silent cluster is "never"', async () => {
    const received = await waitFor('status receiving', async () => {
      const s = await status(sending.cloudAccount.id);
      return s?.state === 'RECEIVING' && s.acceptedSamplesLastHour > 0 ? s : undefined;
    });
    expect(Date.now() - Date.parse(received.lastSampleAt!)).toBeLessThan(60_000);
    expect(received.lastError).toBeNull();
    expect(await status(silent.cloudAccount.id)).toMatchObject({ state: 'NEVER', lastReceivedAt: null, acceptedSamplesLastHour: 0 });

    // Another organization sees no such account, and so no status.
    const foreign = await callGateway<{ cloudAccount: unknown }>(stack.gateway.url, STATUS, { id: sending.cloudAccount.id }, otherOrgToken);
    expect(foreign.data?.cloudAccount).toBeNull();

    const list = await callGateway<{ organization: { cloudAccounts: Array<{ id: string; type: string; ingestStatus: { state: string } | null }> } }>(stack.gateway.url, LIST, { org }, token);
    expect(list.data!.organization.cloudAccounts.map((a) => [a.id, a.ingestStatus?.state])).toEqual(
      expect.arrayContaining([
        [sending.cloudAccount.id, 'RECEIVING'],
        [silent.cloudAccount.id, 'NEVER'],
        [aws, undefined],
      ]),
    );
    expect(list.data!.organization.cloudAccounts.find((a) => a.id === aws)!.ingestStatus).toBeNull();

    const listed = await cli(['cluster', 'list', '--org', org, '--json']);
    expect(listed.stderr).toBe('');
    const clusters = (JSON.parse(listed.stdout) as { clusters: Array<{ name: string; cloudAccountId: string; state: string; lastSampleAt: string | null }> }).clusters;
    expect(clusters.map((c) => [c.name, c.state])).toEqual([
      ['sending', 'receiving'],
      ['silent', 'never'],
    ]);
    expect(clusters[0].lastSampleAt).not.toBeNull();
    const table = await cli(['cluster', 'list', '--org', org]);
    expect(table.stdout).toMatch(new RegExp(`^sending\\s+${sending.cloudAccount.id}\\s+receiving\\s+\\d{4}-`, 'm'));
    expect(table.stdout).toMatch(new RegExp(`^silent\\s+${silent.cloudAccount.id}\\s+never\\s+-$`, 'm'));
  }, 60_000);

  it('loads the status of any number of clusters in one batch', async () => {
    const counting = countingDatabase(t.db);
    const loaders = createLoaders(counting, [org]);
    const statuses = await Promise.all([sending, silent].map((c) => loaders.ingestStatus.load(c.cloudAccount.id)));
    expect(statuses.map((s) => s.cloudAccountId)).toEqual([sending.cloudAccount.id, silent.cloudAccount.id]);
    // The status row and the last hour's counts: two statements for the whole list.
    expect(counting.statements).toHaveLength(2);
  });

  it('shows the reason of a refused body', async () => {
    const refused = await post(`${stack.ingest.url}/api/v1/write`, 'not a remote-write body', { ...REMOTE_WRITE_HEADERS, Authorization: basicAuth(silent.username, silent.password) });
    expect(refused.status).toBe(400);
    const s = await waitFor('refusal recorded', async () => ((await status(silent.cloudAccount.id))?.lastError ? status(silent.cloudAccount.id) : undefined));
    expect(s!.lastError!.message).toBe(refused.body.trim());
    expect(s!.state).toBe('NEVER');
    const shown = await cli(['cluster', 'status', silent.cloudAccount.id]);
    expect(shown.stdout).toContain(refused.body.trim());
    expect(shown.stdout).toMatch(/: never$/m);
  }, 30_000);

  it('turns stale once the agent stops for longer than INGEST_STALE_AFTER', async () => {
    await agent!.stop();
    agent = undefined;
    // Past the last flush that could still carry a write.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const stale = await cli(['cluster', 'status', sending.cloudAccount.id, '--json'], { INGEST_STALE_AFTER: '2s' });
    expect(JSON.parse(stale.stdout)).toMatchObject({ state: 'stale', cloudAccountId: sending.cloudAccount.id });
    const fresh = await cli(['cluster', 'status', sending.cloudAccount.id, '--json']);
    expect(JSON.parse(fresh.stdout)).toMatchObject({ state: 'receiving' });
  }, 30_000);
});
