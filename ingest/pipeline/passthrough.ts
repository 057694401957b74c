import { isUtf8 } from 'node:buffer';
import { TENANT_LABEL } from './stamp';
import { add, filterSamples, isCostFamily, METRIC_NAME, type DropReason, type ValidationLimits } from './validate';
import type { Sample } from '../../lib/remote-write/write-request';
import { int64Size, readInt64, varintSize, WIRE_32BIT, WIRE_64BIT, WIRE_LENGTH_DELIMITED, WIRE_VARINT, writeInt64, writeVarint } from '../../lib/remote-write/wire';

/*
 * The fast path of the pipeline: validate → stamp → encode on the wire bytes, without turning
 * every label name and value into a JS string and back. A scrape-shaped request carries about
 * nine label pairs per sample, and the string round trip (a native utf8 decode per string on
 * the way in, a per-character encode on the way out) was most of its cost.
 *
 * Labels are copied through as bytes: for the usual series (label fields adjacent, canonically
 * encoded, sorted) the output is the input's label bytes with the `tenant_id` field spliced in
 * at its sorted position, or put in place of a sender's `tenant_id`. Everything else about a
 * series is checked by the same rules as `validateSeries` (samples by the same function).
 *
 * Inputs this path does not handle byte for byte return `undefined`, and the caller runs the
 * reference path (`decodeWriteRequest` → `validateSeries` → `stampTenant` →
 * `encodeWriteRequest`) on the whole request instead: malformed protobuf (so the sender gets
 * the reference decoder's error), groups, label names with non-ASCII bytes, and label values
 * that are not valid UTF-8 (the reference decoder replaces those bytes; forwarding them as
 * they are would differ).
 */

/** Label field tag, label name tag, label value tag, sample tag: all length-delimited or fixed. */
const TAG_FIELD_1_LEN = (1 << 3) | WIRE_LENGTH_DELIMITED;
const TAG_FIELD_2_LEN = (2 << 3) | WIRE_LENGTH_DELIMITED;
const TAG_FIELD_3_LEN = (3 << 3) | WIRE_LENGTH_DELIMITED;
const TAG_SAMPLE_VALUE = (1 << 3) | WIRE_64BIT;
const TAG_SAMPLE_TIMESTAMP = (2 << 3) | WIRE_VARINT;

/** A metric name that passed its checks. */
const OK = 'ok';

/** Thrown inside the parser for anything it does not handle; caught at the top, never escapes. */
class Decline extends Error {}
const DECLINE = new Decline('pass-through declined');

const NAME_BYTES = new Uint8Array(Buffer.from('__name__', 'latin1'));
const TENANT_BYTES = new Uint8Array(Buffer.from(TENANT_LABEL, 'latin1'));

/** Label name characters by byte: 1 = may start a name ([a-zA-Z_]), 2 = may follow ([0-9]). */
const LABEL_NAME_CHARS = (() => {
  const table = new Uint8Array(256);
  for (let c = 0; c < 256; c++) {
    const ch = String.fromCharCode(c);
    if (/[a-zA-Z_]/.test(ch)) table[c] = 1;
    else if (/[0-9]/.test(ch)) table[c] = 2;
  }
  return table;
})();

export interface PassThroughResult {
  /** The WriteRequest to forward, or undefined when no series and no metadata are left. */
  encoded?: Uint8Array;
  receivedSamples: number;
  acceptedSamples: number;
  /** The newest kept sample's timestamp (ms), when any was kept. */
  newestTimestamp?: number;
  /** The oldest forwarded sample's timestamp (ms): late data reopens a closed hour's cost. */
  oldestTimestamp?: number;
  keptSeries: number;
  totalSeries: number;
  droppedSamples: Map<DropReason, number>;
  droppedSeries: Map<DropReason, number>;
}

/**
 * Per label of the series being parsed, 6 offsets into the request: field start and end (the
 * label field including its tag and length), name start and end, value start and end.
 */
const STRIDE = 6;

