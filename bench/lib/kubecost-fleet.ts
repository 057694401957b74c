import http from 'node:http';
import snappy from 'snappy';
import { encodeWriteRequest } from '../../lib/remote-write/codec';
import type { TimeSeries } from '../../lib/remote-write/write-request';
import {
  clusterSeriesSlice,
  clusterSeriesSpecs,
  GIB,
  HOUR_MS,
  type SeriesSpec,
  type SyntheticCluster,
  type SyntheticSeries,
} from '../../cli/demo/synthetic-cluster';
import { postWrite, REMOTE_WRITE_HEADERS } from './http';
import { seededRandom } from '../../dev/seeded-random';

/*
 * The benchmark's fleet: realistic, deterministic clusters (the accuracy suite's synthetic
 * model) and a streaming backfill that writes their whole history through remote write in
 * time order, a slice at a time, so memory stays flat however long the history is.
 */

/**
 * One cluster of the fleet: 2–5 nodes (some joining or leaving mid-history, some with GPUs),
 * volumes, a load balancer, a management fee, containers and claims in a few namespaces, and
 * egress metrics on every other cluster (the rest have none, so network is null for them).
 */
export function fleetCluster(tenantId: string, index: number, startMs: number, endMs: number, intervalSeconds: 60 | 300): SyntheticCluster {
  const rng = seededRandom(index + 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
  const grid = (t: number) => Math.round(t / (intervalSeconds * 1000)) * intervalSeconds * 1000;
  const length = endMs - startMs;
  const nodes = Array.from({ length: 2 + Math.floor(rng() * 4) }, (_, n) => ({
    name: `node-${n}`,
    cpuPrice: 0.01 + rng() * 0.04,
    ramPrice: 0.001 + rng() * 0.005,
    cores: pick([4, 8, 16, 32]),
    memoryBytes: pick([16, 32, 64, 128]) * GIB,
    ...(rng() < 0.2 ? { gpuPrice: 2.48, gpuCount: pick([1, 2, 4]) } : {}),
    ...(n > 1 && rng() < 0.3 ? { fromMs: grid(startMs + rng() * length * 0.5) } : {}),
    ...(n > 1 && rng() < 0.3 ? { toMs: grid(startMs + length * (0.6 + rng() * 0.3)) } : {}),
  }));
  const namespaces = ['web', 'api', 'db', 'batch'];
  const containers = Array.from({ length: 6 }, (_, c) => {
    const node = nodes[c % 2];
    return { namespace: namespaces[c % namespaces.length], pod: `pod-${c}`, container: 'app', node: node.name, cores: node.cores / 8, memoryBytes: node.memoryBytes / 8 };
  });
  return {
    tenantId,
    startMs,
    endMs,
    intervalSeconds,
    nodes,
    volumes: [
      { name: 'pv-data', price: 0.00014, capacityBytes: pick([100, 500, 1000]) * GIB },
      { name: 'pv-orphan', price: 0.00011, capacityBytes: 50 * GIB },
    ],
    loadBalancers: [{ namespace: 'web', service: 'ingress', ip: `10.0.${index % 250}.1`, price: 0.025 }],
    managementFee: 0.1,
    containers,
    claims: [{ namespace: 'db', pod: 'pod-2', claim: 'data', volume: 'pv-data', bytes: 100 * GIB }],
    ...(index % 2 === 0
      ? {
          egress: {
            prices: { internet: 0.12, region: 0.01, zone: 0.01 },
            flows: [
              { namespace: 'web', pod: 'pod-0', kind: 'internet' as const, bytesPerHour: 0.5 * GIB },
              { namespace: 'db', pod: 'pod-2', kind: 'zone' as const, bytesPerHour: 2 * GIB },
            ],
          },
        }
      : {}),
  };
}

export interface BackfillOptions {
  /** Time slice written per round (every series' samples inside it). @default 2h */
  sliceMs?: number;
  /** Samples per remote-write request. @default 20000 */
  samplesPerRequest?: number;
  /** Requests in flight. @default 4 */
  concurrency?: number;
  onProgress?: (doneMs: number, samples: number) => void;
}

/** Encodes series as a snappy WriteRequest (labels sorted). */
function encode(series: readonly SyntheticSeries[]): Buffer {
  const timeseries: TimeSeries[] = series.map((s) => ({
    labels: Object.entries(s.labels)
      .map(([name, value]) => ({ name, value }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    samples: s.samples,
  }));
  return snappy.compressSync(Buffer.from(encodeWriteRequest(timeseries)));
}

/**
 * Writes the clusters' history [fromMs, toMs) to `<url>/api/v1/write`, slice by slice in time
 * order, `concurrency` requests in flight. Slices go out in order, so nearly every sample is an
 * in-order append (only the few in flight together can land out of order, which the store's
 * out-of-order window absorbs); Prometheus compacts the head behind the writes as it goes,
 * instead of keeping a month of out-of-order data in memory (REFERENCE.md §2).
 */
export async function backfill(url: string, clusters: readonly SyntheticCluster[], fromMs: number, toMs: number, options: BackfillOptions = {}): Promise<{ samples: number; requests: number }> {
  const sliceMs = options.sliceMs ?? 2 * HOUR_MS;
  const perRequest = options.samplesPerRequest ?? 20_000;
  const specs: Array<[SyntheticCluster, SeriesSpec[]]> = clusters.map((c) => [c, clusterSeriesSpecs(c)]);
  const target = new URL(`${url}/api/v1/write`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency ?? 4 });
  let samples = 0;
  let requests = 0;

  // Bodies are produced lazily, one slice at a time, while earlier ones are being sent.
  function* bodies(): Generator<Buffer> {
    for (let slice = fromMs; slice < toMs; slice += sliceMs) {
      let batch: SyntheticSeries[] = [];
      let count = 0;
      for (const [cluster, clusterSpecs] of specs) {
        for (const series of clusterSeriesSlice(cluster, slice, Math.min(toMs, slice + sliceMs), clusterSpecs)) {
          batch.push(series);
          count += series.samples.length;
          if (count >= perRequest) {
            samples += count;
            yield encode(batch);
            batch = [];
            count = 0;
          }
        }
      }
      if (batch.length > 0) {
        samples += count;
        yield encode(batch);
      }
      options.onProgress?.(Math.min(toMs, slice + sliceMs), samples);
    }
  }

  const source = bodies();
  const worker = async () => {
    for (let next = source.next(); !next.done; next = source.next()) {
      requests++;
      for (let attempt = 0; ; attempt++) {
        const outcome = await postWrite(agent, target, REMOTE_WRITE_HEADERS, next.value);
        if ('status' in outcome && outcome.status === 204) break;
        // Like a real sender: retry 5xx and socket errors with backoff, give up on 4xx.
        const detail = 'status' in outcome ? `${outcome.status} ${outcome.message}` : outcome.error;
        if (('status' in outcome && outcome.status < 500) || attempt >= 5) throw new Error(`remote write failed: ${detail}`);
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  } finally {
    agent.destroy();
  }
  return { samples, requests };
}

/**
 * One fleet cluster's history as its Prometheus would have kept it: scraped every 5 minutes
 * over [startMs, cutMs) and every minute over [cutMs, endMs) (the same nodes, volumes and
 * workloads; counters keep counting across the change). Both phases are live: no stale marker
 * at their ends.
 */
export function fleetHistory(tenantId: string, index: number, startMs: number, cutMs: number, endMs: number): { coarse: SyntheticCluster; fine: SyntheticCluster } {
  const cluster = { ...fleetCluster(tenantId, index, startMs, endMs, 300), counterOriginMs: startMs };
  return { coarse: { ...cluster, endMs: cutMs }, fine: { ...cluster, intervalSeconds: 60, startMs: cutMs } };
}
