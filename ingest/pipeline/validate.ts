import type { Label, Sample, TimeSeries } from '../../lib/remote-write/write-request';

/**
 * Why a series or sample was not forwarded. Prometheus 2.42 answers 500 to some of these
 * (senders then retry forever) and silently drops others; costgraph drops the offending
 * series or sample, forwards the rest, and counts every drop by reason.
 */
export type DropReason =
  | 'empty_labels'
  | 'missing_metric_name'
  | 'invalid_metric_name'
  | 'invalid_label_name'
  | 'duplicate_label_name'
  | 'too_many_labels'
  | 'label_too_long'
  | 'not_allowed'
  | 'no_samples'
  | 'too_old'
  | 'too_far_in_future'
  | 'duplicate_sample'
  | 'non_finite';

/** Reasons that mean the sender's data was malformed, as opposed to filtered by policy. */
export const INVALID_DATA_REASONS: ReadonlySet<DropReason> = new Set([
  'empty_labels',
  'missing_metric_name',
  'invalid_metric_name',
  'invalid_label_name',
  'duplicate_label_name',
  'too_many_labels',
  'label_too_long',
]);

export interface ValidationLimits {
  /** Metric families to keep; `undefined` keeps all. */
  allowList?: ReadonlySet<string>;
  /** Samples older than this (ms since epoch) would be refused by the store. */
  minTimestamp: number;
  /** Samples newer than this would block later in-order samples in the store. */
  maxTimestamp: number;
  maxLabelsPerSeries: number;
  maxLabelNameLength: number;
  maxLabelValueLength: number;
}

export interface ValidationResult {
  series: TimeSeries[];
  samples: number;
  /** The newest kept sample's timestamp (ms), when any was kept. */
  newestTimestamp?: number;
  oldestTimestamp?: number;
  /** Samples dropped, by reason (a dropped series counts all its samples). */
  droppedSamples: Map<DropReason, number>;
  droppedSeries: Map<DropReason, number>;
}

export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Price and cost families (`node_cpu_hourly_cost`, `pv_hourly_cost`, `kubecost_load_balancer_cost`,
 * ...): one NaN or ±Inf sample among them would turn a whole cost category's sum into NaN, so
 * such samples are dropped (reason `non_finite`).
 */
export function isCostFamily(metricName: string): boolean {
  return metricName.endsWith('_cost');
}

const staleBits = new DataView(new ArrayBuffer(8));

/**
 * Prometheus's stale marker: the NaN whose bits are 0x7ff0000000000002 (value.StaleNaN). It
 * ends a series at once instead of after the 5-minute lookback, so it must keep flowing.
 */
export function isStaleMarker(value: number): boolean {
  staleBits.setFloat64(0, value);
  return staleBits.getUint32(0) === 0x7ff00000 && staleBits.getUint32(4) === 0x00000002;
}

const byName = (a: Label, b: Label) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function add(map: Map<DropReason, number>, reason: DropReason, count: number): void {
  if (count > 0) map.set(reason, (map.get(reason) ?? 0) + count);
}

function checkLabels(labels: Label[], limits: ValidationLimits, validNames: Set<string>): DropReason | undefined {
  if (labels.length === 0) return 'empty_labels';
  if (labels.length > limits.maxLabelsPerSeries) return 'too_many_labels';
  let metricName: string | undefined;
  let sorted = true;
  for (let i = 0; i < labels.length; i++) {
    const { name, value } = labels[i];
    if (name.length > limits.maxLabelNameLength || value.length > limits.maxLabelValueLength) return 'label_too_long';
    if (!validNames.has(name)) {
      if (!LABEL_NAME.test(name)) return 'invalid_label_name';
      validNames.add(name);
    }
    if (name === '__name__') metricName = value;
    if (i > 0 && labels[i - 1].name >= name) sorted = false;
  }
  if (metricName === undefined || metricName === '') return 'missing_metric_name';
  if (!METRIC_NAME.test(metricName)) return 'invalid_metric_name';
  if (limits.allowList && !limits.allowList.has(metricName)) return 'not_allowed';
  if (!sorted) {
    labels.sort(byName);
    for (let i = 1; i < labels.length; i++) if (labels[i - 1].name === labels[i].name) return 'duplicate_label_name';
  }
  return undefined;
}

/**
 * Filters a decoded request down to what the store will accept. Mutates series in place
 * (labels sorted, samples sorted and de-duplicated) and returns the kept ones.
 */
export function validateSeries(timeseries: TimeSeries[], limits: ValidationLimits): ValidationResult {
  const result: ValidationResult = { series: [], samples: 0, droppedSamples: new Map(), droppedSeries: new Map() };
  const validNames = new Set<string>(['__name__']);
  for (const series of timeseries) {
    const labelProblem = checkLabels(series.labels, limits, validNames);
    if (labelProblem) {
      add(result.droppedSeries, labelProblem, 1);
      add(result.droppedSamples, labelProblem, series.samples.length);
      continue;
    }
    const kept = filterSamples(series.samples, limits, result.droppedSamples, () => isCostFamily(series.labels.find((l) => l.name === '__name__')!.value));
    series.samples.length = kept;
    if (kept === 0) {
      add(result.droppedSeries, 'no_samples', 1);
      continue;
    }
    result.samples += kept;
    result.newestTimestamp = Math.max(result.newestTimestamp ?? Number.NEGATIVE_INFINITY, series.samples[kept - 1].timestamp);
    result.oldestTimestamp = Math.min(result.oldestTimestamp ?? Number.POSITIVE_INFINITY, series.samples[0].timestamp);
    result.series.push(series);
  }
  return result;
}

/**
 * Sorts one series' samples by time, then keeps (in place, at the front) those the store
 * accepts: in the window, not a repeated timestamp, and for a cost family finite (or a stale
 * marker). Counts the rest by reason and returns how many were kept. Shared by both pipeline
 * paths, so they drop exactly the same samples. `costFamily` is asked only on a non-finite
 * sample, which is rare: working out the metric name costs the byte-level path a label scan.
 */
export function filterSamples(samples: Sample[], limits: ValidationLimits, droppedSamples: Map<DropReason, number>, costFamily: () => boolean): number {
  let inOrder = true;
  for (let i = 1; i < samples.length; i++) {
    if (samples[i].timestamp <= samples[i - 1].timestamp) {
      inOrder = false;
      break;
    }
  }
  if (!inOrder) samples.sort((a, b) => a.timestamp - b.timestamp);
  let kept = 0;
  let previous = Number.NEGATIVE_INFINITY;
  for (const sample of samples) {
    if (sample.timestamp < limits.minTimestamp) add(droppedSamples, 'too_old', 1);
    else if (sample.timestamp > limits.maxTimestamp) add(droppedSamples, 'too_far_in_future', 1);
    // Same timestamp twice: keep the first, as Prometheus would.
    else if (sample.timestamp === previous) add(droppedSamples, 'duplicate_sample', 1);
    else if (!Number.isFinite(sample.value) && !isStaleMarker(sample.value) && costFamily()) add(droppedSamples, 'non_finite', 1);
    else {
      samples[kept++] = sample;
      previous = sample.timestamp;
    }
  }
  return kept;
}