/** A series that passed validation, described well enough to write it in the second pass. */
interface KeptSeries {
  /** Label offsets (STRIDE per label) in output order, or undefined when the label fields are copied as one run. */
  labels: Int32Array | undefined;
  /** Copy mode: labels run [runStart, runEnd) with tenant_id spliced at `splitAt`, skipping to `resumeAt`. */
  runStart: number;
  splitAt: number;
  resumeAt: number;
  runEnd: number;
  /** Mode with `labels`: output index at which tenant_id goes, and whether it replaces the label there. */
  tenantIndex: number;
  replacesTenant: boolean;
  samples: Sample[];
  sampleCount: number;
  /** Bytes of the TimeSeries message body (without its own tag and length). */
  bodyLength: number;
}

/**
 * Runs the pipeline on an uncompressed WriteRequest, or returns undefined when the request
 * needs the reference path. Each call has its own state; nothing is kept between requests.
 */
export function processPassThrough(buf: Uint8Array, tenant: string, limits: ValidationLimits): PassThroughResult | undefined {
  try {
    return new PassThrough(buf, tenant, limits).run();
  } catch (error) {
    if (error instanceof Decline) return undefined;
    throw error;
  }
}

class PassThrough {
  /** Read position in `bytes` (public for the shared wire readers). */
  pos = 0;
  private readonly view: DataView;
  /** The request as a plain Uint8Array: its subarrays are cheaper than a Buffer's. */
  private readonly bytes: Uint8Array;
  /** Offsets of the current series' labels, STRIDE per label; grown when a series has more. */
  private labelOffsets = new Int32Array(STRIDE * 32);
  private labelCount = 0;
  /** The label names of the last series whose names all passed; `count` -1 when none. */
  private readonly previous = { count: -1, names: new Int32Array(64), metricAt: -1 };
  /** Verdicts on the metric names seen in this request, by FNV-1a hash of their bytes. */
  private readonly metricNames = new Map<number, Array<{ start: number; end: number; verdict: DropReason | typeof OK }>>();
  /** Set when the current series' labels had to be sorted: their bytes cannot be copied as one run. */
  private reordered = false;
  /** Every label length of the current series fits one varint byte, so its framing bytes are all ASCII. */
  private shortLabels = true;
  private readonly kept: KeptSeries[] = [];
  private readonly metadata: number[] = [];
  private readonly result: PassThroughResult;
  /** The tenant_id label field, ready to copy: tag, length, name field, value field. */
  private readonly tenantField: Buffer;
  /** Whether the current series (labels checked) is a cost family; see `filterSamples`. */
  private readonly costFamily = (): boolean => {
    for (let i = 0; i < this.labelCount; i++) {
      const at = i * STRIDE;
      if (equalBytes(this.bytes, this.labelOffsets[at + 2], this.labelOffsets[at + 3], NAME_BYTES)) {
        return isCostFamily(Buffer.prototype.latin1Slice.call(this.buf, this.labelOffsets[at + 4], this.labelOffsets[at + 5]) as string);
      }
    }
    return false;
  };

  constructor(
    private readonly buf: Uint8Array,
    tenant: string,
    private readonly limits: ValidationLimits,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    const value = Buffer.from(tenant, 'utf8');
    const inner = 1 + varintSize(TENANT_BYTES.length) + TENANT_BYTES.length + 1 + varintSize(value.length) + value.length;
    const field = Buffer.allocUnsafe(1 + varintSize(inner) + inner);
    let at = 0;
    field[at++] = TAG_FIELD_1_LEN;
    at = writeVarint(field, at, inner);
    field[at++] = TAG_FIELD_1_LEN;
    at = writeVarint(field, at, TENANT_BYTES.length);
    field.set(TENANT_BYTES, at);
    at += TENANT_BYTES.length;
    field[at++] = TAG_FIELD_2_LEN;
    at = writeVarint(field, at, value.length);
    value.copy(field, at);
    this.tenantField = field;
    this.result = {
      receivedSamples: 0,
      acceptedSamples: 0,
      keptSeries: 0,
      totalSeries: 0,
      droppedSamples: new Map(),
      droppedSeries: new Map(),
    };
  }

  run(): PassThroughResult {
    const buf = this.bytes;
    const len = buf.length;
    while (this.pos < len) {
      const tag = this.varint32();
      const field = tag >>> 3;
      if (field === 0) throw DECLINE;
      if ((field === 1 || field === 3) && (tag & 7) === WIRE_LENGTH_DELIMITED) {
        const end = this.lengthDelimitedEnd(len);
        if (field === 1) {
          this.result.totalSeries++;
          this.series(end);
        } else {
          this.metadata.push(this.pos, end);
        }
        this.pos = end;
      } else {
        this.skip(tag & 7, len);
      }
    }
    this.result.keptSeries = this.kept.length;
    if (this.kept.length > 0 || this.metadata.length > 0) this.result.encoded = this.encode();
    return this.result;
  }

