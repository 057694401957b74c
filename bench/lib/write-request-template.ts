import { isCounter, type LabelPair } from './series';

/*
 * An uncompressed remote-write 1.0 WriteRequest laid out once, whose sample timestamps and
 * values are rewritten in place for every request. Senders can then produce fresh,
 * never-duplicated batches for the price of a snappy compression, so the load generator stays
 * cheap next to the ingest worker it measures.
 *
 * Every timestamp is written as a 6-byte varint, which holds any millisecond timestamp in
 * [2^35, 2^42) (1971 to 2109), so rewriting one never moves the bytes after it.
 */

const TIMESTAMP_VARINT_BYTES = 6;
const MIN_TIMESTAMP = 2 ** 35;
const MAX_TIMESTAMP = 2 ** 42;
/** Sample { double value = 1; int64 timestamp = 2; }: tag + 8 bytes + tag + 6-byte varint. */
const SAMPLE_BODY_BYTES = 1 + 8 + 1 + TIMESTAMP_VARINT_BYTES;
/** TimeSeries.samples tag + one-byte length + the sample. */
const SAMPLE_BYTES = 1 + 1 + SAMPLE_BODY_BYTES;

function varint(value: number): number[] {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  bytes.push(value);
  return bytes;
}

function labelMessage([name, value]: LabelPair): Buffer {
  const n = Buffer.from(name, 'utf8');
  const v = Buffer.from(value, 'utf8');
  const inner = Buffer.concat([Buffer.from([0x0a, ...varint(n.length)]), n, Buffer.from([0x12, ...varint(v.length)]), v]);
  // TimeSeries.labels = 1, length-delimited
  return Buffer.concat([Buffer.from([0x0a, ...varint(inner.length)]), inner]);
}

export class WriteRequestTemplate {
  /** The WriteRequest bytes; `fill` rewrites them in place. */
  readonly raw: Buffer;
  readonly seriesCount: number;
  readonly samplesPerSeries: number;
  private readonly sampleOffsets: Uint32Array;
  private readonly valueBase: Float64Array;
  private readonly valueSlope: Float64Array;

  constructor(series: readonly LabelPair[][], samplesPerSeries: number) {
    this.seriesCount = series.length;
    this.samplesPerSeries = samplesPerSeries;
    const parts: Buffer[] = [];
    const offsets: number[] = [];
    let position = 0;
    this.valueBase = new Float64Array(series.length);
    this.valueSlope = new Float64Array(series.length);
    series.forEach((labels, index) => {
      const labelBytes = Buffer.concat(labels.map(labelMessage));
      const seriesLength = labelBytes.length + samplesPerSeries * SAMPLE_BYTES;
      // WriteRequest.timeseries = 1, length-delimited
      const head = Buffer.from([0x0a, ...varint(seriesLength)]);
      parts.push(head, labelBytes);
      position += head.length + labelBytes.length;
      const samples = Buffer.alloc(samplesPerSeries * SAMPLE_BYTES);
      for (let j = 0; j < samplesPerSeries; j++) {
        const at = j * SAMPLE_BYTES;
        samples[at] = 0x12; // TimeSeries.samples = 2, length-delimited
        samples[at + 1] = SAMPLE_BODY_BYTES;
        samples[at + 2] = 0x09; // Sample.value = 1, 64-bit
        samples[at + 11] = 0x10; // Sample.timestamp = 2, varint
        offsets.push(position + at + 3);
      }
      parts.push(samples);
      position += samples.length;
      const family = labels.find(([name]) => name === '__name__')?.[1] ?? '';
      // Hourly costs of a few cents to a few dollars; byte-sized gauges and counters in the millions.
      const scale = family.includes('cost') ? 0.01 + (index % 97) / 25 : 1e6 * (1 + (index % 13));
      this.valueBase[index] = scale;
      this.valueSlope[index] = isCounter(family) ? scale / 1000 : 0;
    });
    this.raw = Buffer.concat(parts, position);
    this.sampleOffsets = Uint32Array.from(offsets);
  }

  get sampleCount(): number {
    return this.seriesCount * this.samplesPerSeries;
  }

  /**
   * Sample j of every series gets timestamp `firstTimestamp + j * stepMs`. Gauges keep their
   * value, counters grow with the global sample index `firstIndex + j`; `randomValues` writes
   * noise instead, which snappy cannot compress (for bodies that stay large on the wire).
   */
  fill(firstTimestamp: number, stepMs: number, firstIndex: number, randomValues = false): Buffer {
    const last = firstTimestamp + (this.samplesPerSeries - 1) * stepMs;
    if (firstTimestamp < MIN_TIMESTAMP || last >= MAX_TIMESTAMP) throw new RangeError(`timestamps ${firstTimestamp}..${last} do not fit a 6-byte varint`);
    const raw = this.raw;
    let k = 0;
    for (let s = 0; s < this.seriesCount; s++) {
      const base = this.valueBase[s];
      const slope = this.valueSlope[s];
      for (let j = 0; j < this.samplesPerSeries; j++, k++) {
        const at = this.sampleOffsets[k];
        raw.writeDoubleLE(randomValues ? Math.random() * base : base + slope * (firstIndex + j), at);
        let t = firstTimestamp + j * stepMs;
        const ts = at + 9;
        for (let b = 0; b < TIMESTAMP_VARINT_BYTES - 1; b++) {
          raw[ts + b] = (t % 128) | 0x80;
          t = Math.floor(t / 128);
        }
        raw[ts + TIMESTAMP_VARINT_BYTES - 1] = t;
      }
    }
    return raw;
  }
}
