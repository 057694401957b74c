import snappy from 'snappy';
import { decodeWriteRequest, encodeWriteRequest } from '../../lib/remote-write/codec';
import { RemoteWriteFormatError } from '../../lib/remote-write/errors';
import { compress, compressSync, decompress, decompressSync, snappyDecodedLength } from '../../lib/remote-write/snappy-block';
import { stampTenant } from '../../ingest/pipeline/stamp';
import { AGENT_CAPTURES, fixture } from '../helpers/fixtures';

describe('remote-write codec on real Prometheus 2.42 agent captures', () => {
  it.each(AGENT_CAPTURES.map((capture, i) => [i + 1, capture] as const))('decodes capture %i exactly as the reference decoder did', async (_n, capture) => {
    const raw = await decompress(capture.body, 1 << 20);
    const request = decodeWriteRequest(raw);
    // The reference decoder omits proto3 defaults (a 0 value); the wire means 0.
    const expected = capture.decoded.timeseries.map((s) => ({ ...s, samples: s.samples.map((x) => ({ value: x.value ?? 0, timestamp: x.timestamp })) }));
    expect(request.timeseries).toEqual(expected);
    expect(request.metadata).toHaveLength(0);
  });

  it('re-encodes to bytes that decode to the same request', async () => {
    const raw = await decompress(AGENT_CAPTURES[0].body, 1 << 20);
    const request = decodeWriteRequest(raw);
    const again = decodeWriteRequest(encodeWriteRequest(request.timeseries));
    expect(again.timeseries).toEqual(request.timeseries);
  });

  it('replaces the spoofed tenant_id the captures carry and keeps labels sorted', async () => {
    const request = decodeWriteRequest(await decompress(AGENT_CAPTURES[1].body, 1 << 20));
    expect(request.timeseries.every((s) => s.labels.some((l) => l.name === 'tenant_id' && l.value === 'tenant-agent'))).toBe(true);
    stampTenant(request.timeseries, 'acct-1');
    for (const series of request.timeseries) {
      const tenants = series.labels.filter((l) => l.name === 'tenant_id');
      expect(tenants).toEqual([{ name: 'tenant_id', value: 'acct-1' }]);
      const names = series.labels.map((l) => l.name);
      expect(names).toEqual([...names].sort());
    }
  });

  it('adds tenant_id in sorted position when the series has none', () => {
    const series = [{ labels: [{ name: '__name__', value: 'm' }, { name: 'zone', value: 'a' }], samples: [] }];
    stampTenant(series, 't');
    expect(series[0].labels.map((l) => l.name)).toEqual(['__name__', 'tenant_id', 'zone']);
  });

  it('keeps metadata-only requests as metadata', async () => {
    const request = decodeWriteRequest(await decompress(fixture('prometheus-agent', 'agent-remote-write-metadata.bin'), 1 << 20));
    expect(request.timeseries).toHaveLength(0);
    expect(request.metadata.length).toBeGreaterThan(0);
    const again = decodeWriteRequest(encodeWriteRequest([], request.metadata));
    expect(again.metadata.map((m) => Buffer.from(m).toString('hex'))).toEqual(request.metadata.map((m) => Buffer.from(m).toString('hex')));
  });

  it('round-trips negative, large and special values', () => {
    const series = [
      {
        labels: [{ name: '__name__', value: 'x' }],
        samples: [
          { value: Number.NaN, timestamp: -1 },
          { value: Number.POSITIVE_INFINITY, timestamp: 0 },
          { value: -0.5, timestamp: 4_102_444_800_000 },
        ],
      },
    ];
    const decoded = decodeWriteRequest(encodeWriteRequest(series)).timeseries[0].samples;
    expect(decoded[0].timestamp).toBe(-1);
    expect(Number.isNaN(decoded[0].value)).toBe(true);
    expect(decoded[1]).toEqual({ value: Number.POSITIVE_INFINITY, timestamp: 0 });
    expect(decoded[2]).toEqual({ value: -0.5, timestamp: 4_102_444_800_000 });
  });

  it('answers 400 with a reason for truncated or garbage protobuf', async () => {
    const raw = await decompress(AGENT_CAPTURES[0].body, 1 << 20);
    for (const bad of [raw.subarray(0, raw.length - 7), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]), Buffer.from([0x00])]) {
      expect(() => decodeWriteRequest(bad)).toThrow(RemoteWriteFormatError);
      try {
        decodeWriteRequest(bad);
      } catch (error) {
        expect((error as RemoteWriteFormatError).status).toBe(400);
        expect((error as RemoteWriteFormatError).message).toMatch(/^protobuf: /);
      }
    }
  });
});

describe('snappy block layer', () => {
  it('reads the declared length without decompressing', () => {
    const block = snappy.compressSync(Buffer.alloc(300_000, 7));
    expect(snappyDecodedLength(block)).toBe(300_000);
  });

  it('refuses a bomb by its header with 413 before allocating', async () => {
    // A 6-byte body declaring ~4 GiB of output.
    const bomb = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    await expect(decompress(bomb, 64 << 20)).rejects.toMatchObject({ status: 413 });
  });

  it('the synchronous decoder the server uses applies the same limits and answers', () => {
    expect(() => decompressSync(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]), 64 << 20)).toThrow(expect.objectContaining({ status: 413 }));
    expect(() => decompressSync(Buffer.from([0x10, 0x01, 0x02, 0x03]), 1 << 20)).toThrow(expect.objectContaining({ status: 400 }));
    const body = Buffer.alloc(100_000, 3);
    expect(() => decompressSync(snappy.compressSync(body), 99_999)).toThrow(expect.objectContaining({ status: 413 }));
    expect(decompressSync(snappy.compressSync(body), 100_000).equals(body)).toBe(true);
  });

  it('compresses to blocks any snappy decoder reads, sync and async alike', async () => {
    const body = Buffer.from(AGENT_CAPTURES[0].decoded.timeseries.map((s) => JSON.stringify(s)).join('\n'));
    expect((snappy.uncompressSync(compressSync(body)) as Buffer).equals(body)).toBe(true);
    expect((snappy.uncompressSync(await compress(new Uint8Array(body))) as Buffer).equals(body)).toBe(true);
  });

  it('answers 400 for corrupt input', async () => {
    await expect(decompress(Buffer.from([0x10, 0x01, 0x02, 0x03]), 1 << 20)).rejects.toMatchObject({ status: 400, message: expect.stringContaining('snappy') });
    await expect(decompress(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80]), 1 << 20)).rejects.toMatchObject({ status: 400 });
  });
});