  private series(end: number): void {
    this.labelCount = 0;
    this.reordered = false;
    this.shortLabels = true;
    const samples: Sample[] = [];
    /** Label fields adjacent to each other and each canonically encoded: copyable as one run. */
    let copyable = true;
    let previousLabelEnd = -1;
    while (this.pos < end) {
      const fieldStart = this.pos;
      const tag = this.varint32();
      const wireType = tag & 7;
      if (wireType !== WIRE_LENGTH_DELIMITED) {
        this.skip(wireType, end);
        continue;
      }
      const oneByteTag = this.pos === fieldStart + 1;
      const innerEnd = this.lengthDelimitedEnd(end);
      switch (tag >>> 3) {
        case 1:
          if (!oneByteTag || (previousLabelEnd >= 0 && previousLabelEnd !== fieldStart)) copyable = false;
          if (!this.label(fieldStart, innerEnd)) copyable = false;
          previousLabelEnd = innerEnd;
          break;
        case 2:
          samples.push(this.sample(innerEnd));
          break;
        default:
          // Exemplars, native histograms and unknown fields are not forwarded.
          break;
      }
      this.pos = innerEnd;
    }
    this.result.receivedSamples += samples.length;
    const problem = this.checkLabels(copyable);
    if (problem !== undefined) {
      this.drop(problem, samples.length);
      return;
    }
    const keptSamples = filterSamples(samples, this.limits, this.result.droppedSamples, this.costFamily);
    if (keptSamples === 0) {
      add(this.result.droppedSeries, 'no_samples', 1);
      return;
    }
    this.result.acceptedSamples += keptSamples;
    // filterSamples leaves the kept samples sorted by time: the last one is the newest.
    const newest = samples[keptSamples - 1].timestamp;
    if (this.result.newestTimestamp === undefined || newest > this.result.newestTimestamp) this.result.newestTimestamp = newest;
    if (this.result.oldestTimestamp === undefined || samples[0].timestamp < this.result.oldestTimestamp) this.result.oldestTimestamp = samples[0].timestamp;
    this.kept.push(this.place(copyable && !this.reordered, samples, keptSamples));
  }

  /**
   * Records one label's offsets. Returns whether it is canonically encoded (name field then
   * value field, nothing else), which is what copying its bytes through requires.
   */
  private label(fieldStart: number, end: number): boolean {
    const buf = this.bytes;
    if (this.labelCount * STRIDE === this.labelOffsets.length) {
      const grown = new Int32Array(this.labelOffsets.length * 2);
      grown.set(this.labelOffsets);
      this.labelOffsets = grown;
    }
    const at = this.labelCount++ * STRIDE;
    const offsets = this.labelOffsets;
    const innerStart = this.pos;
    let nameStart = this.pos;
    let nameEnd = this.pos;
    let valueStart = this.pos;
    let valueEnd = this.pos;
    let canonical = false;
    if (this.pos < end && buf[this.pos] === TAG_FIELD_1_LEN) {
      this.pos++;
      nameEnd = this.lengthDelimitedEnd(end);
      nameStart = this.pos;
      this.pos = nameEnd;
      if (this.pos < end && buf[this.pos] === TAG_FIELD_2_LEN) {
        this.pos++;
        valueEnd = this.lengthDelimitedEnd(end);
        valueStart = this.pos;
        this.pos = valueEnd;
        canonical = valueEnd === end;
      } else {
        valueStart = valueEnd = nameEnd;
      }
    }
    // Anything else (fields in another order, repeated, unknown, or missing): read it as the
    // reference decoder does, the last occurrence of a field winning, and re-encode the label.
    while (this.pos < end) {
      const tag = this.varint32();
      if (tag === TAG_FIELD_1_LEN || tag === TAG_FIELD_2_LEN) {
        const fieldEnd = this.lengthDelimitedEnd(end);
        if (tag === TAG_FIELD_1_LEN) {
          nameStart = this.pos;
          nameEnd = fieldEnd;
        } else {
          valueStart = this.pos;
          valueEnd = fieldEnd;
        }
        this.pos = fieldEnd;
      } else {
        this.skip(tag & 7, end);
      }
    }
    if (end - innerStart >= 128 || nameEnd - nameStart >= 128 || valueEnd - valueStart >= 128) this.shortLabels = false;
    offsets[at] = fieldStart;
    offsets[at + 1] = end;
    offsets[at + 2] = nameStart;
    offsets[at + 3] = nameEnd;
    offsets[at + 4] = valueStart;
    offsets[at + 5] = valueEnd;
    return canonical;
  }

