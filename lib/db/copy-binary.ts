/**
 * Rows in PostgreSQL's binary COPY format, for the column types the importer writes.
 *
 * Why by hand: text COPY makes the server parse every value again (timestamps, numerics,
 * uuids), a large share of what a row costs to store (docs/benchmarks/expenses.md, "Binary
 * COPY"). In binary the server copies the values as they are. The npm package for this
 * format (pg-copy-streams-binary) has no numeric, and it builds an object per row and per
 * value; here the rows are written straight into one growing buffer.
 *
 * Format: a signature, flags and header extension; then per row a 16-bit field count and per
 * field a 32-bit byte length (-1 for NULL) followed by the value in the type's send format;
 * then a 16-bit -1.
 */

import { parseDecimal } from './decimal-text';

export type BinaryType = 'uuid' | 'text' | 'timestamptz' | 'numeric' | 'jsonb';

export interface BinaryColumn {
  name: string;
  type: BinaryType;
}

const HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
const TRAILER = Buffer.from([0xff, 0xff]);

/** 2000-01-01T00:00:00Z, PostgreSQL's timestamp epoch, in Unix milliseconds. */
const PG_EPOCH_MILLIS = 946_684_800_000;
const TWO_32 = 4_294_967_296;
const NUMERIC_NEGATIVE = 0x4000;
/** PostgreSQL's limit on a numeric's display scale. */
const NUMERIC_MAX_SCALE = 16_383;
const [MINUS, PLUS, DOT, ZERO_CODE, NINE_CODE] = ['-', '+', '.', '0', '9'].map((ch) => ch.charCodeAt(0));
const HEX = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** The same decimal shape `isDecimal` accepts, split into its parts. */
const DECIMAL_PARTS = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,3}))?$/;

/**
 * A Buffer with its own UTF-8 writer, which every Node.js version so far has: `write` spends
 * about as long again sorting out its optional arguments (0.7 µs an expense in a profile).
 */
type Utf8Buffer = Buffer & { utf8Write(text: string, offset: number): number };

function allocate(bytes: number): Utf8Buffer {
  const buffer = Buffer.allocUnsafe(bytes) as Utf8Buffer;
  if (typeof buffer.utf8Write !== 'function') buffer.utf8Write = (text, offset) => buffer.write(text, offset, 'utf8');
  return buffer;
}

export class BinaryCopyError extends Error {
  constructor(message: string) {
    super(`binary COPY: ${message}`);
    this.name = 'BinaryCopyError';
  }
}

/**
 * Rows written one value at a time, in column order. `toBuffer` gives the COPY data, without
 * the rows whose positions are listed, so a batch can drop rows found to be present already.
 */
export class BinaryCopyRows {
  /** The header, then the rows: the data of every row is a view of it, with no copy. */
  private buffer: Utf8Buffer;
  private length = HEADER.length;
  /** Byte offset where each row starts. */
  private readonly starts: number[] = [];
  private fieldsLeft = 0;
  /** Scratch space for the base-10000 digits of one numeric. */
  private groups = new Uint16Array(32);

  constructor(
    readonly columns: readonly BinaryColumn[],
    initialBytes = 1 << 20,
  ) {
    this.buffer = allocate(Math.max(initialBytes, 64));
    HEADER.copy(this.buffer);
  }

  /** Forgets every row, keeping the buffer for the next ones. */
  clear(): void {
    this.length = HEADER.length;
    this.starts.length = 0;
    this.fieldsLeft = 0;
  }

  beginRow(): void {
    if (this.fieldsLeft !== 0) throw new BinaryCopyError(`the previous row lacks ${this.fieldsLeft} values`);
    this.starts.push(this.length);
    this.reserve(2);
    this.buffer.writeInt16BE(this.columns.length, this.length);
    this.length += 2;
    this.fieldsLeft = this.columns.length;
  }

  null(): void {
    this.field(-1);
  }

  text(value: string | null): void {
    if (value === null) return this.null();
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    this.reserve(4 + value.length * 3);
    const bytes = this.buffer.utf8Write(value, this.length + 4);
    this.field(bytes);
    this.length += bytes;
  }

  /** A uuid as 32 hexadecimal digits, with or without its dashes. */
  uuid(value: string): void {
    const hex = value.length === 32 ? value : HEX.test(value) ? value.replace(/-/g, '') : '';
    this.field(16);
    // Hexadecimal decoding stops at the first pair that is not hexadecimal.
    if (hex.length !== 32 || this.buffer.write(hex, this.length, 'hex') !== 16) {
      this.length -= 4;
      this.fieldsLeft++;
      throw new BinaryCopyError(`"${value.slice(0, 40)}" is not a uuid`);
    }
    this.length += 16;
  }

