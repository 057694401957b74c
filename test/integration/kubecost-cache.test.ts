import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCloudAccount, createOrganization } from '../../lib/accounts/repository';
import { loadCommonConfig } from '../../lib/config/common';
import { silentLogger } from '../../lib/log';
import { startLocalPrometheus, type LocalPrometheus } from '../../lib/prometheus/local-prometheus';
import { loadKubecostConfig } from '../../subgraphs/kubecost/config';
import { startKubecostSubgraph, type RunningSubgraph } from '../../subgraphs/kubecost/start';
import { createPgliteDatabase, type TestDatabase } from '../helpers/databases';
import { startPromqlProxy, type PromqlProxy } from '../helpers/promql-proxy';
import { callSubgraph } from '../helpers/subgraph-client';

/*
 * The result cache, observed by counting the PromQL HTTP requests that reach the store (a
 * proxy in front of a real Prometheus), never by timing: closed windows are answered from the
 * LRU on repeat, for good; windows that ended within the immutability lag only for the
 * configured TTL.
 */

const SECRET = crypto.randomBytes(32).toString('hex');
const HOUR = 3_600_000;
const MINUTE = 60_000;
const TTL_MS = 1500;

const FIELDS = 'totalCost hasData namespaces { namespace } efficiency { cpu } savings { kind }';
const query = (fields: string) => `query($reps: [_Any!]!, $range: DateRangeInput!) { _entities(representations: $reps) { ... on CloudAccount {
  kubernetesCost(range: $range) { ${fields} } } } }`;
/** With a series: its whole past hours are immutable even when the window's end is recent, so recent windows are asked without. */
const WITH_SERIES = query(`${FIELDS} series(step: HOUR) { start totalCost }`);
const WITHOUT_SERIES = query(FIELDS);

describe('kubecost result cache', () => {
  let dir: string;
  let store: LocalPrometheus;
  let proxy: PromqlProxy;
  let t: TestDatabase;
  let subgraph: RunningSubgraph;
  let org: string;
  let clusterId: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-kubecost-cache-'));
    store = await startLocalPrometheus({ dataDir: dir, port: 0 });
    proxy = await startPromqlProxy(store.url);
    t = await createPgliteDatabase();
    org = (await createOrganization(t.db, 'A')).id;
    clusterId = (await createCloudAccount(t.db, { organizationId: org, name: 'c', type: 'kubernetes' })).id;
    const env = {
      DATA_DIR: dir,
      INTERNAL_AUTH_SECRET: SECRET,
      THANOS_QUERY_URL: proxy.url,
      KUBECOST_PORT: '0',
      KUBECOST_IMMUTABLE_AFTER: '10m',
      KUBECOST_RECENT_TTL: `${TTL_MS}ms`,
    };
    subgraph = await startKubecostSubgraph({ config: { ...loadKubecostConfig(env), common: loadCommonConfig({ DATA_DIR: dir }) }, db: t.db, logger: silentLogger });
  }, 60_000);

  afterAll(async () => {
    await subgraph?.close();
    await proxy?.close();
    await store?.stop();
    await t?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** PromQL requests one GraphQL request caused. */
  const promqlRequestsFor = async (from: number, to: number, graphql = WITHOUT_SERIES): Promise<number> => {
    const before = proxy.queries;
    const res = await callSubgraph(
      subgraph.url,
      graphql,
      { reps: [{ __typename: 'CloudAccount', id: clusterId }], range: { from: new Date(from).toISOString(), to: new Date(to).toISOString() } },
      { secret: SECRET, organizationIds: [org] },
    );
    expect(res.errors).toBeUndefined();
    return proxy.queries - before;
  };

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('a window that ended before now − lag is served from the cache on repeat, also after the recent TTL', async () => {
    const to = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
    const from = to - 6 * HOUR;
    const first = await promqlRequestsFor(from, to, WITH_SERIES);
    expect(first).toBeGreaterThanOrEqual(5);
    expect(await promqlRequestsFor(from, to, WITH_SERIES)).toBe(0);
    await sleep(TTL_MS + 500);
    expect(await promqlRequestsFor(from, to, WITH_SERIES)).toBe(0);
    // A different start is a different question, except for unclaimed volumes, asked at the window's end only.
    expect(await promqlRequestsFor(from - HOUR, to, WITH_SERIES)).toBe(first - 1);
  });

  it('a window that ended within the lag is cached for the TTL only', async () => {
    // Ended 3 minutes ago: late samples may still arrive, so it is not immutable.
    const to = Date.now() - 3 * MINUTE;
    const from = to - 2 * HOUR;
    const first = await promqlRequestsFor(from, to);
    expect(first).toBeGreaterThanOrEqual(4);
    expect(await promqlRequestsFor(from, to)).toBe(0);
    await sleep(TTL_MS + 500);
    expect(await promqlRequestsFor(from, to)).toBe(first);
  });

  it('a window still open (ending in the future) is cached for the TTL only', async () => {
    const from = Date.now() - HOUR;
    const to = from + 3 * HOUR;
    const first = await promqlRequestsFor(from, to);
    expect(first).toBeGreaterThanOrEqual(4);
    expect(await promqlRequestsFor(from, to)).toBe(0);
    await sleep(TTL_MS + 500);
    expect(await promqlRequestsFor(from, to)).toBe(first);
  });

  it('refuses a recent TTL over a minute at start', () => {
    expect(() => loadKubecostConfig({ DATA_DIR: dir, INTERNAL_AUTH_SECRET: SECRET, KUBECOST_RECENT_TTL: '5m' })).toThrow(/KUBECOST_RECENT_TTL/);
  });
});