  private sample(end: number): Sample {
    let value = 0;
    let timestamp = 0;
    while (this.pos < end) {
      const tag = this.varint32();
      if (tag === TAG_SAMPLE_VALUE) {
        if (this.pos + 8 > end) throw DECLINE;
        value = this.view.getFloat64(this.pos, true);
        this.pos += 8;
      } else if (tag === TAG_SAMPLE_TIMESTAMP) {
        timestamp = this.int64(end);
      } else {
        this.skip(tag & 7, end);
      }
    }
    return { value, timestamp };
  }

  /** The checks of `validateSeries`'s `checkLabels`, in the same order, on bytes. */
  private checkLabels(oneRun: boolean): DropReason | undefined {
    const count = this.labelCount;
    const limits = this.limits;
    if (count === 0) return 'empty_labels';
    if (count > limits.maxLabelsPerSeries) return 'too_many_labels';
    const buf = this.bytes;
    const offsets = this.labelOffsets;
    // When the label fields form one run whose framing bytes (tags, one-byte lengths) are all
    // ASCII, the run is valid UTF-8 exactly when every name and value is: one native check
    // instead of a scan per value.
    const allUtf8 = oneRun && this.shortLabels && isUtf8(this.bytes.subarray(offsets[0], offsets[(count - 1) * STRIDE + 1]));
    const maxValue = limits.maxLabelValueLength;
    let metricAt = -1;
    let sorted = true;
    // Consecutive series of one family carry the same label names: their checks carry over.
    const sameNames = this.sameNamesAsPrevious();
    if (sameNames) metricAt = this.previous.metricAt;
    for (let i = 0; i < count; i++) {
      const at = i * STRIDE;
      if (sameNames) {
        if (allUtf8 ? offsets[at + 5] - offsets[at + 4] > maxValue && this.valueTooLong(offsets[at + 4], offsets[at + 5]) : this.valueTooLong(offsets[at + 4], offsets[at + 5])) {
          return 'label_too_long';
        }
        continue;
      }
      const nameStart = offsets[at + 2];
      const nameEnd = offsets[at + 3];
      // A name with any non-ASCII byte is invalid, but whether it is reported as too long or
      // as invalid depends on its decoded length: leave that to the reference path.
      let nameValid = nameEnd > nameStart && LABEL_NAME_CHARS[buf[nameStart]] === 1;
      for (let j = nameStart; j < nameEnd; j++) {
        const c = buf[j];
        if (c >= 0x80) throw DECLINE;
        if (LABEL_NAME_CHARS[c] === 0) nameValid = false;
      }
      const valueStart = offsets[at + 4];
      const valueEnd = offsets[at + 5];
      const valueTooLong = allUtf8 ? valueEnd - valueStart > maxValue && this.valueTooLong(valueStart, valueEnd) : this.valueTooLong(valueStart, valueEnd);
      if (nameEnd - nameStart > limits.maxLabelNameLength || valueTooLong) return 'label_too_long';
      if (!nameValid) return 'invalid_label_name';
      if (equalBytes(buf, nameStart, nameEnd, NAME_BYTES)) metricAt = at;
      if (i > 0 && compareRanges(buf, offsets[at - STRIDE + 2], offsets[at - STRIDE + 3], nameStart, nameEnd) >= 0) sorted = false;
    }
    if (!sameNames && sorted && metricAt >= 0) this.rememberNames(metricAt);
    if (metricAt < 0 || offsets[metricAt + 4] === offsets[metricAt + 5]) return 'missing_metric_name';
    const metricProblem = this.checkMetricName(offsets[metricAt + 4], offsets[metricAt + 5]);
    if (metricProblem !== OK) return metricProblem;
    this.reordered = !sorted;
    if (!sorted) {
      this.sortLabels();
      for (let i = 1; i < count; i++) {
        const at = i * STRIDE;
        if (compareRanges(buf, offsets[at - STRIDE + 2], offsets[at - STRIDE + 3], offsets[at + 2], offsets[at + 3]) === 0) return 'duplicate_label_name';
      }
    }
    return undefined;
  }

