import snappy from 'snappy';
import { decodeWriteRequest, encodeWriteRequest } from '../../lib/remote-write/codec';
import type { TimeSeries } from '../../lib/remote-write/write-request';
import { AGENT_CAPTURES, fixture } from './fixtures';
import { REMOTE_WRITE_HEADERS } from './remote-write';
import { seededRandom } from '../../dev/seeded-random';

export { seededRandom };

/** A generated remote-write request and what a correct receiver may answer to it. */
export interface FuzzCase {
  kind: string;
  body: Buffer;
  headers: Record<string, string>;
  /** Statuses this case must get; undefined: any 2xx or 4xx (what the fuzz checks for every case). */
  expect?: number[];
}

const compress = (bytes: Uint8Array) => snappy.compressSync(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
const uncompress = (body: Buffer) => snappy.uncompressSync(body, { asBuffer: true }) as Buffer;

function varint(value: bigint): Buffer {
  const bytes: number[] = [];
  let v = value;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (v > 0n);
  return Buffer.from(bytes);
}

const series = (labels: Record<string, string>, samples: Array<[number, number]>): TimeSeries => ({
  labels: Object.entries(labels)
    .map(([name, value]) => ({ name, value }))
    .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)),
  samples: samples.map(([timestamp, value]) => ({ timestamp, value })),
});

const METRICS = ['node_cpu_hourly_cost', 'node_ram_hourly_cost', 'container_cpu_allocation', 'pv_hourly_cost', 'kubecost_cluster_info', 'not_on_the_allow_list'];

/**
 * Bodies that real senders produce: the captured agent requests with their timestamps moved to
 * now (so they are not simply dropped as too old), and generated scrape-shaped requests.
 */
export function validBodies(now: number, random: () => number, count: number): Buffer[] {
  const captures = AGENT_CAPTURES.map((capture) => {
    const request = decodeWriteRequest(uncompress(capture.body));
    for (const s of request.timeseries) for (const sample of s.samples) sample.timestamp = now - 1000 - Math.floor(random() * 60_000);
    return compress(encodeWriteRequest(request.timeseries, request.metadata));
  });
  const generated = Array.from({ length: count }, (_, i) => {
    const n = 1 + Math.floor(random() * 20);
    const list = Array.from({ length: n }, (_, j) =>
      series(
        { __name__: METRICS[Math.floor(random() * METRICS.length)], node: `node-${i}-${j}`, namespace: 'fuzz-a', instance: `10.0.${j}.${i % 255}:9003` },
        [[now - Math.floor(random() * 600_000), random() * 10]],
      ),
    );
    return compress(encodeWriteRequest(list));
  });
  return [...AGENT_CAPTURES.map((c) => c.body), fixture('prometheus-agent', 'agent-remote-write-metadata.bin'), ...captures, ...generated];
}

/**
 * The named hostile inputs, each once, with the status a correct worker gives it.
 * Far-past and far-future samples are dropped (and counted) rather than refused: the same
 * request may carry good samples, which must not be lost with them.
 */