  /** A uuid given as its 16 bytes. */
  uuidBytes(bytes: Uint8Array): void {
    if (bytes.length !== 16) throw new BinaryCopyError(`a uuid has 16 bytes, not ${bytes.length}`);
    this.field(16);
    this.buffer.set(bytes, this.length);
    this.length += 16;
  }

  /** An instant in Unix milliseconds (whole milliseconds: FOCUS has no finer grain). */
  timestamptz(millis: number): void {
    if (!Number.isInteger(millis)) throw new BinaryCopyError(`${millis} is not a whole number of milliseconds`);
    this.field(8);
    const micros = (millis - PG_EPOCH_MILLIS) * 1000;
    if (Number.isSafeInteger(micros)) {
      const high = Math.floor(micros / TWO_32);
      this.buffer.writeInt32BE(high, this.length);
      this.buffer.writeUInt32BE(micros - high * TWO_32, this.length + 4);
    } else {
      this.buffer.writeBigInt64BE((BigInt(millis) - BigInt(PG_EPOCH_MILLIS)) * 1000n, this.length);
    }
    this.length += 8;
  }

  /**
   * A decimal number written in plain or scientific notation, with the display scale
   * PostgreSQL's own input function would give it ("0.50" keeps two decimals).
   */
  numeric(text: string): void {
    if (this.plainNumeric(text)) return;
    const plain = plainNotation(text);
    if (plain === undefined || !this.plainNumeric(plain)) throw new BinaryCopyError(`"${text.slice(0, 40)}" is not a decimal number`);
  }

