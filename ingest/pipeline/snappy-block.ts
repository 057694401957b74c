import snappy from 'snappy';
import { IngestError } from './errors';

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
  throw new IngestError(400, 'snappy: corrupt input (bad length header)');
}

export async function decompress(block: Buffer, maxDecodedBytes: number): Promise<Buffer> {
  const declared = snappyDecodedLength(block);
  if (declared > maxDecodedBytes) {
    throw new IngestError(413, `snappy: decoded size ${declared} bytes exceeds the limit of ${maxDecodedBytes} bytes`);
  }
  try {
    return (await snappy.uncompress(block, { asBuffer: true })) as Buffer;
  } catch {
    throw new IngestError(400, 'snappy: corrupt input');
  }
}

export function compress(bytes: Uint8Array): Promise<Buffer> {
  return snappy.compress(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}
