import { RemoteWriteFormatError } from '../../lib/remote-write/errors';

/**
 * Each pipeline layer owns its HTTP status. Remote-write senders retry 5xx and drop 4xx,
 * so the status is a promise about the data: 4xx only for data that can never succeed,
 * 5xx/429 only when retrying later will work.
 */
export class IngestError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 405 | 408 | 413 | 415 | 429 | 503,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'IngestError';
  }
}

/** The HTTP answer for any failure: a malformed body keeps its own status, anything unexpected is retryable. */
export function asIngestError(error: unknown): IngestError {
  if (error instanceof IngestError) return error;
  if (error instanceof RemoteWriteFormatError) return new IngestError(error.status, error.message);
  return new IngestError(503, 'internal error, retry later');
}
