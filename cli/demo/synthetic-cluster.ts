import snappy from 'snappy';
import { basicAuth, postRemoteWrite, toTimeSeries } from '../../lib/remote-write/client';
import { encodeWriteRequest } from '../../lib/remote-write/codec';

/*
 * Synthetic Kubecost/OpenCost metric series for a cluster: what `costgraph demo` writes
 * through the ingest worker, and what the tests write to check the cost model (their
 * analytic counterpart, test/helpers/synthetic-cluster.ts, computes the cost these series
 * stand for without PromQL).
 *
 * Conventions (the analytic model and the generator share them):
 *
 * - The cluster's Prometheus scrapes on a fixed grid: every multiple of `intervalSeconds`
 *   since the epoch inside [startMs, endMs). (A real Prometheus scrapes on a fixed grid too,
 *   with a per-target phase; the phase does not matter to the cost model.)
 * - Every object (node, volume, load balancer, container, claim, egress flow) exists over a
 *   lifetime [fromMs, toMs) (defaulting to the cluster's [startMs, endMs)) and is scraped at
 *   every grid time inside it. A sample at t stands for [t, t + interval): an object that
 *   exists from `join` to `leave` (on the grid) is exactly covered by its samples.
 * - When a series ends (object gone, or cluster stopped), the next scrape writes a stale
 *   marker, exactly as Prometheus does when a series disappears from a target.
 * - A gap [fromMs, toMs) has no scrapes. With `staleMarkers` the scrapes *failed* and
 *   Prometheus wrote a stale marker for every series at the first failed scrape; without,
 *   the samples were simply lost (e.g. dropped in transit) and there are no markers.
 *
 * Analytic cost: price × quantity × time running inside the window [from, to), in hours,
 * where "running" is the object's lifetime ∩ the cluster's [startMs, endMs) ∩ [from, to)
 * minus gaps (no data, no charge). A container or claim is further clipped to the lifetime
 * of its node or volume and priced at that node's / volume's price. Network egress is the
 * counter's growth inside the window (counters keep counting during gaps) × the price of
 * its kind.
 */

export const GIB = 2 ** 30;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/**
 * Prometheus's stale marker: the NaN whose bits are 0x7ff0000000000002 (value.StaleNaN).
 * It must reach the wire bit-exact: V8 quiets NaNs stored in double arrays (a `[t, NaN]`
 * tuple becomes 0x7ff8000000000002, an ordinary NaN to Prometheus), so samples here are
 * always `{timestamp, value}` objects, and every encoded request is checked for its markers.
 */
export const STALE_NAN: number = (() => {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, 0x7ff00000);
  view.setUint32(4, 0x00000002);
  return view.getFloat64(0);
})();

export function isStaleMarker(value: number): boolean {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return view.getUint32(0) === 0x7ff00000 && view.getUint32(4) === 0x00000002;
}

/** Field 1 (double, wire type 1) holding STALE_NAN, little-endian, as it appears in a Sample. */
const STALE_SAMPLE_BYTES = Buffer.from([0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x7f]);

export type Labels = Record<string, string>;

export interface SyntheticSample {
  timestamp: number;
  value: number;
}

export interface SyntheticSeries {
  labels: Labels;
  samples: SyntheticSample[];
}

/** [fromMs, toMs); a missing end means the cluster's own start or end. */
export interface Lifetime {
  fromMs?: number;
  toMs?: number;
}

export interface SyntheticNode extends Lifetime {
  name: string;
  /** $ per core-hour */
  cpuPrice: number;
  /** $ per GiB-hour */
  ramPrice: number;
  /** $ per GPU-hour */
  gpuPrice?: number;
  gpuCount?: number;
  cores: number;
  memoryBytes: number;
  instanceType?: string;
  /** The cloud machine (`provider_id` label). @default `synthetic://<name>` */
  providerId?: string;
  /** kube-state-metrics capacity series; false imitates a cluster without them. @default true */
  capacityMetrics?: boolean;
}

