import { createCloudAccount, createOrganization } from '../../lib/accounts/repository';
import { HOUR_MS } from '../../lib/cost-rollups/closing';
import { startKubecostBehindProxy, type KubecostBehindProxy } from '../helpers/kubecost-behind-proxy';
import { callSubgraph } from '../helpers/subgraph-client';

/*
 * No request can keep the store busy: a request over the PromQL budget is refused before any
 * query is sent (hours already rolled up are free), one organization's requests share a
 * concurrency limit that others do not wait behind, and a request the subgraph gives up on is
 * abandoned at the store with the store's own timeout set.
 */

const BUDGET = 100;
const DAY_MS = 24 * HOUR_MS;
const END = Math.floor(Date.now() / DAY_MS) * DAY_MS - DAY_MS;

const costOf = (alias: string, from: number, to: number) =>
  `${alias}: kubernetesCost(range: { from: "${new Date(from).toISOString()}", to: "${new Date(to).toISOString()}" }) { totalCost }`;
const entityQuery = (fields: string) => `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on CloudAccount { ${fields} } } }`;

interface Answer {
  data?: { _entities: Array<Record<string, { totalCost: number } | null>> };
  errors?: Array<{ message: string; extensions?: { code?: string; limit?: string } }>;
}

describe('kubecost query limits', () => {
  let k: KubecostBehindProxy;
  let otherOrg: string;
  let otherCluster: string;

  beforeAll(async () => {
    k = await startKubecostBehindProxy({ KUBECOST_QUERY_BUDGET: String(BUDGET), KUBECOST_ORGANIZATION_CONCURRENCY: '1', KUBECOST_CACHE_BYTES: '0', KUBECOST_QUERY_TIMEOUT: '2s' });
    otherOrg = (await createOrganization(k.t.db, 'B')).id;
    otherCluster = (await createCloudAccount(k.t.db, { organizationId: otherOrg, name: 'b', type: 'kubernetes' })).id;
  }, 60_000);

  afterAll(async () => {
    await k?.stop();
  });

  const ask = (fields: string, id = k.clusterId, org = k.org) =>
    callSubgraph(k.subgraph.url, entityQuery(fields), { reps: [{ __typename: 'CloudAccount', id }] }, { secret: k.secret, organizationIds: [org] }) as Promise<Answer>;

  it('a request over the budget is refused, naming it, before any PromQL is sent', async () => {
    const before = k.proxy.queries;
    const answer = await ask(costOf('tenDays', END - 10 * DAY_MS, END));
    expect(answer.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_EXPENSIVE', limit: 'KUBECOST_QUERY_BUDGET' });
    expect(answer.errors?.[0].message).toMatch(/240 cluster-hours.*budget of 100/);
    expect(k.proxy.queries).toBe(before);
  });

  it('hours already rolled up are free: a range that fits rolls up, and a longer one over it then fits too', async () => {
    const threeDays = await ask(costOf('c', END - 3 * DAY_MS, END));
    expect(threeDays.errors).toBeUndefined();
    // 120 hours, 72 of them rolled up by the request above.
    const fiveDays = await ask(costOf('c', END - 5 * DAY_MS, END));
    expect(fiveDays.errors).toBeUndefined();
    // Several aliases in one request share one budget: 2 × 60 new hours is over it.
    const two = await ask(`${costOf('a', END - 8 * DAY_MS, END - 5 * DAY_MS + HOUR_MS * 12)} ${costOf('b', END - 20 * DAY_MS, END - 17 * DAY_MS + HOUR_MS * 12)}`);
    expect(two.errors?.some((e) => e.extensions?.code === 'QUERY_TOO_EXPENSIVE')).toBe(true);
  });

  it("one organization's PromQL requests go one at a time; another organization's do not wait behind them", async () => {
    k.proxy.mode = { kind: 'delay', ms: 150 };
    try {
      k.proxy.maxInFlight = 0;
      // Partial hours only (asked on every request): several queries, never two at once.
      const fields = [0, 1, 2, 3].map((i) => costOf(`p${i}`, END - (i + 1) * HOUR_MS - 20 * 60_000, END - i * HOUR_MS - 40 * 60_000)).join(' ');
      const alone = await ask(fields);
      expect(alone.errors).toBeUndefined();
      expect(k.proxy.maxInFlight).toBe(1);

      k.proxy.maxInFlight = 0;
      const [mine, theirs] = await Promise.all([ask(fields), ask(costOf('x', END - 30 * 60_000, END - 10 * 60_000), otherCluster, otherOrg)]);
      expect(mine.errors).toBeUndefined();
      expect(theirs.errors).toBeUndefined();
      expect(k.proxy.maxInFlight).toBe(2);
    } finally {
      k.proxy.mode = { kind: 'forward' };
    }
  });

  it('a PromQL request the subgraph gives up on is abandoned at the store, which was told the same timeout', async () => {
    k.proxy.mode = { kind: 'delay', ms: 4000 };
    const abandoned = k.proxy.abandoned;
    const timeouts = k.proxy.timeouts.length;
    try {
      const answer = await ask(costOf('slow', END - 50 * 60_000, END - 20 * 60_000));
      expect(answer.errors?.[0].extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
      // The connection is closed at the timeout, not left open until the store answers (at 4 s).
      const deadline = Date.now() + 1000;
      while (k.proxy.abandoned === abandoned && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(k.proxy.abandoned).toBeGreaterThan(abandoned);
      expect(k.proxy.timeouts.slice(timeouts).every((t) => t === '2s')).toBe(true);
      // And told never to answer with part of the data (Thanos Query, when a store is down).
      expect(k.proxy.partialResponses.length).toBeGreaterThan(0);
      expect(k.proxy.partialResponses.every((p) => p === 'false')).toBe(true);
    } finally {
      k.proxy.mode = { kind: 'forward' };
    }
  });
});