  /**
   * `numeric` for plain notation ("-12.50", what billing exports write), reading the digits in
   * place. False, having written nothing, when the text is not plain.
   */
  private plainNumeric(text: string): boolean {
    const length = text.length;
    const first = length > 0 ? text.charCodeAt(0) : 0;
    let at = first === MINUS || first === PLUS ? 1 : 0;
    let point = length;
    for (let i = at; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code === DOT && point === length) point = i;
      else if (code < ZERO_CODE || code > NINE_CODE) return false;
    }
    const fractionDigits = point === length ? 0 : length - point - 1;
    if (point - at + fractionDigits === 0 || fractionDigits > NUMERIC_MAX_SCALE) return false;
    while (at < point && text.charCodeAt(at) === ZERO_CODE) at++;
    // Base-10000 digits are aligned on the decimal point: those before it from the point
    // leftwards, those after it from the point rightwards, the last one padded with zeros.
    const before = Math.ceil((point - at) / 4);
    const count = before + Math.ceil(fractionDigits / 4);
    const groups = count <= this.groups.length ? this.groups : (this.groups = new Uint16Array(count));
    for (let g = before - 1, end = point; g >= 0; g--, end -= 4) {
      let value = 0;
      for (let i = Math.max(at, end - 4); i < end; i++) value = value * 10 + text.charCodeAt(i) - ZERO_CODE;
      groups[g] = value;
    }
    for (let g = before, start = point + 1; g < count; g++, start += 4) {
      let value = 0;
      for (let i = start; i < start + 4; i++) value = value * 10 + (i < length ? text.charCodeAt(i) - ZERO_CODE : 0);
      groups[g] = value;
    }
    // Zero groups at either end carry nothing; the weight keeps the point in place.
    let low = 0;
    let high = count;
    while (low < high && groups[low] === 0) low++;
    while (high > low && groups[high - 1] === 0) high--;
    const kept = high - low;
    this.field(8 + 2 * kept);
    const buffer = this.buffer;
    let out = this.length;
    buffer.writeInt16BE(kept, out);
    buffer.writeInt16BE(kept === 0 ? 0 : before - 1 - low, out + 2);
    buffer.writeUInt16BE(first === MINUS && kept > 0 ? NUMERIC_NEGATIVE : 0, out + 4);
    buffer.writeUInt16BE(fractionDigits, out + 6);
    out += 8;
    for (let g = low; g < high; g++, out += 2) buffer.writeUInt16BE(groups[g], out);
    this.length = out;
    return true;
  }

  /** JSON text, sent as written: jsonb's send format is a version byte and the text. */
  jsonb(text: string | null): void {
    if (text === null) return this.null();
    this.reserve(5 + text.length * 3);
    this.buffer[this.length + 4] = 1;
    const bytes = this.buffer.utf8Write(text, this.length + 5);
    this.field(bytes + 1);
    this.length += bytes + 1;
  }

  /**
   * The COPY data: every row but those at the positions in `skip`, in the order of the
   * positions in `order` when given (it must list each row once). With every row in the order
   * they were written, it is a view of the rows' buffer, valid until the next row is added.
   */
  toBuffer(skip?: ReadonlySet<number>, order?: ArrayLike<number>): Buffer {
    if (this.fieldsLeft !== 0) throw new BinaryCopyError(`the last row lacks ${this.fieldsLeft} values`);
    if (order && order.length !== this.starts.length) throw new BinaryCopyError(`the order lists ${order.length} of ${this.starts.length} rows`);
    if ((!skip || skip.size === 0) && !order) {
      this.reserve(TRAILER.length);
      TRAILER.copy(this.buffer, this.length);
      return this.buffer.subarray(0, this.length + TRAILER.length);
    }
    const parts: Buffer[] = [HEADER];
    for (let i = 0; i < this.starts.length; i++) {
      const row = order ? order[i] : i;
      if (!skip?.has(row)) parts.push(this.buffer.subarray(this.starts[row], row + 1 < this.starts.length ? this.starts[row + 1] : this.length));
    }
    parts.push(TRAILER);
    return Buffer.concat(parts);
  }

  /** Writes a field's length word, and checks that the row has room for one more value. */
  private field(bytes: number): void {
    if (this.fieldsLeft === 0) throw new BinaryCopyError(`a row has more values than its ${this.columns.length} columns`);
    this.fieldsLeft--;
    this.reserve(4 + Math.max(bytes, 0));
    this.buffer.writeInt32BE(bytes, this.length);
    this.length += 4;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = allocate(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

/**
 * A decimal in scientific notation rewritten in plain notation with as many decimals as
 * PostgreSQL's input function keeps: those written minus the exponent ("1.50E-3" is "0.00150").
 */
function plainNotation(text: string): string | undefined {
  const parts = DECIMAL_PARTS.exec(text);
  if (!parts || (parts[2] === '' && (parts[3] ?? '') === '')) return undefined;
  const [, sign, whole, fraction = '', exponentText = '0'] = parts;
  const digits = whole + fraction;
  const point = whole.length + Number(exponentText);
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  if (point >= 0) return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  return `${sign}0.${'0'.repeat(-point)}${digits}`;
}

/**
 * The rows of binary COPY data as the text each value has in PostgreSQL's text format, for an
 * engine that cannot take COPY (pglite-socket): they are then inserted as untyped parameters.
 */
export function binaryCopyToText(columns: readonly BinaryColumn[], data: Buffer): (string | null)[][] {
  if (!data.subarray(0, HEADER.length).equals(HEADER)) throw new BinaryCopyError('no binary COPY header');
  const rows: (string | null)[][] = [];
  let at = HEADER.length;
  for (;;) {
    const fields = data.readInt16BE(at);
    at += 2;
    if (fields === -1) return rows;
    if (fields !== columns.length) throw new BinaryCopyError(`a row has ${fields} values for ${columns.length} columns`);
    const row: (string | null)[] = [];
    for (const column of columns) {
      const length = data.readInt32BE(at);
      at += 4;
      if (length === -1) {
        row.push(null);
        continue;
      }
      row.push(valueText(column.type, data.subarray(at, at + length)));
      at += length;
    }
    rows.push(row);
  }
}

/** 16 bytes as a uuid's text: 32 hexadecimal digits in groups of 8-4-4-4-12. */
export function uuidText(bytes: Buffer): string {
  const hex = bytes.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function valueText(type: BinaryType, value: Buffer): string {
  switch (type) {
    case 'text':
      return value.toString('utf8');
    case 'jsonb':
      return value.toString('utf8', 1);
    case 'uuid':
      return uuidText(value);
    case 'timestamptz': {
      const millis = Number(value.readBigInt64BE(0) / 1000n) + PG_EPOCH_MILLIS;
      return new Date(millis).toISOString();
    }
    case 'numeric': {
      const count = value.readInt16BE(0);
      const weight = value.readInt16BE(2);
      const negative = value.readUInt16BE(4) === NUMERIC_NEGATIVE;
      const scale = value.readUInt16BE(6);
      let digits = '';
      for (let i = 0; i < count; i++) digits += String(value.readUInt16BE(8 + 2 * i)).padStart(4, '0');
      // `digits` holds the value times 10^(4 * (count - 1 - weight)).
      const shift = 4 * (count - 1 - weight);
      const decimal = parseDecimal(`${negative ? '-' : ''}${digits || '0'}e${-shift}`);
      if (!decimal) throw new BinaryCopyError('an unreadable numeric');
      return fixed(decimal.units, decimal.scale, scale);
    }
  }
}

/** units × 10^-scale written with exactly `decimals` decimals (the value has no more). */
function fixed(units: bigint, scale: number, decimals: number): string {
  const negative = units < 0n;
  let digits = (negative ? -units : units).toString();
  if (decimals > scale) digits += '0'.repeat(decimals - scale);
  else digits = digits.slice(0, digits.length - (scale - decimals)) || '0';
  digits = digits.padStart(decimals + 1, '0');
  const text = decimals === 0 ? digits : `${digits.slice(0, digits.length - decimals)}.${digits.slice(digits.length - decimals)}`;
  return negative && /[1-9]/.test(digits) ? `-${text}` : text;
}