export interface SyntheticVolume extends Lifetime {
  name: string;
  /** The cloud disk (`provider_id` label of pv_hourly_cost). @default the volume's name */
  providerId?: string;
  /** The CSI driver's volume handle: a kube_persistentvolume_info series when set. */
  csiHandle?: string;
  /** $ per GiB-hour */
  price: number;
  capacityBytes: number;
}

export interface SyntheticLoadBalancer extends Lifetime {
  namespace: string;
  service: string;
  ip: string;
  /** $ per hour */
  price: number;
}

export interface SyntheticContainer extends Lifetime {
  namespace: string;
  pod: string;
  container: string;
  node: string;
  /** container_cpu_allocation */
  cores: number;
  /** container_memory_allocation_bytes */
  memoryBytes: number;
  /** container_gpu_allocation */
  gpus?: number;
  /** kube_pod_container_resource_requests (cores, bytes); absent means no series. */
  requestCores?: number;
  requestMemoryBytes?: number;
  /** cAdvisor: container_cpu_usage_seconds_total grows at this many cores; absent means no series. */
  usageCores?: number;
  /** cAdvisor: container_memory_working_set_bytes. */
  usageMemoryBytes?: number;
}

export interface SyntheticClaim extends Lifetime {
  namespace: string;
  pod: string;
  claim: string;
  volume: string;
  /** pod_pvc_allocation */
  bytes: number;
}

export type EgressKind = 'internet' | 'region' | 'zone' | 'local';

export interface SyntheticEgressFlow extends Lifetime {
  namespace: string;
  pod: string;
  kind: EgressKind;
  /** The counter grows linearly at this rate while the flow exists. */
  bytesPerHour: number;
  /** Counter value at the flow's start (a long-running pod's counter is far from 0). @default 5e9 */
  initialBytes?: number;
}

export interface SyntheticGap {
  fromMs: number;
  toMs: number;
  /** Failed scrapes (stale markers at the first one) rather than lost samples. @default false */
  staleMarkers?: boolean;
}

/** A kube-state-metrics owner reference: what owns an object (`owner_kind`, `owner_name`). */
export interface SyntheticOwner extends Lifetime {
  namespace: string;
  /** The owned pod, ReplicaSet or Job. */
  object: string;
  kind: string;
  name: string;
}

/** Labels as written in Kubernetes (`app.kubernetes.io/name`); exported sanitised (`label_app_kubernetes_io_name`). */
export interface SyntheticLabels extends Lifetime {
  namespace: string;
  /** The pod; absent for the namespace's own labels. */
  pod?: string;
  labels: Record<string, string>;
}

/** kube-state-metrics' workload series: kube_pod_owner, kube_replicaset_owner, kube_job_owner, kube_pod_labels, kube_namespace_labels. */
export interface SyntheticWorkloads {
  podOwners?: SyntheticOwner[];
  replicaSetOwners?: SyntheticOwner[];
  jobOwners?: SyntheticOwner[];
  labels?: SyntheticLabels[];
}

export interface SyntheticCluster {
  tenantId: string;
  startMs: number;
  endMs: number;
  intervalSeconds: number;
  nodes: SyntheticNode[];
  volumes?: SyntheticVolume[];
  loadBalancers?: SyntheticLoadBalancer[];
  /** kubecost_cluster_management_cost, $ per hour; absent means no series. */
  managementFee?: number;
  /** kubecost_cluster_info's provider and cluster id. @default GCP, synthetic-<tenant id prefix> */
  info?: { provider: string; id: string };
  containers?: SyntheticContainer[];
  claims?: SyntheticClaim[];
  /** kubecost_pod_network_egress_bytes_total and the egress prices ($ per GiB); absent means no network metrics at all. */
  egress?: { prices: Record<Exclude<EgressKind, 'local'>, number>; flows: SyntheticEgressFlow[] };
  gaps?: SyntheticGap[];
  workloads?: SyntheticWorkloads;
  /**
   * When the counters (CPU seconds, egress bytes) started counting. A fixed origin makes a
   * counter's value a function of time alone, so two windows over the same history agree
   * wherever they overlap. @default each series' own start
   */
  counterOriginMs?: number;
}

