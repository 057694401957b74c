import { clusterKey } from '../../../lib/reconciliation/bill-links';
import type { CloudProvider } from '../../../lib/reconciliation/resource-key';
import { tenantSelector } from '../promql/matchers';
import type { Promql } from '../promql/thanos-client';

/*
 * How the bill names a cluster's own resource (its managed control plane, and the tag it puts on
 * what it creates), learned from the cluster's `kubecost_cluster_info`: its provider (`provider`
 * or `provisioner`: AWS/EKS, Azure/AKS, GCP/GKE, Oracle/OKE) and its name (`name`, `id`,
 * `cluster_id`, `cluster_name`: Kubecost's cluster id, which installs set to the cluster's name).
 */

const NAME_LABELS = ['name', 'id', 'cluster_id', 'cluster_name'];

export function providerOf(text: string): CloudProvider | null {
  const lower = text.toLowerCase();
  if (/\b(aws|eks|amazon)\b/.test(lower)) return 'aws';
  if (/\b(azure|aks)\b/.test(lower)) return 'azure';
  if (/\b(gcp|gke|google)\b/.test(lower)) return 'gcp';
  if (/\b(oracle|oci|oke)\b/.test(lower)) return 'oracle';
  return null;
}

/** The keys of each cluster's own resource, from its info labels: every name it goes by. */
export function clusterKeysFromInfo(labels: Readonly<Record<string, string>>): string[] {
  const provider = providerOf(labels.provider ?? '') ?? providerOf(labels.provisioner ?? '');
  if (!provider) return [];
  const names = new Set(NAME_LABELS.map((label) => labels[label]?.trim() ?? '').filter((name) => name !== ''));
  return [...names].map((name) => clusterKey(provider, name));
}

/** The keys of clusters `ids`, from their info series over [from, to) (one instant query for all). */
export async function learnClusterKeys(client: Promql, ids: readonly string[], fromMs: number, toMs: number, nowMs = Date.now()): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return result;
  // The end floored to the minute, as elsewhere: repeats of an open range hit the result cache.
  const end = Math.min(toMs, Math.floor(nowMs / 60_000) * 60_000);
  const seconds = Math.max(60, Math.ceil((end - fromMs) / 1000));
  const points = await client.instant(`last_over_time(kubecost_cluster_info{${tenantSelector(ids)}}[${seconds}s])`, end - 1);
  for (const point of points) {
    const keys = result.get(point.labels.tenant_id);
    if (!keys) continue;
    for (const key of clusterKeysFromInfo(point.labels)) if (!keys.includes(key)) keys.push(key);
  }
  return result;
}
