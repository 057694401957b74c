/** Where validated, tenant-stamped remote-write bodies go. Injected, so tests can fail it on purpose. */
export type SinkResult =
  | { kind: 'accepted' }
  /** The store refused the data itself (4xx): retrying would not help. */
  | { kind: 'rejected'; status: number; message: string }
  /** The store could not be reached or failed (5xx, timeout): the sender must retry. */
  | { kind: 'unavailable'; message: string };

export interface Sink {
  /** `body` is a snappy-compressed WriteRequest. */
  write(tenant: string, body: Buffer): Promise<SinkResult>;
  ready(): Promise<boolean>;
  close(): void;
}