// ---------------------------------------------------------------------------------------------
// Series

const EGRESS_LABELS: Record<EgressKind, { internet: string; same_region: string; same_zone: string }> = {
  internet: { internet: 'true', same_region: 'false', same_zone: 'false' },
  region: { internet: 'false', same_region: 'false', same_zone: 'false' },
  zone: { internet: 'false', same_region: 'true', same_zone: 'false' },
  local: { internet: 'false', same_region: 'true', same_zone: 'true' },
};

function span(cluster: SyntheticCluster, life: Lifetime = {}): [number, number] {
  return [Math.max(cluster.startMs, life.fromMs ?? cluster.startMs), Math.min(cluster.endMs, life.toMs ?? cluster.endMs)];
}

/** Samples of one series: a value at every scrape inside the lifetime, stale markers where the series ends. */
export function scrapeSamples(cluster: SyntheticCluster, life: Lifetime, valueAt: (t: number) => number, clip?: { fromMs: number; toMs: number }): SyntheticSample[] {
  const step = cluster.intervalSeconds * 1000;
  const [from, to] = span(cluster, life);
  const inGap = (t: number) => (cluster.gaps ?? []).find((g) => t >= g.fromMs && t < g.toMs);
  const samples: SyntheticSample[] = [];
  const first = Math.ceil(from / step) * step;
  // With a clip (a slice of a long backfill), start at the clip and rebuild whether the series
  // was present at the previous scrape, so slices concatenate to exactly the unclipped samples.
  let t = clip ? Math.max(first, Math.ceil(clip.fromMs / step) * step) : first;
  const end = clip ? Math.min(to, clip.toMs) : to;
  let present = t > first && t - step < to && !inGap(t - step);
  for (; t < end; t += step) {
    const gap = inGap(t);
    if (gap) {
      if (present && gap.staleMarkers) samples.push({ timestamp: t, value: STALE_NAN });
      present = false;
      continue;
    }
    samples.push({ timestamp: t, value: valueAt(t) });
    present = true;
  }
  // The first scrape after the series disappeared marks it stale.
  if (present && t >= to && (!clip || t < clip.toMs)) samples.push({ timestamp: t, value: STALE_NAN });
  return samples;
}

/** One series the cluster's Prometheus would hold: its labels, lifetime and value over time. */
export interface SeriesSpec {
  labels: Labels;
  life: Lifetime;
  valueAt: (t: number) => number;
}

/** Every series the cluster's Prometheus would hold, with `tenant_id` set as Thanos Receive would. */
export function clusterSeries(cluster: SyntheticCluster): SyntheticSeries[] {
  return clusterSeriesSlice(cluster, cluster.startMs, cluster.endMs + cluster.intervalSeconds * 1000);
}

/**
 * The cluster's series restricted to samples in [fromMs, toMs): consecutive slices hold exactly
 * the samples of clusterSeries, so a long history can be generated and written piece by piece.
 */
export function clusterSeriesSlice(cluster: SyntheticCluster, fromMs: number, toMs: number, specs = clusterSeriesSpecs(cluster)): SyntheticSeries[] {
  const series: SyntheticSeries[] = [];
  for (const spec of specs) {
    const samples = scrapeSamples(cluster, spec.life, spec.valueAt, { fromMs, toMs });
    if (samples.length > 0) series.push({ labels: spec.labels, samples });
  }
  return series;
}

