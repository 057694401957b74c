import { validateSeries, type ValidationLimits } from '../../ingest/pipeline/validate';
import type { TimeSeries } from '../../lib/remote-write/write-request';

const NOW = 1_800_000_000_000;
const limits: ValidationLimits = {
  allowList: new Set(['node_cpu_hourly_cost', 'pv_hourly_cost']),
  minTimestamp: NOW - 30 * 86_400_000,
  maxTimestamp: NOW + 600_000,
  maxLabelsPerSeries: 8,
  maxLabelNameLength: 64,
  maxLabelValueLength: 128,
};

const series = (labels: Array<[string, string]>, timestamps: number[] = [NOW]): TimeSeries => ({
  labels: labels.map(([name, value]) => ({ name, value })),
  samples: timestamps.map((timestamp, i) => ({ value: i, timestamp })),
});

describe('series validation', () => {
  it.each([
    ['empty_labels', series([])],
    ['missing_metric_name', series([['node', 'a']])],
    ['invalid_metric_name', series([['__name__', '9bad-name']])],
    ['invalid_label_name', series([['__name__', 'node_cpu_hourly_cost'], ['bad-label', 'x']])],
    ['duplicate_label_name', series([['node', 'a'], ['__name__', 'node_cpu_hourly_cost'], ['node', 'b']])],
    ['too_many_labels', series([['__name__', 'node_cpu_hourly_cost'], ...Array.from({ length: 8 }, (_, i): [string, string] => [`l${i}`, 'v'])])],
    ['label_too_long', series([['__name__', 'node_cpu_hourly_cost'], ['node', 'x'.repeat(129)]])],
    ['not_allowed', series([['__name__', 'go_goroutines']])],
  ])('drops a series with %s and counts its samples', (reason, bad) => {
    const good = series([['__name__', 'pv_hourly_cost']]);
    const result = validateSeries([bad, good], limits);
    expect(result.series).toEqual([good]);
    expect(result.droppedSeries.get(reason as never)).toBe(1);
    expect(result.droppedSamples.get(reason as never) ?? 0).toBe(bad.samples.length);
    expect(result.samples).toBe(1);
  });

  it('sorts labels the sender left unsorted', () => {
    const result = validateSeries([series([['zone', 'a'], ['__name__', 'node_cpu_hourly_cost'], ['node', 'n']])], limits);
    expect(result.series[0].labels.map((l) => l.name)).toEqual(['__name__', 'node', 'zone']);
  });

  it('sorts samples, drops duplicates, too-old and far-future samples, and counts each', () => {
    const s = series([['__name__', 'node_cpu_hourly_cost']], [NOW, NOW - 60_000, NOW, NOW - 31 * 86_400_000, NOW + 3_600_000, NOW - 120_000]);
    const result = validateSeries([s], limits);
    expect(result.series[0].samples.map((x) => x.timestamp)).toEqual([NOW - 120_000, NOW - 60_000, NOW]);
    expect(result.droppedSamples.get('duplicate_sample')).toBe(1);
    expect(result.droppedSamples.get('too_old')).toBe(1);
    expect(result.droppedSamples.get('too_far_in_future')).toBe(1);
    expect(result.samples).toBe(3);
  });

  it('drops a series left without samples', () => {
    const result = validateSeries([series([['__name__', 'node_cpu_hourly_cost']], [NOW + 86_400_000])], limits);
    expect(result.series).toHaveLength(0);
    expect(result.droppedSeries.get('no_samples')).toBe(1);
  });

  it('keeps everything when there is no allow-list', () => {
    const result = validateSeries([series([['__name__', 'go_goroutines']])], { ...limits, allowList: undefined });
    expect(result.series).toHaveLength(1);
  });
});