  /** Whether this series' label names are, byte for byte and in order, those last remembered. */
  private sameNamesAsPrevious(): boolean {
    const previous = this.previous;
    const count = this.labelCount;
    if (previous.count !== count) return false;
    const buf = this.bytes;
    const offsets = this.labelOffsets;
    const names = previous.names;
    for (let i = 0; i < count; i++) {
      const start = offsets[i * STRIDE + 2];
      const end = offsets[i * STRIDE + 3];
      const otherStart = names[2 * i];
      if (end - start !== names[2 * i + 1] - otherStart) return false;
      for (let j = 0; j < end - start; j++) if (buf[start + j] !== buf[otherStart + j]) return false;
    }
    return true;
  }

  /** Remembers a series' label names after they all passed (valid, within limits, sorted, with `__name__`). */
  private rememberNames(metricAt: number): void {
    const count = this.labelCount;
    const previous = this.previous;
    if (previous.names.length < 2 * count) previous.names = new Int32Array(4 * count);
    for (let i = 0; i < count; i++) {
      previous.names[2 * i] = this.labelOffsets[i * STRIDE + 2];
      previous.names[2 * i + 1] = this.labelOffsets[i * STRIDE + 3];
    }
    previous.count = count;
    previous.metricAt = metricAt;
  }

