import { decodeWriteRequest, encodeWriteRequest } from '../../lib/remote-write/codec';
import { processWriteRequest, processWriteRequestReference, type ProcessedRequest } from '../../ingest/pipeline/process';
import { isCostFamily, isStaleMarker, validateSeries, type ValidationLimits } from '../../ingest/pipeline/validate';
import type { TimeSeries } from '../../lib/remote-write/write-request';

/*
 * One NaN or ±Inf price would turn a whole cost category into NaN downstream: the ingest worker
 * drops non-finite samples of cost families, counted as `non_finite`, on both pipeline paths.
 * Prometheus's stale marker is a NaN too, and must keep flowing bit for bit.
 */

const TENANT = '5f0c3a52-6f7e-4c55-9d0e-2b7a9c1d4e21';
const NOW = 1_800_000_000_000;
const LIMITS: ValidationLimits = {
  allowList: undefined,
  minTimestamp: NOW - 30 * 86_400_000,
  maxTimestamp: NOW + 600_000,
  maxLabelsPerSeries: 12,
  maxLabelNameLength: 64,
  maxLabelValueLength: 128,
};
const STALE_BYTES = Buffer.from([0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]);
const STALE = STALE_BYTES.readDoubleLE(0);

const series = (name: string, values: number[], extra: Array<[string, string]> = [['node', 'n1']]): TimeSeries => ({
  labels: [['__name__', name] as [string, string], ...extra].map(([n, value]) => ({ name: n, value })),
  samples: values.map((value, i) => ({ value, timestamp: NOW - (values.length - i) * 60_000 })),
});

function both(raw: Uint8Array): ProcessedRequest {
  const view = (r: ProcessedRequest) => ({ ...r, encoded: r.encoded && decodeWriteRequest(r.encoded), droppedSamples: Object.fromEntries(r.droppedSamples), droppedSeries: Object.fromEntries(r.droppedSeries) });
  const fast = processWriteRequest(raw, TENANT, LIMITS);
  expect(view(fast)).toEqual(view(processWriteRequestReference(raw, TENANT, LIMITS)));
  return fast;
}

describe('non-finite samples of cost families', () => {
  it('cost families are the price and cost metrics', () => {
    for (const name of ['node_cpu_hourly_cost', 'node_ram_hourly_cost', 'node_gpu_hourly_cost', 'node_total_hourly_cost', 'pv_hourly_cost', 'kubecost_load_balancer_cost', 'kubecost_cluster_management_cost', 'kubecost_network_internet_egress_cost']) {
      expect(isCostFamily(name)).toBe(true);
    }
    for (const name of ['node_gpu_count', 'kube_node_status_capacity_cpu_cores', 'container_memory_working_set_bytes', 'up']) expect(isCostFamily(name)).toBe(false);
  });

  it('tells the stale marker from other NaNs', () => {
    expect(isStaleMarker(STALE)).toBe(true);
    expect(isStaleMarker(NaN)).toBe(false);
    expect(isStaleMarker(Infinity)).toBe(false);
    expect(isStaleMarker(0)).toBe(false);
  });

  it('drops NaN, +Inf and -Inf of a cost family, counted as non_finite, on both paths; keeps the rest of the series', () => {
    const raw = encodeWriteRequest([
      series('node_cpu_hourly_cost', [0.03, Infinity, 0.03, NaN, -Infinity, 0.03]),
      series('node_cpu_hourly_cost', [0.02, 0.02], [['node', 'n2']]),
    ]);
    const result = both(raw);
    expect(Object.fromEntries(result.droppedSamples)).toEqual({ non_finite: 3 });
    expect(result.acceptedSamples).toBe(5);
    const forwarded = decodeWriteRequest(result.encoded!);
    expect(forwarded.timeseries.map((s) => s.samples.map((x) => x.value))).toEqual([[0.03, 0.03, 0.03], [0.02, 0.02]]);
  });

  it('a cost series with only non-finite samples is dropped as a series without samples', () => {
    const result = both(encodeWriteRequest([series('pv_hourly_cost', [NaN, Infinity]), series('pv_hourly_cost', [0.0001], [['persistentvolume', 'p']])]));
    expect(Object.fromEntries(result.droppedSamples)).toEqual({ non_finite: 2 });
    expect(Object.fromEntries(result.droppedSeries)).toEqual({ no_samples: 1 });
  });

  it('stale markers of cost families keep flowing, bit for bit', () => {
    // Not through an array of numbers: V8 quiets a NaN stored in a double array, losing the marker's bits.
    const ended = series('node_cpu_hourly_cost', [0.03]);
    ended.samples.push({ value: STALE, timestamp: NOW });
    const raw = encodeWriteRequest([ended]);
    const result = both(raw);
    expect(result.droppedSamples.size).toBe(0);
    expect(result.acceptedSamples).toBe(2);
    expect(Buffer.from(result.encoded!).includes(STALE_BYTES)).toBe(true);
    // The reference path too.
    expect(Buffer.from(processWriteRequestReference(raw, TENANT, LIMITS).encoded!).includes(STALE_BYTES)).toBe(true);
  });

  it('leaves non-finite samples of other families alone', () => {
    const result = both(encodeWriteRequest([series('node_gpu_count', [NaN, 1]), series('go_gc_duration_seconds', [Infinity], [['quantile', '1']])]));
    expect(result.droppedSamples.size).toBe(0);
    expect(result.acceptedSamples).toBe(3);
  });

  it('validateSeries counts them too (the reference path on its own)', () => {
    const result = validateSeries([series('kubecost_load_balancer_cost', [NaN, 0.025])], LIMITS);
    expect(result.droppedSamples.get('non_finite')).toBe(1);
    expect(result.samples).toBe(1);
  });
});
