import snappy from 'snappy';
import { RemoteWriteFormatError } from './errors';

/**
 * The snappy package returns V8 *external* buffers by default, which on this workload cost
 * more than the copy they avoid (docs/benchmarks/ingest.md, "snappy with ordinary buffers");
 * `copyOutputData` hands back ordinary buffers instead.
 */
const DECODE = { asBuffer: true, copyOutputData: true } as const;
const ENCODE = { copyOutputData: true } as const;

/**
 * The snappy block format starts with the decoded length as a varint. Reading it first lets
 * a decompression bomb (a few KiB declaring gigabytes) be refused before any allocation.
 */
export function snappyDecodedLength(block: Uint8Array): number {
  let result = 0;
  let multiplier = 1;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const byte = block[i];
    result += (byte & 0x7f) * multiplier;
    if (byte < 0x80) return result;
    multiplier *= 128;
  }
  throw new RemoteWriteFormatError(400, 'snappy: corrupt input (bad length header)');
}

function checkDeclaredLength(block: Buffer, maxDecodedBytes: number): void {
  const declared = snappyDecodedLength(block);
  if (declared > maxDecodedBytes) {
    throw new RemoteWriteFormatError(413, `snappy: decoded size ${declared} bytes exceeds the limit of ${maxDecodedBytes} bytes`);
  }
}

/** Off the event loop (libuv thread pool). */
export async function decompress(block: Buffer, maxDecodedBytes: number): Promise<Buffer> {
  checkDeclaredLength(block, maxDecodedBytes);
  try {
    return (await snappy.uncompress(block, DECODE)) as Buffer;
  } catch {
    throw new RemoteWriteFormatError(400, 'snappy: corrupt input');
  }
}

/** The same on the calling thread: what the server uses, as the pipeline that follows is synchronous too. */
export function decompressSync(block: Buffer, maxDecodedBytes: number): Buffer {
  checkDeclaredLength(block, maxDecodedBytes);
  try {
    return snappy.uncompressSync(block, DECODE) as Buffer;
  } catch {
    throw new RemoteWriteFormatError(400, 'snappy: corrupt input');
  }
}

/** Off the event loop: what the server uses to compress what it forwards. */
export function compress(bytes: Uint8Array): Promise<Buffer> {
  return snappy.compress(asBuffer(bytes), ENCODE);
}

export function compressSync(bytes: Uint8Array): Buffer {
  return snappy.compressSync(asBuffer(bytes), ENCODE);
}

const asBuffer = (bytes: Uint8Array) => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
