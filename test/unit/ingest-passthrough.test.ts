import snappy from 'snappy';
import { Writer } from 'protobufjs/minimal';
import { decodeWriteRequest, encodeWriteRequest } from '../../lib/remote-write/codec';
import { IngestError } from '../../ingest/pipeline/errors';
import { RemoteWriteFormatError } from '../../lib/remote-write/errors';
import { processPassThrough } from '../../ingest/pipeline/passthrough';
import { processWriteRequest, processWriteRequestReference, type ProcessedRequest } from '../../ingest/pipeline/process';
import type { ValidationLimits } from '../../ingest/pipeline/validate';
import type { TimeSeries } from '../../lib/remote-write/write-request';
import { COST_METRIC_FAMILIES } from '../../lib/remote-write/cost-metrics';
import { AGENT_CAPTURES, fixture } from '../helpers/fixtures';

/*
 * The pass-through path must give exactly what the reference path (decode every label into
 * strings → validate → stamp → re-encode) gives, for every input: the same forwarded series,
 * the same counts, the same 400s. Each case runs both and compares.
 */

const TENANT = '5f0c3a52-6f7e-4c55-9d0e-2b7a9c1d4e21';
const NOW = AGENT_CAPTURES[0].decoded.timeseries[0].samples[0].timestamp;
const LIMITS: ValidationLimits = {
  allowList: new Set([...COST_METRIC_FAMILIES, 'up', 'm', 'scrape_samples_scraped']),
  minTimestamp: NOW - 35 * 86_400_000,
  maxTimestamp: NOW + 600_000,
  maxLabelsPerSeries: 12,
  maxLabelNameLength: 32,
  maxLabelValueLength: 40,
};

/** A comparable view of a result: forwarded bytes decoded, maps as objects, errors as status and message. */
function view(run: () => ProcessedRequest): unknown {
  try {
    const result = run();
    return {
      ...result,
      encoded: result.encoded && decodeWriteRequest(result.encoded),
      droppedSamples: Object.fromEntries(result.droppedSamples),
      droppedSeries: Object.fromEntries(result.droppedSeries),
    };
  } catch (error) {
    if (error instanceof IngestError || error instanceof RemoteWriteFormatError) return { status: error.status, message: error.message };
    throw error;
  }
}

type Compared = { declined: true } | { declined: false; result: Record<string, unknown> };

/**
 * Runs the fast path alone (no fallback) and, when it handled the input, compares its result
 * with the reference path's. Going through `processWriteRequest` would fall back to the
 * reference whenever the fast path declines, and compare the reference with itself.
 */
function compareWithReference(raw: Uint8Array, limits: ValidationLimits = LIMITS): Compared {
  const fast = processPassThrough(raw, TENANT, limits);
  if (fast === undefined) return { declined: true };
  const reference = view(() => processWriteRequestReference(raw, TENANT, limits)) as Record<string, unknown>;
  // The fast path forwards nothing exactly when the reference has nothing to forward (nothing
  // kept, or a 400); what it keeps is compared as decoded series.
  expect(fast.keptSeries === 0).toBe(reference.encoded === undefined);
  const { rejection: _rejection, ...comparable } = reference;
  expect({
    encoded: fast.keptSeries > 0 ? decodeWriteRequest(fast.encoded as Uint8Array) : undefined,
    receivedSamples: fast.receivedSamples,
    acceptedSamples: fast.acceptedSamples,
    // Only reported with something to forward, as processWriteRequest does.
    newestTimestamp: fast.keptSeries > 0 ? fast.newestTimestamp : undefined,
    oldestTimestamp: fast.keptSeries > 0 ? fast.oldestTimestamp : undefined,
    droppedSamples: Object.fromEntries(fast.droppedSamples),
    droppedSeries: Object.fromEntries(fast.droppedSeries),
    metadataOnly: fast.totalSeries === 0,
  }).toEqual(comparable);
  return { declined: false, result: reference };
}