/** The specs behind clusterSeries (labels include `__name__` and `tenant_id`). */
export function clusterSeriesSpecs(cluster: SyntheticCluster): SeriesSpec[] {
  const series: SeriesSpec[] = [];
  const add = (name: string, labels: Labels, life: Lifetime, valueAt: number | ((t: number) => number)) => {
    const fn = typeof valueAt === 'number' ? () => valueAt : valueAt;
    series.push({ labels: { __name__: name, ...labels, tenant_id: cluster.tenantId }, life, valueAt: fn });
  };

  const info = cluster.info ?? { provider: 'GCP', id: `synthetic-${cluster.tenantId.slice(0, 8)}` };
  add('kubecost_cluster_info', { id: info.id, provider: info.provider, region: 'us-central1' }, {}, 1);
  for (const node of cluster.nodes) {
    const nodeLabels = {
      arch: 'amd64',
      instance: node.name,
      instance_type: node.instanceType ?? 'synthetic-standard',
      node: node.name,
      provider_id: node.providerId ?? `synthetic://${node.name}`,
      region: 'us-central1',
    };
    const total = node.cpuPrice * node.cores + (node.ramPrice * node.memoryBytes) / GIB + (node.gpuPrice ?? 0) * (node.gpuCount ?? 0);
    add('node_cpu_hourly_cost', nodeLabels, node, node.cpuPrice);
    add('node_ram_hourly_cost', nodeLabels, node, node.ramPrice);
    add('node_gpu_hourly_cost', nodeLabels, node, node.gpuPrice ?? 0);
    add('node_gpu_count', nodeLabels, node, node.gpuCount ?? 0);
    add('node_total_hourly_cost', nodeLabels, node, total);
    add('kubecost_node_is_spot', nodeLabels, node, 0);
    if (node.capacityMetrics !== false) {
      add('kube_node_status_capacity_cpu_cores', { node: node.name }, node, node.cores);
      add('kube_node_status_capacity_memory_bytes', { node: node.name }, node, node.memoryBytes);
    }
  }
  for (const volume of cluster.volumes ?? []) {
    add('pv_hourly_cost', { persistentvolume: volume.name, provider_id: volume.providerId ?? volume.name, volumename: volume.name }, volume, volume.price);
    add('kube_persistentvolume_capacity_bytes', { persistentvolume: volume.name }, volume, volume.capacityBytes);
    if (volume.csiHandle) add('kube_persistentvolume_info', { persistentvolume: volume.name, storageclass: 'standard', csi_driver: 'pd.csi.storage.gke.io', csi_volume_handle: volume.csiHandle }, volume, 1);
  }
  for (const lb of cluster.loadBalancers ?? []) {
    add('kubecost_load_balancer_cost', { ingress_ip: lb.ip, namespace: lb.namespace, service_name: lb.service }, lb, lb.price);
  }
  if (cluster.managementFee !== undefined) add('kubecost_cluster_management_cost', { provisioner_name: 'GKE' }, {}, cluster.managementFee);
  for (const c of cluster.containers ?? []) {
    const labels = { container: c.container, instance: c.node, namespace: c.namespace, node: c.node, pod: c.pod };
    add('container_cpu_allocation', labels, c, c.cores);
    add('container_memory_allocation_bytes', labels, c, c.memoryBytes);
    if (c.gpus !== undefined) add('container_gpu_allocation', labels, c, c.gpus);
    const ksm = { container: c.container, namespace: c.namespace, node: c.node, pod: c.pod, uid: `uid-${c.pod}` };
    if (c.requestCores !== undefined) add('kube_pod_container_resource_requests', { ...ksm, resource: 'cpu', unit: 'core' }, c, c.requestCores);
    if (c.requestMemoryBytes !== undefined) add('kube_pod_container_resource_requests', { ...ksm, resource: 'memory', unit: 'byte' }, c, c.requestMemoryBytes);
    const cadvisor = { container: c.container, instance: c.node, namespace: c.namespace, pod: c.pod };
    if (c.usageCores !== undefined) {
      const start = cluster.counterOriginMs ?? span(cluster, c)[0];
      const cores = c.usageCores;
      add('container_cpu_usage_seconds_total', cadvisor, c, (t) => 1000 + (cores * (t - start)) / 1000);
    }
    if (c.usageMemoryBytes !== undefined) add('container_memory_working_set_bytes', cadvisor, c, c.usageMemoryBytes);
  }
  for (const claim of cluster.claims ?? []) {
    add('pod_pvc_allocation', { namespace: claim.namespace, persistentvolume: claim.volume, persistentvolumeclaim: claim.claim, pod: claim.pod }, claim, claim.bytes);
  }
  const owned = (o: SyntheticOwner, object: Labels) => ({ namespace: o.namespace, ...object, owner_kind: o.kind, owner_name: o.name, owner_is_controller: 'true' });
  for (const o of cluster.workloads?.podOwners ?? []) add('kube_pod_owner', owned(o, { pod: o.object, uid: `uid-${o.object}` }), o, 1);
  for (const o of cluster.workloads?.replicaSetOwners ?? []) add('kube_replicaset_owner', owned(o, { replicaset: o.object }), o, 1);
  for (const o of cluster.workloads?.jobOwners ?? []) add('kube_job_owner', owned(o, { job_name: o.object }), o, 1);
  for (const l of cluster.workloads?.labels ?? []) {
    const sanitised = Object.fromEntries(Object.entries(l.labels).map(([key, value]) => [`label_${key.replace(/[^a-zA-Z0-9_]/g, '_')}`, value]));
    if (l.pod === undefined) add('kube_namespace_labels', { namespace: l.namespace, ...sanitised }, l, 1);
    else add('kube_pod_labels', { namespace: l.namespace, pod: l.pod, uid: `uid-${l.pod}`, ...sanitised }, l, 1);
  }
  if (cluster.egress) {
    for (const [kind, price] of Object.entries(cluster.egress.prices)) add(`kubecost_network_${kind}_egress_cost`, {}, {}, price);
    for (const flow of cluster.egress.flows) {
      const start = cluster.counterOriginMs ?? span(cluster, flow)[0];
      const initial = flow.initialBytes ?? 5e9;
      add(
        'kubecost_pod_network_egress_bytes_total',
        { namespace: flow.namespace, pod_name: flow.pod, service: '', ...EGRESS_LABELS[flow.kind] },
        flow,
        (t) => initial + (flow.bytesPerHour * (t - start)) / HOUR_MS,
      );
    }
  }
  return series;
}

