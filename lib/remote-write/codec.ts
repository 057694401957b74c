import { Reader, Writer } from 'protobufjs/minimal';
import { RemoteWriteFormatError } from './errors';
import { int64Size, readInt64, WIRE_64BIT, WIRE_LENGTH_DELIMITED, WIRE_VARINT } from './wire';
import type { Label, Sample, TimeSeries, WriteRequest } from './write-request';

/*
 * A codec for exactly the messages remote write 1.0 uses, on protobufjs's wire primitives.
 * Field numbers follow prompb/remote.proto and prompb/types.proto:
 *   WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; exemplars = 3; histograms = 4; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }
 */

function decodeLabel(reader: Reader, end: number): Label {
  let name = '';
  let value = '';
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case (1 << 3) | WIRE_LENGTH_DELIMITED:
        name = reader.string();
        break;
      case (2 << 3) | WIRE_LENGTH_DELIMITED:
        value = reader.string();
        break;
      default:
        reader.skipType(tag & 7);
    }
  }
  return { name, value };
}

function decodeSample(reader: Reader, end: number): Sample {
  let value = 0;
  let timestamp = 0;
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case (1 << 3) | WIRE_64BIT:
        value = reader.double();
        break;
      case (2 << 3) | WIRE_VARINT:
        timestamp = readInt64(reader.buf, reader, reader.len);
        break;
      default:
        reader.skipType(tag & 7);
    }
  }
  return { value, timestamp };
}

function decodeSeries(reader: Reader, end: number, request: WriteRequest): TimeSeries {
  const labels: Label[] = [];
  const samples: Sample[] = [];
  while (reader.pos < end) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    if ((tag & 7) !== WIRE_LENGTH_DELIMITED) {
      reader.skipType(tag & 7);
      continue;
    }
    const length = reader.uint32();
    const innerEnd = reader.pos + length;
    if (innerEnd > end) throw new RangeError('index out of range');
    switch (field) {
      case 1:
        labels.push(decodeLabel(reader, innerEnd));
        break;
      case 2:
        samples.push(decodeSample(reader, innerEnd));
        break;
      case 3:
        request.ignoredExemplars++;
        reader.pos = innerEnd;
        break;
      case 4:
        request.ignoredHistograms++;
        reader.pos = innerEnd;
        break;
      default:
        reader.pos = innerEnd;
    }
    if (reader.pos !== innerEnd) throw new RangeError('length mismatch in nested message');
  }
  return { labels, samples };
}

/** Decodes an uncompressed WriteRequest; malformed bytes become a 400 that says what was wrong. */
export function decodeWriteRequest(bytes: Uint8Array): WriteRequest {
  const request: WriteRequest = { timeseries: [], metadata: [], ignoredExemplars: 0, ignoredHistograms: 0 };
  const reader = Reader.create(bytes);
  try {
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      const field = tag >>> 3;
      if (field === 0) throw new RangeError('invalid field number 0');
      if ((field === 1 || field === 3) && (tag & 7) === WIRE_LENGTH_DELIMITED) {
        const length = reader.uint32();
        const end = reader.pos + length;
        if (end > reader.len) throw new RangeError('index out of range');
        if (field === 1) {
          request.timeseries.push(decodeSeries(reader, end, request));
        } else {
          request.metadata.push(bytes.subarray(reader.pos, end));
          reader.pos = end;
        }
      } else {
        reader.skipType(tag & 7);
      }
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new RemoteWriteFormatError(400, `protobuf: cannot decode WriteRequest: ${reason}`);
  }
  return request;
}

/** Encodes series (and pass-through metadata) as a WriteRequest. */
export function encodeWriteRequest(timeseries: readonly TimeSeries[], metadata: readonly Uint8Array[] = []): Uint8Array {
  const writer = Writer.create();
  for (const series of timeseries) {
    writer.uint32((1 << 3) | WIRE_LENGTH_DELIMITED).fork();
    for (const label of series.labels) {
      writer.uint32((1 << 3) | WIRE_LENGTH_DELIMITED).fork();
      writer.uint32((1 << 3) | WIRE_LENGTH_DELIMITED).string(label.name);
      writer.uint32((2 << 3) | WIRE_LENGTH_DELIMITED).string(label.value);
      writer.ldelim();
    }
    for (const sample of series.samples) {
      // A sample is at most 1 + 8 + 1 + 10 bytes: write its length up front instead of forking.
      writer.uint32((2 << 3) | WIRE_LENGTH_DELIMITED).uint32(9 + 1 + int64Size(sample.timestamp));
      writer.uint32((1 << 3) | WIRE_64BIT).double(sample.value);
      writer.uint32((2 << 3) | WIRE_VARINT).int64(sample.timestamp);
    }
    writer.ldelim();
  }
  for (const entry of metadata) {
    writer.uint32((3 << 3) | WIRE_LENGTH_DELIMITED).bytes(entry);
  }
  return writer.finish();
}
