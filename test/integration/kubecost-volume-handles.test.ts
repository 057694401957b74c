import { createKubernetesCluster } from '../../lib/accounts/kubernetes-clusters';
import { createOrganization } from '../../lib/accounts/repository';
import { VolumeHandles } from '../../subgraphs/kubecost/reconciliation/volume-handles';
import type { Promql } from '../../subgraphs/kubecost/promql/thanos-client';
import { databaseBackends, type TestDatabase } from '../helpers/databases';

/*
 * Learning volume handles when two matches run at once (one query reaches the kubecost
 * subgraph for the summary and for the clusters together). Prometheus is a fake here, for its
 * timing only: it answers after a delay, so both calls are under way together.
 */

const HOUR = 3_600_000;
const FROM = Math.floor(Date.now() / HOUR) * HOUR - 48 * HOUR;
const HANDLE = 'projects/project/zones/us-central1-a/disks/pvc-g';

describe.each(databaseBackends())('volume handles learned concurrently ($name)', (backend) => {
  let t: TestDatabase;
  let clusterId = '';

  beforeAll(async () => {
    t = await backend.create();
    const org = await createOrganization(t.db, 'Volumes');
    clusterId = (await createKubernetesCluster(t.db, org.id, 'gke', 'http://127.0.0.1/api/v1/write')).cloudAccount.id;
    await t.db.query(
      `INSERT INTO kubecost_assets (cloud_account_id, kind, name, provider_id, first_hour, last_hour) VALUES ($1, 'volume', 'pvc-g', 'pvc-g', $2, $3)`,
      [clusterId, new Date(FROM), new Date(FROM + 23 * HOUR)],
    );
  });

  afterAll(async () => {
    await t?.drop();
  });

  it('asks Prometheus once, and a call never returns before the handle another call found is kept', async () => {
    const asked: string[] = [];
    const slow: Promql = {
      async instant(query) {
        asked.push(query);
        await new Promise((resolve) => setTimeout(resolve, 50));
        return [{ labels: { tenant_id: clusterId, persistentvolume: 'pvc-g', csi_volume_handle: HANDLE }, value: 1 }];
      },
      range: () => Promise.reject(new Error('not used')),
    };
    const handles = new VolumeHandles(t.db);
    const keyAfter = async (learning: Promise<void>) => {
      await learning;
      const [row] = await t.db.query<{ resource_key: string | null }>(`SELECT resource_key FROM kubecost_assets WHERE cloud_account_id = $1 AND name = 'pvc-g'`, [clusterId]);
      return row.resource_key;
    };
    const first = handles.learn(slow, [clusterId], FROM, FROM + 24 * HOUR);
    const second = handles.learn(slow, [clusterId], FROM, FROM + 12 * HOUR);
    const keys = await Promise.all([keyAfter(second), keyAfter(first)]);
    expect(keys[0]).toContain('pvc-g');
    expect(keys[1]).toBe(keys[0]);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('csi_volume_handle');
  });

  it('goes on learning after a call that failed', async () => {
    await t.db.query(`UPDATE kubecost_assets SET resource_key = NULL WHERE cloud_account_id = $1`, [clusterId]);
    const failing: Promql = { instant: () => Promise.reject(new Error('store down')), range: () => Promise.reject(new Error('not used')) };
    const handles = new VolumeHandles(t.db);
    await expect(handles.learn(failing, [clusterId], FROM, FROM + 24 * HOUR)).rejects.toThrow('store down');
    const answering: Promql = {
      instant: async () => [{ labels: { tenant_id: clusterId, persistentvolume: 'pvc-g', csi_volume_handle: HANDLE }, value: 1 }],
      range: () => Promise.reject(new Error('not used')),
    };
    await handles.learn(answering, [clusterId], FROM, FROM + 24 * HOUR);
    const [row] = await t.db.query<{ resource_key: string | null }>(`SELECT resource_key FROM kubecost_assets WHERE cloud_account_id = $1`, [clusterId]);
    expect(row.resource_key).toContain('pvc-g');
  });
});