  /**
   * The metric name's verdict, computed once per distinct name in the request: a scrape-shaped
   * request repeats a few dozen names thousands of times, and making a string of each to test
   * it against the pattern and the allow-list cost more than all the other label checks.
   */
  private checkMetricName(start: number, end: number): DropReason | typeof OK {
    const buf = this.bytes;
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ buf[i], 0x01000193);
    const known = this.metricNames.get(hash);
    if (known !== undefined) {
      for (const entry of known) if (compareRanges(buf, entry.start, entry.end, start, end) === 0) return entry.verdict;
    }
    // Non-ASCII bytes read as latin1 are outside the pattern too, as their UTF-8 reading is.
    const name = Buffer.prototype.latin1Slice.call(this.buf, start, end) as string;
    const verdict: DropReason | typeof OK = !METRIC_NAME.test(name) ? 'invalid_metric_name' : this.limits.allowList && !this.limits.allowList.has(name) ? 'not_allowed' : OK;
    const entry = { start, end, verdict };
    if (known === undefined) this.metricNames.set(hash, [entry]);
    else known.push(entry);
    return verdict;
  }

  /**
   * The reference compares a value's length in UTF-16 units. ASCII values (nearly all) have
   * as many bytes as units; others must be valid UTF-8 (or the reference path takes over) and
   * are measured decoded when their byte length alone exceeds the limit.
   */
  private valueTooLong(start: number, end: number): boolean {
    const buf = this.bytes;
    let ascii = true;
    for (let j = start; j < end; j++) {
      if (buf[j] >= 0x80) {
        ascii = false;
        break;
      }
    }
    const max = this.limits.maxLabelValueLength;
    if (ascii) return end - start > max;
    const bytes = buf.subarray(start, end);
    if (!isUtf8(bytes)) throw DECLINE;
    return end - start > max && Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8').length > max;
  }

  /** Rare: a sender that does not sort its labels. Sorts the offset records by name bytes. */
  private sortLabels(): void {
    const buf = this.bytes;
    const count = this.labelCount;
    const records = Array.from({ length: count }, (_, i) => this.labelOffsets.slice(i * STRIDE, i * STRIDE + STRIDE));
    records.sort((a, b) => compareRanges(buf, a[2], a[3], b[2], b[3]));
    records.forEach((record, i) => this.labelOffsets.set(record, i * STRIDE));
  }

  private drop(reason: DropReason, samples: number): void {
    add(this.result.droppedSeries, reason, 1);
    add(this.result.droppedSamples, reason, samples);
  }

  /** Decides where tenant_id goes in this (valid, sorted) series and how long the series becomes. */
  private place(copyRun: boolean, samples: Sample[], sampleCount: number): KeptSeries {
    const buf = this.bytes;
    const offsets = this.labelOffsets;
    const count = this.labelCount;
    let tenantIndex = 0;
    while (tenantIndex < count && compareWith(buf, offsets[tenantIndex * STRIDE + 2], offsets[tenantIndex * STRIDE + 3], TENANT_BYTES) < 0) tenantIndex++;
    const replacesTenant = tenantIndex < count && equalBytes(buf, offsets[tenantIndex * STRIDE + 2], offsets[tenantIndex * STRIDE + 3], TENANT_BYTES);
    let bodyLength = this.tenantField.length;
    for (let i = 0; i < sampleCount; i++) bodyLength += 2 + 9 + 1 + int64Size(samples[i].timestamp);
    const kept: KeptSeries = {
      labels: undefined,
      runStart: 0,
      splitAt: 0,
      resumeAt: 0,
      runEnd: 0,
      tenantIndex,
      replacesTenant,
      samples,
      sampleCount,
      bodyLength: 0,
    };
    if (copyRun) {
      kept.runStart = offsets[0];
      kept.runEnd = offsets[(count - 1) * STRIDE + 1];
      kept.splitAt = tenantIndex < count ? offsets[tenantIndex * STRIDE] : kept.runEnd;
      kept.resumeAt = replacesTenant ? offsets[tenantIndex * STRIDE + 1] : kept.splitAt;
      bodyLength += kept.runEnd - kept.runStart - (kept.resumeAt - kept.splitAt);
    } else {
      kept.labels = offsets.slice(0, count * STRIDE);
      for (let i = 0; i < count; i++) {
        if (replacesTenant && i === tenantIndex) continue;
        const at = i * STRIDE;
        const inner = labelInnerLength(offsets[at + 3] - offsets[at + 2], offsets[at + 5] - offsets[at + 4]);
        bodyLength += 1 + varintSize(inner) + inner;
      }
    }
    kept.bodyLength = bodyLength;
    return kept;
  }

  private encode(): Buffer {
    const buf = this.bytes;
    let total = 0;
    for (const series of this.kept) total += 1 + varintSize(series.bodyLength) + series.bodyLength;
    for (let i = 0; i < this.metadata.length; i += 2) {
      const length = this.metadata[i + 1] - this.metadata[i];
      total += 1 + varintSize(length) + length;
    }
    const out = Buffer.allocUnsafe(total);
    const outBytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    const tenantField = this.tenantField;
    let at = 0;
    for (const series of this.kept) {
      out[at++] = TAG_FIELD_1_LEN;
      at = writeVarint(out, at, series.bodyLength);
      const bodyStart = at;
      if (series.labels === undefined) {
        at = copy(buf, series.runStart, series.splitAt, outBytes, at);
        at += tenantField.copy(out, at);
        at = copy(buf, series.resumeAt, series.runEnd, outBytes, at);
      } else {
        const labels = series.labels;
        const count = labels.length / STRIDE;
        for (let i = 0; i <= count; i++) {
          if (i === series.tenantIndex) at += tenantField.copy(out, at);
          if (i === count || (series.replacesTenant && i === series.tenantIndex)) continue;
          const o = i * STRIDE;
          const nameLength = labels[o + 3] - labels[o + 2];
          const valueLength = labels[o + 5] - labels[o + 4];
          out[at++] = TAG_FIELD_1_LEN;
          at = writeVarint(out, at, labelInnerLength(nameLength, valueLength));
          out[at++] = TAG_FIELD_1_LEN;
          at = writeVarint(out, at, nameLength);
          at = copy(buf, labels[o + 2], labels[o + 3], outBytes, at);
          out[at++] = TAG_FIELD_2_LEN;
          at = writeVarint(out, at, valueLength);
          at = copy(buf, labels[o + 4], labels[o + 5], outBytes, at);
        }
      }
      const samples = series.samples;
      for (let i = 0; i < series.sampleCount; i++) {
        const { value, timestamp } = samples[i];
        out[at++] = TAG_FIELD_2_LEN;
        out[at++] = 9 + 1 + int64Size(timestamp);
        out[at++] = TAG_SAMPLE_VALUE;
        out.writeDoubleLE(value, at);
        at += 8;
        out[at++] = TAG_SAMPLE_TIMESTAMP;
        at = writeInt64(out, at, timestamp);
      }
      if (at - bodyStart !== series.bodyLength) throw new Error(`pass-through encoder wrote ${at - bodyStart} bytes for a ${series.bodyLength}-byte series`);
    }
    for (let i = 0; i < this.metadata.length; i += 2) {
      out[at++] = TAG_FIELD_3_LEN;
      at = writeVarint(out, at, this.metadata[i + 1] - this.metadata[i]);
      at = copy(buf, this.metadata[i], this.metadata[i + 1], outBytes, at);
    }
    if (at !== total) throw new Error(`pass-through encoder wrote ${at} of ${total} bytes`);
    return out;
  }

  /** A varint of up to 32 bits (tags and lengths), as protobufjs's `uint32` reads it. */
  private varint32(): number {
    const buf = this.bytes;
    let pos = this.pos;
    let byte = buf[pos++];
    let value = byte & 0x7f;
    if (byte >= 0x80) {
      byte = buf[pos++];
      value |= (byte & 0x7f) << 7;
      if (byte >= 0x80) {
        byte = buf[pos++];
        value |= (byte & 0x7f) << 14;
        if (byte >= 0x80) {
          byte = buf[pos++];
          value |= (byte & 0x7f) << 21;
          if (byte >= 0x80) {
            byte = buf[pos++];
            value |= (byte & 0x0f) << 28;
            // Longer encodings (or a varint running off the end) are left to the reference decoder.
            if (byte >= 0x80) throw DECLINE;
          }
        }
      }
    }
    if (pos > buf.length) throw DECLINE;
    this.pos = pos;
    return value >>> 0;
  }

  /** Reads a length and returns where the field ends, which must not pass `limit`. */
  private lengthDelimitedEnd(limit: number): number {
    const length = this.varint32();
    const end = this.pos + length;
    if (end > limit) throw DECLINE;
    return end;
  }

  /** An int64 timestamp, read as the reference codec reads it. */
  private int64(limit: number): number {
    try {
      return readInt64(this.bytes, this, limit);
    } catch {
      throw DECLINE;
    }
  }

  private skip(wireType: number, limit: number): void {
    switch (wireType) {
      case WIRE_VARINT: {
        const start = this.pos;
        while (this.pos < limit && this.buf[this.pos] >= 0x80) this.pos++;
        this.pos++;
        if (this.pos > limit || this.pos - start > 10) throw DECLINE;
        return;
      }
      case WIRE_64BIT:
        this.pos += 8;
        break;
      case WIRE_LENGTH_DELIMITED:
        this.pos = this.lengthDelimitedEnd(limit);
        return;
      case WIRE_32BIT:
        this.pos += 4;
        break;
      default:
        // Groups (deprecated) and invalid wire types: the reference decoder decides.
        throw DECLINE;
    }
    if (this.pos > limit) throw DECLINE;
  }
}

