import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCloudAccount, createOrganization } from '../../lib/accounts/repository';
import { loadCommonConfig } from '../../lib/config/common';
import { silentLogger } from '../../lib/log';
import { startLocalPrometheus, type LocalPrometheus } from '../../cli/local/local-prometheus';
import { loadKubecostConfig } from '../../subgraphs/kubecost/config';
import type { RunningService } from '../../lib/http/listen';
import { startKubecostSubgraph } from '../../subgraphs/kubecost/start';
import { createPgliteDatabase, type TestDatabase } from '../helpers/databases';
import { callSubgraph } from '../helpers/subgraph-client';
import { analyticClusterCosts, clusterSeries, DAY_MS, GIB, HOUR_MS, writeSeries, type SyntheticCluster } from '../helpers/synthetic-cluster';

/*
 * Data written before the ingest worker dropped non-finite prices: one node whose CPU price
 * holds a +Inf or NaN sample, beside healthy nodes. That series is left out of its category
 * for the hour that holds the bad sample (instead of turning the category, and the total, into
 * 0; a range costs the sum of its hours) and the answer says so.
 */

const SECRET = crypto.randomBytes(32).toString('hex');
const D0 = Math.floor((Date.now() - 3 * HOUR_MS) / DAY_MS) * DAY_MS - DAY_MS;
const DAY = { from: new Date(D0).toISOString(), to: new Date(D0 + DAY_MS).toISOString() };
const BEFORE_BAD_SAMPLE = { from: new Date(D0).toISOString(), to: new Date(D0 + 6 * HOUR_MS).toISOString() };
const BAD_AT = D0 + 10 * HOUR_MS;

const QUERY = `query($reps: [_Any!]!, $range: DateRangeInput!) { _entities(representations: $reps) {
  ... on CloudAccount { kubernetesCost(range: $range) { totalCost hasData warnings breakdown { cpu ram gpu persistentVolumes loadBalancers clusterManagement } } } } }`;

interface Answer {
  totalCost: number;
  hasData: boolean;
  warnings: string[];
  breakdown: Record<'cpu' | 'ram' | 'gpu' | 'persistentVolumes' | 'loadBalancers' | 'clusterManagement', number>;
}

function cluster(tenantId: string): SyntheticCluster {
  return {
    tenantId,
    startMs: D0 - HOUR_MS,
    endMs: D0 + DAY_MS + HOUR_MS,
    intervalSeconds: 60,
    nodes: [
      { name: 'good-1', cpuPrice: 0.031611, ramPrice: 0.004237, cores: 16, memoryBytes: 64 * GIB },
      { name: 'good-2', cpuPrice: 0.021811, ramPrice: 0.002923, cores: 8, memoryBytes: 32 * GIB },
      { name: 'bad', cpuPrice: 0.0319, ramPrice: 0.0043, cores: 12, memoryBytes: 85 * GIB },
    ],
    volumes: [{ name: 'pv', price: 0.000233, capacityBytes: 100 * GIB }],
    managementFee: 0.1,
  };
}

describe('Kubecost costs with a non-finite price in the store', () => {
  let dir: string;
  let store: LocalPrometheus;
  let t: TestDatabase;
  let subgraph: RunningService;
  let org: string;
  const clusters: Array<{ id: string; bad: number; definition: SyntheticCluster }> = [];

  const ask = async (id: string, range: { from: string; to: string }) => {
    const res = await callSubgraph<{ _entities: Array<{ kubernetesCost: Answer }> }>(subgraph.url, QUERY, { reps: [{ __typename: 'CloudAccount', id }], range }, { secret: SECRET, organizationIds: [org] });
    expect(res.errors).toBeUndefined();
    return res.data!._entities[0].kubernetesCost;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-nonfinite-'));
    store = await startLocalPrometheus({ dataDir: dir, port: 0 });
    t = await createPgliteDatabase();
    org = (await createOrganization(t.db, 'org')).id;
    for (const [i, bad] of [Infinity, NaN, -Infinity].entries()) {
      const id = (await createCloudAccount(t.db, { organizationId: org, name: `c-${i}`, type: 'kubernetes' })).id;
      clusters.push({ id, bad, definition: cluster(id) });
    }
    const series = clusters.flatMap(({ bad, definition }) =>
      clusterSeries(definition).map((s) =>
        s.labels.__name__ === 'node_cpu_hourly_cost' && s.labels.node === 'bad'
          ? { ...s, samples: s.samples.map((x) => (x.timestamp === BAD_AT ? { timestamp: x.timestamp, value: bad } : x)) }
          : s,
      ),
    );
    await writeSeries(store.url, series, { maxSamplesPerRequest: 20000 });
    await store.settled();
    const config = { ...loadKubecostConfig({ DATA_DIR: dir, INTERNAL_AUTH_SECRET: SECRET, THANOS_QUERY_URL: store.url, KUBECOST_PORT: '0', KUBECOST_INTERNAL_PORT: '0' }), common: loadCommonConfig({ DATA_DIR: dir }) };
    subgraph = await startKubecostSubgraph({ config, db: t.db, logger: silentLogger });
  }, 120_000);

  afterAll(async () => {
    await subgraph?.close();
    await store?.stop();
    await t?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['+Inf', 0],
    ['NaN', 1],
    ['-Inf', 2],
  ])('a %s CPU price leaves that node out of cpu only, and says so', async (_name, index) => {
    const { id, definition } = clusters[index];
    const answer = await ask(id, DAY);
    const all = analyticClusterCosts(definition, D0, D0 + DAY_MS);
    const badHour = Math.floor(BAD_AT / HOUR_MS) * HOUR_MS;
    const leftOut = analyticClusterCosts({ ...definition, nodes: definition.nodes.filter((n) => n.name === 'bad') }, badHour, badHour + HOUR_MS);
    expect(leftOut.cpu).toBeGreaterThan(0);
    expect(answer.hasData).toBe(true);
    expect(answer.breakdown.cpu).toBeCloseTo(all.cpu - leftOut.cpu, 6);
    // Its RAM price is fine: RAM keeps the node.
    expect(answer.breakdown.ram).toBeCloseTo(all.ram, 6);
    expect(answer.breakdown.persistentVolumes).toBeCloseTo(all.persistentVolumes, 6);
    expect(answer.breakdown.clusterManagement).toBeCloseTo(all.clusterManagement, 6);
    expect(answer.totalCost).toBeCloseTo(all.cpu - leftOut.cpu + all.ram + all.persistentVolumes + all.clusterManagement, 6);
    expect(answer.warnings).toEqual([expect.stringMatching(/^cpu: 1 node left out.*NaN or infinite/)]);
  });

  it('a range that does not hold the bad sample has no warning and charges every node', async () => {
    const { id, definition } = clusters[0];
    const answer = await ask(id, BEFORE_BAD_SAMPLE);
    expect(answer.warnings).toEqual([]);
    expect(answer.breakdown.cpu).toBeCloseTo(analyticClusterCosts(definition, D0, D0 + 6 * HOUR_MS).cpu, 6);
  });
});