/** Compares as above and requires the fast path to have handled the input. */
function expectSameAsReference(raw: Uint8Array, limits: ValidationLimits = LIMITS): Record<string, unknown> {
  const compared = compareWithReference(raw, limits);
  if (compared.declined) throw new Error('the fast path declined an input it is expected to handle');
  return compared.result;
}

type Pair = [string, string];
const series = (labels: Pair[], timestamps: number[] = [NOW]): TimeSeries => ({
  labels: labels.map(([name, value]) => ({ name, value })),
  samples: timestamps.map((timestamp, i) => ({ value: i + 0.5, timestamp })),
});
const encode = (...list: TimeSeries[]) => encodeWriteRequest(list);

/** Hand-built wire bytes, for encodings the codec never produces. */
function label(writer: Writer, parts: Array<[field: number, value: string]>): void {
  writer.uint32((1 << 3) | 2).fork();
  for (const [field, value] of parts) writer.uint32((field << 3) | 2).string(value);
  writer.ldelim();
}
function sample(writer: Writer, value: number, timestamp: number): void {
  writer.uint32((2 << 3) | 2).fork();
  writer.uint32((1 << 3) | 1).double(value);
  writer.uint32((2 << 3) | 0).int64(timestamp);
  writer.ldelim();
}

describe('pass-through pipeline on real agent captures', () => {
  it.each(AGENT_CAPTURES.map((capture, i) => [i + 1, capture] as const))('capture %i: handled without the reference path, same result, spoofed tenant replaced', (_n, capture) => {
    const raw = snappy.uncompressSync(capture.body) as Buffer;
    const result = expectSameAsReference(raw) as { encoded: { timeseries: TimeSeries[] }; acceptedSamples: number };
    expect(result.acceptedSamples).toBeGreaterThan(0);
    for (const s of result.encoded.timeseries) {
      expect(s.labels.filter((l) => l.name === 'tenant_id')).toEqual([{ name: 'tenant_id', value: TENANT }]);
      const names = s.labels.map((l) => l.name);
      expect(names).toEqual([...names].sort());
    }
  });

  it('metadata-only capture: same as the reference', () => {
    const raw = snappy.uncompressSync(fixture('prometheus-agent', 'agent-remote-write-metadata.bin')) as Buffer;
    expect(expectSameAsReference(raw)).toMatchObject({ metadataOnly: true, encoded: undefined });
  });
});