function labelInnerLength(nameLength: number, valueLength: number): number {
  return 1 + varintSize(nameLength) + nameLength + 1 + varintSize(valueLength) + valueLength;
}

/** Short copies (most label runs are tens of bytes) are cheaper in JS than a native call. */
function copy(from: Uint8Array, start: number, end: number, to: Uint8Array, at: number): number {
  const length = end - start;
  if (length > 64) {
    to.set(from.subarray(start, end), at);
    return at + length;
  }
  for (let i = start; i < end; i++) to[at++] = from[i];
  return at;
}

/** Byte order of two ranges of `buf` (names are ASCII here, so this is also their string order). */
function compareRanges(buf: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const aLength = aEnd - aStart;
  const bLength = bEnd - bStart;
  const n = aLength < bLength ? aLength : bLength;
  for (let i = 0; i < n; i++) {
    const d = buf[aStart + i] - buf[bStart + i];
    if (d !== 0) return d;
  }
  return aLength - bLength;
}

function compareWith(buf: Uint8Array, start: number, end: number, other: Uint8Array): number {
  const length = end - start;
  const n = length < other.length ? length : other.length;
  for (let i = 0; i < n; i++) {
    const d = buf[start + i] - other[i];
    if (d !== 0) return d;
  }
  return length - other.length;
}

function equalBytes(buf: Uint8Array, start: number, end: number, expected: Uint8Array): boolean {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (buf[start + i] !== expected[i]) return false;
  return true;
}