/** The newest real (non-stale) sample in [fromMs, toMs) among series named `names`, or null. */
export function lastSampleTime(series: readonly SyntheticSeries[], fromMs: number, toMs: number, names?: readonly string[]): number | null {
  let last: number | null = null;
  for (const s of series) {
    if (names && !names.includes(s.labels.__name__)) continue;
    for (const sample of s.samples) {
      if (sample.timestamp >= fromMs && sample.timestamp < toMs && !isStaleMarker(sample.value) && (last === null || sample.timestamp > last)) last = sample.timestamp;
    }
  }
  return last;
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Encodes series as a snappy WriteRequest body (labels sorted), checking the stale markers survived. */
export function encodeSeries(series: readonly SyntheticSeries[]): Buffer {
  let staleExpected = 0;
  for (const s of series) for (const sample of s.samples) if (isStaleMarker(sample.value)) staleExpected++;
  const timeseries = toTimeSeries(series);
  const raw = Buffer.from(encodeWriteRequest(timeseries));
  let staleFound = 0;
  for (let at = raw.indexOf(STALE_SAMPLE_BYTES); at !== -1; at = raw.indexOf(STALE_SAMPLE_BYTES, at + 1)) staleFound++;
  if (staleFound !== staleExpected) throw new Error(`stale markers lost in encoding: ${staleFound} of ${staleExpected} on the wire`);
  return snappy.compressSync(raw);
}

export interface WriteStats {
  requests: number;
  samples: number;
}

/**
 * Remote-writes series to a Prometheus/Thanos receiver or the ingest worker (`<url>/api/v1/write`,
 * with `headers` for its credential) in requests of
 * at most `maxSamplesPerRequest` samples. Requests go out in time order across all series, as
 * a live remote-write queue would send them, so the store appends in order: backfilled
 * (out-of-order) data stays in Prometheus's head uncompacted and makes queries much slower.
 */
export async function writeSeries(
  url: string,
  series: readonly SyntheticSeries[],
  options: { maxSamplesPerRequest?: number; concurrency?: number; headers?: Record<string, string> } = {},
): Promise<WriteStats> {
  const max = options.maxSamplesPerRequest ?? 5000;
  const requests: SyntheticSeries[][] = [];
  let current = new Map<number, SyntheticSeries>();
  let count = 0;
  const cursors = series.map(() => 0);
  let remaining = series.reduce((n, s) => n + s.samples.length, 0);
  const total = remaining;
  let sliceEnd = Math.min(...series.filter((s) => s.samples.length > 0).map((s) => s.samples[0].timestamp)) + MINUTE_MS;
  while (remaining > 0) {
    for (let j = 0; j < series.length; j++) {
      const samples = series[j].samples;
      while (cursors[j] < samples.length && samples[cursors[j]].timestamp < sliceEnd) {
        if (count === max) {
          requests.push([...current.values()]);
          current = new Map();
          count = 0;
        }
        let piece = current.get(j);
        if (!piece) {
          piece = { labels: series[j].labels, samples: [] };
          current.set(j, piece);
        }
        piece.samples.push(samples[cursors[j]++]);
        count++;
        remaining--;
      }
    }
    sliceEnd += MINUTE_MS;
  }
  if (count > 0) requests.push([...current.values()]);

  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const batch = requests[next++];
      const body = encodeSeries(batch);
      await postRemoteWrite(`${url}/api/v1/write`, body, { headers: options.headers });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, worker));
  return { requests: requests.length, samples: total };
}