describe('pass-through pipeline against the reference, case by case', () => {
  it.each<[string, TimeSeries[]]>([
    ['tenant_id inserted in the middle', [series([['__name__', 'm'], ['a', '1'], ['zone', 'z']])]],
    ['tenant_id inserted last', [series([['__name__', 'm'], ['a', '1']])]],
    ['a spoofed tenant_id replaced, first', [series([['__name__', 'm'], ['tenant_id', 'other-tenant-with-a-longer-id'], ['zone', 'z']])]],
    ['a spoofed tenant_id replaced, last', [series([['__name__', 'm'], ['a', 'x'], ['tenant_id', 't']])]],
    ['a spoofed empty tenant_id', [series([['__name__', 'm'], ['tenant_id', '']])]],
    ['labels named just before and after tenant_id', [series([['__name__', 'm'], ['tenant', 'x'], ['tenant_ic', 'y'], ['tenant_ie', 'z'], ['tenant_id_x', 'w']])]],
    ['unsorted labels, sorted on the way', [series([['zone', 'z'], ['__name__', 'm'], ['tenant_id', 'spoof'], ['a', '1']])]],
    ['duplicate label names', [series([['a', '1'], ['__name__', 'm'], ['a', '2']]), series([['__name__', 'm']])]],
    ['duplicate __name__', [series([['__name__', 'm'], ['__name__', 'up']])]],
    ['every series invalid → 400', [series([]), series([['bad-name', 'x'], ['__name__', 'm']])]],
    ['missing and empty metric names', [series([['a', 'b']]), series([['__name__', '']]), series([['__name__', 'm']])]],
    ['invalid metric name', [series([['__name__', '9m']]), series([['__name__', 'm-x']]), series([['__name__', 'm']])]],
    ['not allowed', [series([['__name__', 'go_goroutines']]), series([['__name__', 'm']])]],
    ['too many labels', [series([['__name__', 'm'], ...Array.from({ length: 12 }, (_, i): Pair => [`l${String(i).padStart(2, '0')}`, 'v'])])]],
    ['name too long', [series([['__name__', 'm'], ['n'.repeat(33), 'v']])]],
    ['value too long', [series([['__name__', 'm'], ['v', 'x'.repeat(41)]])]],
    ['value at the limit', [series([['__name__', 'm'], ['v', 'x'.repeat(40)]])]],
    ['non-ASCII value within the limit in characters, over it in bytes', [series([['__name__', 'm'], ['v', 'é'.repeat(30)]])]],
    ['non-ASCII value over the limit in characters', [series([['__name__', 'm'], ['v', 'é'.repeat(41)]])]],
    ['emoji and CJK values', [series([['__name__', 'm'], ['pod', '🚀-ポッド'], ['zone', 'ü']])]],
    ['non-ASCII metric name', [series([['__name__', 'mé']]), series([['__name__', 'm']])]],
    ['samples unsorted, duplicated, too old, in the future', [series([['__name__', 'm']], [NOW, NOW - 1000, NOW, NOW - 40 * 86_400_000, NOW + 3_600_000, NOW - 2000])]],
    ['a series left without samples', [series([['__name__', 'm']], [NOW + 86_400_000]), series([['__name__', 'm'], ['a', 'b']], [])]],
    ['long series', Array.from({ length: 5 }, (_, i) => series([['__name__', 'm'], ['i', String(i)]], Array.from({ length: 40 }, (_, j) => NOW - 40_000 + j * 1000)))],
  ])('%s', (_case, list) => {
    expectSameAsReference(encode(...list));
  });

  it('declines a non-ASCII label name; the server answers with the reference path\'s result', () => {
    const raw = encode(series([['__name__', 'm'], ['zoné', 'x']]), series([['__name__', 'm']]));
    expect(compareWithReference(raw)).toEqual({ declined: true });
    expect(view(() => processWriteRequest(raw, TENANT, LIMITS))).toMatchObject({ acceptedSamples: 1, droppedSeries: { invalid_label_name: 1 } });
  });

  it('a family\'s series share label names; each one\'s values are still checked', () => {
    const names = ['__name__', 'node', 'zone'];
    const make = (...values: string[]) => series(names.map((name, i): Pair => [name, values[i]]));
    const result = expectSameAsReference(
      encode(
        make('m', 'a', 'z'),
        make('m', 'x'.repeat(41), 'z'),
        make('', 'b', 'z'),
        make('go_goroutines', 'c', 'z'),
        make('9bad', 'd', 'z'),
        make('up', 'é'.repeat(41), 'z'),
        make('up', 'é'.repeat(30), 'z'),
        make('m', 'f', 'z'),
      ),
    ) as { acceptedSamples: number; droppedSeries: Record<string, number> };
    expect(result.acceptedSamples).toBe(3);
    expect(result.droppedSeries).toEqual({ label_too_long: 2, missing_metric_name: 1, not_allowed: 1, invalid_metric_name: 1 });
  });

  it('negative and far timestamps, with limits that let them through', () => {
    const open = { ...LIMITS, minTimestamp: -1e18, maxTimestamp: 1e18 };
    const raw = encode(series([['__name__', 'm']], [-5, 0, 1, 2 ** 40, 4_102_444_800_000]));
    const result = expectSameAsReference(raw, open) as { encoded: { timeseries: TimeSeries[] } };
    expect(result.encoded.timeseries[0].samples.map((s) => s.timestamp)).toEqual([-5, 0, 1, 2 ** 40, 4_102_444_800_000]);
  });

  it('keeps the exact bits of a staleness marker (Prometheus\'s StaleNaN)', () => {
    const stale = Buffer.from([0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]);
    const value = stale.readDoubleLE(0);
    const raw = encode({ labels: [{ name: '__name__', value: 'm' }], samples: [{ value, timestamp: NOW }] });
    const forwarded = processPassThrough(raw, TENANT, LIMITS)?.encoded as Uint8Array;
    expect(Buffer.from(forwarded).includes(stale)).toBe(true);
  });

  it('no allow-list keeps every family', () => {
    expectSameAsReference(encode(series([['__name__', 'go_goroutines']]), series([['__name__', 'm']])), { ...LIMITS, allowList: undefined });
  });

  it('re-encodes labels that are not canonically encoded', () => {
    const writer = Writer.create();
    // Series 1: value field before name; an unknown field inside a label; an omitted empty value;
    // a repeated name field (the last one wins); a sample between two labels.
    writer.uint32((1 << 3) | 2).fork();
    label(writer, [[2, 'm'], [1, '__name__']]);
    label(writer, [[1, 'a'], [7, 'ignored'], [2, 'x']]);
    sample(writer, 1.5, NOW);
    label(writer, [[1, 'b']]);
    label(writer, [[1, 'zz'], [1, 'c'], [2, 'y']]);
    writer.ldelim();
    // Series 2: canonical, but with an exemplar and a histogram field to skip.
    writer.uint32((1 << 3) | 2).fork();
    label(writer, [[1, '__name__'], [2, 'm']]);
    label(writer, [[1, 'zone'], [2, 'a']]);
    sample(writer, 2.5, NOW);
    writer.uint32((3 << 3) | 2).bytes(Buffer.from([0x0a, 0x00]));
    writer.uint32((4 << 3) | 2).bytes(Buffer.from([0x08, 0x01]));
    writer.ldelim();
    // Unknown top-level fields of every wire type, and metadata.
    writer.uint32((9 << 3) | 0).uint32(300);
    writer.uint32((10 << 3) | 1).fixed64(7);
    writer.uint32((11 << 3) | 5).fixed32(7);
    writer.uint32((3 << 3) | 2).bytes(Buffer.from([0x08, 0x02, 0x12, 0x01, 0x6d]));
    const raw = writer.finish();
    const result = expectSameAsReference(raw) as { encoded: { timeseries: TimeSeries[]; metadata: Uint8Array[] } };
    expect(result.encoded.timeseries.map((s) => s.labels.map((l) => `${l.name}=${l.value}`))).toEqual([
      ['__name__=m', 'a=x', 'b=', 'c=y', `tenant_id=${TENANT}`],
      ['__name__=m', `tenant_id=${TENANT}`, 'zone=a'],
    ]);
    expect(result.encoded.metadata).toHaveLength(1);
  });

  it('an empty label message is an invalid (empty) name, as the reference decodes it', () => {
    const writer = Writer.create();
    writer.uint32((1 << 3) | 2).fork();
    label(writer, [[1, '__name__'], [2, 'm']]);
    label(writer, []);
    sample(writer, 1, NOW);
    writer.ldelim();
    writer.uint32((1 << 3) | 2).fork();
    label(writer, [[1, '__name__'], [2, 'm']]);
    sample(writer, 1, NOW);
    writer.ldelim();
    const raw = writer.finish();
    expect(expectSameAsReference(raw)).toMatchObject({ acceptedSamples: 1, droppedSeries: { invalid_label_name: 1 } });
  });

  it('declines invalid UTF-8 in a value, and the reference path replaces it', () => {
    const writer = Writer.create();
    writer.uint32((1 << 3) | 2).fork();
    label(writer, [[1, '__name__'], [2, 'm']]);
    writer.uint32((1 << 3) | 2).fork();
    writer.uint32((1 << 3) | 2).string('v');
    writer.uint32((2 << 3) | 2).bytes(Buffer.from([0x61, 0xff, 0xfe, 0x62]));
    writer.ldelim();
    sample(writer, 1, NOW);
    writer.ldelim();
    const raw = writer.finish();
    expect(compareWithReference(raw)).toEqual({ declined: true });
    const result = view(() => processWriteRequest(raw, TENANT, LIMITS)) as { encoded: { timeseries: TimeSeries[] } };
    expect(result.encoded.timeseries[0].labels.find((l) => l.name === 'v')?.value).toBe('a\ufffd\ufffdb');
  });

  it('declines malformed protobuf, which the server answers with the reference decoder\'s 400', () => {
    const raw = encode(series([['__name__', 'm'], ['a', 'b']]));
    for (const bad of [raw.subarray(0, raw.length - 3), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]), Buffer.from([0x00]), Buffer.from([0x0b, 0x01])]) {
      expect(compareWithReference(bad)).toEqual({ declined: true });
      expect(view(() => processWriteRequest(bad, TENANT, LIMITS))).toMatchObject({ status: 400, message: expect.stringMatching(/^protobuf: /) });
    }
  });

  it('agrees with the reference on random requests and on every truncation and single-byte corruption', () => {
    // A deterministic generator, so a failure reproduces.
    let state = 42;
    const random = () => {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      return state / 2 ** 32;
    };
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
    const names = ['__name__', '__name__', 'a', 'node', 'tenant_id', 'zone', 'tenant', 'bad-name', '', 'n'.repeat(33)];
    const values = ['m', 'up', 'node_cpu_hourly_cost', 'go_goroutines', '', 'x', 'é', '🚀', '9bad', 'v'.repeat(41)];
    const timestamps = [NOW, NOW - 1000, NOW - 1000, NOW + 3_600_000, NOW - 40 * 86_400_000, NOW - 5000];
    // Inputs the fast path handled itself: only those compare it with the reference.
    const whole = { handled: 0, declined: 0 };
    const truncated = { handled: 0, declined: 0 };
    const corruptedCount = { handled: 0, declined: 0 };
    const tally = (count: { handled: number; declined: number }, compared: Compared) => {
      if (compared.declined) count.declined++;
      else count.handled++;
    };
    for (let round = 0; round < 300; round++) {
      let previousNames: string[] = [];
      const list = Array.from({ length: 1 + Math.floor(random() * 6) }, () => {
        let labels: Pair[];
        if (previousNames.length > 0 && random() < 0.5) {
          // Same label names as the series before (as a family's series come), new values.
          labels = previousNames.map((name): Pair => [name, pick(values)]);
        } else {
          labels = Array.from({ length: Math.floor(random() * 6) }, (): Pair => [pick(names), pick(values)]);
          if (random() < 0.7) labels.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
        }
        previousNames = labels.map(([name]) => name);
        return series(labels, Array.from({ length: Math.floor(random() * 4) }, () => pick(timestamps)));
      });
      const raw = Buffer.from(encode(...list));
      tally(whole, compareWithReference(raw));
      if (round % 10 === 0) {
        for (let cut = 0; cut < raw.length; cut++) tally(truncated, compareWithReference(raw.subarray(0, cut)));
        for (let at = 0; at < raw.length; at++) {
          const corrupted = Buffer.from(raw);
          corrupted[at] = Math.floor(random() * 256);
          tally(corruptedCount, compareWithReference(corrupted));
        }
      }
    }
    // Every well-formed request is the fast path's to handle. Cuts at series boundaries and
    // corruptions of sample values or label bytes stay well-formed, so many of those are too
    // (the generator is deterministic, so these counts do not vary between runs).
    expect(whole).toEqual({ handled: 300, declined: 0 });
    expect(truncated.handled).toBeGreaterThanOrEqual(100);
    expect(corruptedCount.handled).toBeGreaterThanOrEqual(5000);
  });
});
