/**
 * A body that can never be a valid remote-write request. `status` is the answer it deserves:
 * 400 for malformed bytes, 413 for a body declaring more than the receiver accepts. Both are
 * final for the sender, which drops the data instead of retrying.
 */
export class RemoteWriteFormatError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
    this.name = 'RemoteWriteFormatError';
  }
}