export function specialCases(now: number): FuzzCase[] {
  const h = REMOTE_WRITE_HEADERS;
  const body = (list: TimeSeries[], metadata: Uint8Array[] = []) => compress(encodeWriteRequest(list, metadata));
  const node = (extra: Record<string, string> = {}) => ({ __name__: 'node_cpu_hourly_cost', node: 'fuzz-special', ...extra });
  const cases: FuzzCase[] = [];
  // Snappy headers declaring huge decoded lengths, with a few real bytes after them.
  for (const declared of [2n ** 32n - 1n, 2n ** 31n, 2n ** 30n, 64n * 1024n * 1024n + 1n, 2n ** 35n - 1n]) {
    cases.push({ kind: 'snappy-huge-length', body: Buffer.concat([varint(declared), Buffer.from([0x00, 0x0a, 0x02, 0x08, 0x01])]), headers: h, expect: [413] });
  }
  // A length header that never ends, and a small declared length with a corrupt payload.
  cases.push({ kind: 'snappy-bad-length', body: Buffer.alloc(12, 0xff), headers: h, expect: [400] });
  cases.push({ kind: 'snappy-lying-length', body: Buffer.concat([varint(60n * 1024n * 1024n), Buffer.alloc(64, 0xfe)]), headers: h, expect: [400] });
  // One series with 100,000 labels (a few MiB decoded).
  const many: Record<string, string> = node();
  for (let i = 0; i < 100_000; i++) many[`l${i}`] = `v${i}`;
  cases.push({ kind: '100k-labels', body: body([series(many, [[now, 1]])]), headers: h, expect: [400] });
  // Oversized label values and names.
  for (const length of [4097, 65_536, 1024 * 1024]) {
    cases.push({ kind: 'oversized-label-value', body: body([series(node({ pod: 'x'.repeat(length) }), [[now, 1]])]), headers: h, expect: [400] });
  }
  cases.push({ kind: 'oversized-label-name', body: body([series(node({ [`n${'x'.repeat(300)}`]: 'v' }), [[now, 1]])]), headers: h, expect: [400] });
  // Values the store accepts as they are.
  for (const [name, value] of [
    ['nan', NaN],
    ['inf', Infinity],
    ['-inf', -Infinity],
    ['stale-nan', new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0]],
  ] as const) {
    cases.push({ kind: `value-${name}`, body: body([series(node({ probe: name }), [[now, value]])]), headers: h, expect: [204] });
  }
  // Far-past and far-future timestamps: dropped, alone or beside a good sample.
  for (const ts of [0, -1, -1e12, now - 36 * 86_400_000, now + 3_600_000, now + 365 * 86_400_000, 8.64e15, Number.MAX_SAFE_INTEGER]) {
    cases.push({ kind: 'timestamp-out-of-window', body: body([series(node({ probe: `ts-${ts}` }), [[ts, 1]])]), headers: h, expect: [204] });
    cases.push({ kind: 'timestamp-out-of-window-mixed', body: body([series(node({ probe: `ts-mixed-${ts}` }), [[ts, 1]]), series(node({ probe: 'good' }), [[now, 1]])]), headers: h, expect: [204] });
  }
  // Metadata only: the captured one and a generated one with a large help text.
  cases.push({ kind: 'metadata-only', body: fixture('prometheus-agent', 'agent-remote-write-metadata.bin'), headers: h, expect: [204] });
  const metadata = Buffer.concat([Buffer.from([0x08, 0x02, 0x12, 0x04]), Buffer.from('fuzz'), Buffer.from([0x22]), varint(100_000n), Buffer.alloc(100_000, 0x61)]);
  cases.push({ kind: 'metadata-only', body: body([], [metadata]), headers: h, expect: [204] });
  // Empty bodies: nothing at all, and an empty (valid) WriteRequest.
  cases.push({ kind: 'empty', body: Buffer.alloc(0), headers: h, expect: [400] });
  cases.push({ kind: 'empty-write-request', body: compress(new Uint8Array(0)), headers: h, expect: [204] });
  cases.push({ kind: 'empty-no-encoding', body: Buffer.alloc(0), headers: { 'Content-Type': 'application/x-protobuf' }, expect: [415] });
  // Malformed series: every one of them invalid, so the request is refused.
  cases.push({ kind: 'empty-label-set', body: body([series({}, [[now, 1]])]), headers: h, expect: [400] });
  cases.push({ kind: 'duplicate-label', body: body([{ labels: [{ name: '__name__', value: 'node_cpu_hourly_cost' }, { name: 'a', value: '1' }, { name: 'a', value: '2' }], samples: [{ timestamp: now, value: 1 }] }]), headers: h, expect: [400] });
  cases.push({ kind: 'invalid-label-name', body: body([series(node({ 'bad-name': 'x' }), [[now, 1]])]), headers: h, expect: [400] });
  // Protobuf framing lies: a length far past the end, a group, a zero field number.
  for (const [kind, raw] of [
    ['proto-huge-length', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a, 0x00])],
    ['proto-group', Buffer.from([0x0b, 0x0a, 0x00, 0x0c])],
    ['proto-field-zero', Buffer.from([0x02, 0x00])],
    ['proto-truncated-varint', Buffer.from([0x0a, 0x80, 0x80])],
  ] as const) {
    cases.push({ kind, body: compress(raw), headers: h });
  }
  return cases;
}

/**
 * One random hostile body derived from `valid`: random bytes, or a valid request truncated or
 * bit-flipped before or after compression.
 */
export function mutatedCase(valid: readonly Buffer[], random: () => number): FuzzCase {
  const pick = () => valid[Math.floor(random() * valid.length)];
  const int = (n: number) => Math.floor(random() * n);
  const flip = (bytes: Buffer) => {
    const copy = Buffer.from(bytes);
    const flips = 1 + int(8);
    for (let i = 0; i < flips && copy.length > 0; i++) copy[int(copy.length)] ^= 1 << int(8);
    return copy;
  };
  const h = REMOTE_WRITE_HEADERS;
  const roll = random();
  if (roll < 0.2) {
    const bytes = Buffer.alloc(int(2048));
    for (let i = 0; i < bytes.length; i++) bytes[i] = int(256);
    return { kind: 'random-bytes', body: bytes, headers: h };
  }
  if (roll < 0.3) {
    const bytes = Buffer.alloc(int(2048));
    for (let i = 0; i < bytes.length; i++) bytes[i] = int(256);
    return { kind: 'random-protobuf', body: compress(bytes), headers: h };
  }
  if (roll < 0.45) {
    const body = pick();
    return { kind: 'truncated-compressed', body: body.subarray(0, int(body.length)), headers: h };
  }
  if (roll < 0.6) {
    const decoded = uncompress(pick());
    return { kind: 'truncated-decoded', body: compress(decoded.subarray(0, int(decoded.length))), headers: h };
  }
  if (roll < 0.75) return { kind: 'bitflip-compressed', body: flip(pick()), headers: h };
  if (roll < 0.92) return { kind: 'bitflip-decoded', body: compress(flip(uncompress(pick()))), headers: h };
  return { kind: 'valid', body: pick(), headers: h };
}
