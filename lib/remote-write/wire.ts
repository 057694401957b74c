/*
 * Protocol buffers wire primitives shared by the reference codec and the ingest fast path.
 * Timestamps are int64 varints read straight into doubles: a generic decoder would build a
 * Long object per sample.
 */

export const WIRE_VARINT = 0;
export const WIRE_64BIT = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_32BIT = 5;

/** A field's tag byte(s) value: field number and wire type. */
export const fieldTag = (field: number, wireType: number): number => (field << 3) | wireType;

/**
 * Reads an int64 varint at `cursor.pos` (not past `limit`) as a JS number and moves the cursor
 * past it. Up to 7 bytes (49 bits, every millisecond timestamp until the year 19800) are summed
 * exactly in doubles; longer ones, negative values included, take the exact BigInt path.
 * Throws a RangeError for a varint running past `limit` or longer than 10 bytes.
 */
export function readInt64(buf: Uint8Array, cursor: { pos: number }, limit: number): number {
  const start = cursor.pos;
  let result = 0;
  let multiplier = 1;
  for (let pos = start; pos < start + 7 && pos < limit; pos++) {
    const byte = buf[pos];
    result += (byte & 0x7f) * multiplier;
    if (byte < 0x80) {
      cursor.pos = pos + 1;
      return result;
    }
    multiplier *= 128;
  }
  let big = 0n;
  for (let i = 0; i < 10; i++) {
    const pos = start + i;
    if (pos >= limit) throw new RangeError('index out of range');
    const byte = buf[pos];
    big |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if (byte < 0x80) {
      cursor.pos = pos + 1;
      return Number(BigInt.asIntN(64, big));
    }
  }
  throw new RangeError('invalid varint encoding');
}

/** Bytes of a non-negative varint. */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** Bytes of an int64 varint: negative values take ten, as two's complement. */
export function int64Size(value: number): number {
  return value < 0 ? 10 : varintSize(value);
}

/** Writes a non-negative varint at `at`; returns the position after it. */
export function writeVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 128) {
    out[at++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  out[at++] = value;
  return at;
}

/** Writes an int64 varint; negative values are ten bytes of two's complement, as protobufjs writes them. */
export function writeInt64(out: Uint8Array, at: number, value: number): number {
  if (value >= 0) return writeVarint(out, at, value);
  let big = BigInt.asUintN(64, BigInt(value));
  for (let i = 0; i < 9; i++) {
    out[at++] = Number(big & 0x7fn) | 0x80;
    big >>= 7n;
  }
  out[at++] = Number(big);
  return at;
}
