import { Transform } from 'node:stream';

/**
 * Passes a body through and fails with `tooLarge()` the moment it passes `maxBytes`, without
 * buffering it: what streams an upload on (gateway) or spools it (expenses service).
 */
export function limitBytes(maxBytes: number, tooLarge: () => Error): Transform {
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > maxBytes) done(tooLarge());
      else done(null, chunk);
    },
  });
}