export { basicAuth };

/** A cluster to write, with the headers (its credential) its requests carry. */
export interface ClusterWrite {
  cluster: SyntheticCluster;
  headers?: Record<string, string>;
}

/**
 * Writes clusters side by side, each with its own `headers` (credential), 45 minutes of every
 * cluster at a time; the number of samples written per cluster. Prometheus appends a sample in
 * order only when it is at most an hour older than the newest sample it holds of any series;
 * older ones go to its out-of-order store, whose reads 2.42 can get wrong while it compacts
 * (REFERENCE.md). Written one cluster after the other, every cluster but the first would land
 * there. `live` clusters are still running: no stale marker ends their series.
 */
export async function writeClusters(
  url: string,
  clusters: readonly ClusterWrite[],
  options: { live?: boolean; sliceMs?: number } = {},
): Promise<number[]> {
  const sliceMs = options.sliceMs ?? 45 * MINUTE_MS;
  // Past the end, one more interval holds the stale markers (as in clusterSeries).
  const endOf = (cluster: SyntheticCluster) => cluster.endMs + (options.live ? 0 : cluster.intervalSeconds * 1000);
  const specs = clusters.map(({ cluster }) => clusterSeriesSpecs(cluster));
  const samples = clusters.map(() => 0);
  const from = Math.min(...clusters.map(({ cluster }) => cluster.startMs));
  const to = Math.max(...clusters.map(({ cluster }) => endOf(cluster)));
  for (let sliceStart = from; sliceStart < to; sliceStart += sliceMs) {
    await Promise.all(
      clusters.map(async ({ cluster, headers }, i) => {
        const series = clusterSeriesSlice(cluster, sliceStart, Math.min(sliceStart + sliceMs, endOf(cluster)), specs[i]);
        if (series.length > 0) samples[i] += (await writeSeries(url, series, { headers })).samples;
      }),
    );
  }
  return samples;
}
