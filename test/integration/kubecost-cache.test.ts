import { HOUR_MS, isHourClosed } from '../../lib/cost-rollups/closing';
import { loadKubecostConfig } from '../../subgraphs/kubecost/config';
import { startKubecostBehindProxy, type KubecostBehindProxy } from '../helpers/kubecost-behind-proxy';
import { callSubgraph } from '../helpers/subgraph-client';

/*
 * The result cache, observed by counting the PromQL HTTP requests that reach the store (a
 * proxy in front of a real Prometheus), never by timing: closed windows are answered from the
 * LRU on repeat, for good; windows that ended within the immutability lag only for the
 * configured TTL.
 */

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** Long enough that a repeat on a busy host still comes within it. */
const TTL_MS = 5000;

const FIELDS = 'totalCost hasData namespaces { namespace } efficiency { cpu } savings { kind }';
const query = (fields: string) => `query($reps: [_Any!]!, $range: DateRangeInput!) { _entities(representations: $reps) { ... on CloudAccount {
  kubernetesCost(range: $range) { ${fields} } } } }`;
/** With a series: its whole past hours are immutable even when the window's end is recent, so recent windows are asked without. */
const WITH_SERIES = query(`${FIELDS} series(step: HOUR) { start totalCost }`);
const WITHOUT_SERIES = query(FIELDS);

describe('kubecost result cache', () => {
  let k: KubecostBehindProxy;

  beforeAll(async () => {
    k = await startKubecostBehindProxy({ KUBECOST_IMMUTABLE_AFTER: '10m', KUBECOST_RECENT_TTL: `${TTL_MS}ms` });
  }, 60_000);

  afterAll(async () => {
    await k?.stop();
  });

  /** PromQL requests one GraphQL request caused. */
  const promqlRequestsFor = async (from: number, to: number, graphql = WITHOUT_SERIES): Promise<number> => {
    const before = k.proxy.queries;
    const res = await callSubgraph(
      k.subgraph.url,
      graphql,
      { reps: [{ __typename: 'CloudAccount', id: k.clusterId }], range: { from: new Date(from).toISOString(), to: new Date(to).toISOString() } },
      { secret: k.secret, organizationIds: [k.org] },
    );
    expect(res.errors).toBeUndefined();
    return k.proxy.queries - before;
  };

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /**
   * 1 when the window starts inside an hour that is closed and ended over 10 minutes ago: that
   * partial hour is asked in a query of its own, which is immutable (cached for good).
   */
  const closedPartialStart = (from: number, now: number) => {
    const hour = Math.floor(from / HOUR_MS) * HOUR_MS;
    return from !== hour && isHourClosed(hour, now) && hour + HOUR_MS - 1 < now - 10 * MINUTE ? 1 : 0;
  };

  /**
   * An open window's unclaimed volumes are asked as of the current minute: a repeat in the
   * next minute is a new question. Starts at least 15 s before a minute ends.
   */
  const awayFromMinuteEnd = async () => {
    const left = MINUTE - (Date.now() % MINUTE);
    if (left < 15_000) await sleep(left + 100);
  };

  it('a window that ended before now − lag is served from the cache on repeat, also after the recent TTL', async () => {
    const to = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
    const from = to - 6 * HOUR;
    const first = await promqlRequestsFor(from, to, WITH_SERIES);
    expect(first).toBeGreaterThanOrEqual(5);
    expect(await promqlRequestsFor(from, to, WITH_SERIES)).toBe(0);
    await sleep(TTL_MS + 1000);
    expect(await promqlRequestsFor(from, to, WITH_SERIES)).toBe(0);
    // A different start is a different question, except what is asked at the window's end only:
    // unclaimed volumes, and (the window being whole closed hours) the newest sample.
    expect(await promqlRequestsFor(from - HOUR, to, WITH_SERIES)).toBe(first - 2);
  });

  it('a window that ended within the lag is cached for the TTL only', async () => {
    // Ended 3 minutes ago: late samples may still arrive, so it is not immutable.
    const to = Date.now() - 3 * MINUTE;
    const from = to - 2 * HOUR;
    const first = await promqlRequestsFor(from, to);
    expect(first).toBeGreaterThanOrEqual(4);
    expect(await promqlRequestsFor(from, to)).toBe(0);
    await sleep(TTL_MS + 1000);
    // Asked again, except the request for its closed whole hours, if it has any: rolled up by the first.
    const firstWhole = Math.ceil(from / HOUR_MS) * HOUR_MS;
    const rolledUp = firstWhole + HOUR_MS <= to && isHourClosed(firstWhole, Date.now()) ? 1 : 0;
    expect(await promqlRequestsFor(from, to)).toBe(first - rolledUp - closedPartialStart(from, Date.now()));
  });

  it('a window still open (ending in the future) is cached for the TTL only', async () => {
    await awayFromMinuteEnd();
    const from = Date.now() - HOUR;
    const to = from + 3 * HOUR;
    const first = await promqlRequestsFor(from, to);
    expect(first).toBeGreaterThanOrEqual(4);
    expect(await promqlRequestsFor(from, to)).toBe(0);
    await sleep(TTL_MS + 1000);
    expect(await promqlRequestsFor(from, to)).toBe(first - closedPartialStart(from, Date.now()));
  });

  it('refuses a recent TTL over a minute at start', () => {
    expect(() => loadKubecostConfig({ DATA_DIR: k.dir, INTERNAL_AUTH_SECRET: k.secret, KUBECOST_RECENT_TTL: '5m' })).toThrow(/KUBECOST_RECENT_TTL/);
  });
});
