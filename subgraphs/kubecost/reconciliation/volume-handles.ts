import type { Queryable } from '../../../lib/db/database';
import { keyString } from '../../../lib/reconciliation/resource-key';
import { clusterResourceKey } from '../../../lib/reconciliation/resource-keys';
import { tenantSelector } from '../promql/matchers';
import type { Promql } from '../promql/thanos-client';

/*
 * A volume whose `provider_id` names no disk (GKE reports the claim's volume name there) is
 * matched by its CSI volume handle instead, which kube-state-metrics exports on
 * `kube_persistentvolume_info{csi_volume_handle}`: learned once, kept on the asset.
 */

/** Volumes looked for and not found, by cluster and name: asked again after an hour. */
const TRIED_TTL_MS = 3_600_000;

export class VolumeHandles {
  private readonly tried = new Map<string, number>();
  /**
   * Learning runs one call at a time: a call must not see a volume as tried while the handle
   * another call found for it is still being written, or it would match without it.
   */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly db: Queryable) {}

  /** Gives the volumes of `ids` present in [fromMs, toMs) without a resource key the one their handle names. */
  learn(client: Promql, ids: readonly string[], fromMs: number, toMs: number, nowMs = Date.now()): Promise<void> {
    const run = this.queue.then(() => this.learnNow(client, ids, fromMs, toMs, nowMs));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async learnNow(client: Promql, ids: readonly string[], fromMs: number, toMs: number, nowMs: number): Promise<void> {
    if (ids.length === 0) return;
    const unkeyed = await this.db.query<{ cloud_account_id: string; name: string }>(
      `SELECT cloud_account_id, name FROM kubecost_assets
        WHERE cloud_account_id = ANY($1::uuid[]) AND kind = 'volume' AND resource_key IS NULL AND first_hour < $3 AND last_hour >= $2`,
      [ids, new Date(fromMs - 3_600_000), new Date(toMs)],
    );
    const wanted = unkeyed.filter((v) => (this.tried.get(`${v.cloud_account_id}|${v.name}`) ?? 0) < nowMs - TRIED_TTL_MS);
    if (wanted.length === 0) return;
    const tenants = [...new Set(wanted.map((v) => v.cloud_account_id))];
    const end = Math.min(toMs, Math.floor(nowMs / 60_000) * 60_000);
    const seconds = Math.max(60, Math.ceil((end - fromMs) / 1000));
    const points = await client.instant(
      `max by (tenant_id, persistentvolume, csi_volume_handle) (last_over_time(kube_persistentvolume_info{${tenantSelector(tenants)}, csi_volume_handle!=""}[${seconds}s]))`,
      end - 1,
    );
    const keys = new Map<string, string>();
    for (const point of points) {
      const key = clusterResourceKey(point.labels.csi_volume_handle ?? '');
      if (key) keys.set(`${point.labels.tenant_id}|${point.labels.persistentvolume}`, keyString(key));
    }
    if (this.tried.size > 100_000) this.tried.clear();
    for (const v of wanted) this.tried.set(`${v.cloud_account_id}|${v.name}`, nowMs);
    const found = wanted.filter((v) => keys.has(`${v.cloud_account_id}|${v.name}`));
    if (found.length === 0) return;
    await this.db.query(
      `UPDATE kubecost_assets a SET resource_key = u.resource_key
         FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u (cloud_account_id, name, resource_key)
        WHERE a.cloud_account_id = u.cloud_account_id AND a.kind = 'volume' AND a.name = u.name AND a.resource_key IS NULL`,
      [found.map((v) => v.cloud_account_id), found.map((v) => v.name), found.map((v) => keys.get(`${v.cloud_account_id}|${v.name}`))],
    );
  }
}
