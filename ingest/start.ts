import type { AddressInfo } from 'node:net';
import { findClusterCredential } from '../lib/accounts/cluster-credentials';
import type { Database } from '../lib/db/database';
import type { Logger } from '../lib/log';
import { ClusterAuthenticator } from './auth/cluster-auth';
import type { IngestConfig } from './config';
import { createIngestServer, type IngestServer } from './server';
import { RemoteWriteSink } from './sink/remote-write-sink';
import type { Sink } from './sink/sink';

export interface RunningIngest extends IngestServer {
  url: string;
  close(): Promise<void>;
}

/** Wires the ingest worker to its database and store and starts listening. */
export async function startIngest(deps: { config: IngestConfig; db: Database; logger: Logger; sink?: Sink }): Promise<RunningIngest> {
  const { config, db, logger } = deps;
  const sink = deps.sink ?? new RemoteWriteSink({ url: config.receiveUrl, timeoutMs: config.forwardTimeoutMs });
  const auth = new ClusterAuthenticator((id) => findClusterCredential(db, id), { credentialTtlMs: config.credentialTtlMs });
  const ingest = createIngestServer({ config, auth, sink, logger });
  await new Promise<void>((resolve, reject) => {
    ingest.server.once('error', reject);
    ingest.server.listen(config.port, config.host, () => resolve());
  });
  const { port } = ingest.server.address() as AddressInfo;
  const url = `http://${config.host}:${port}`;
  logger.info({ url }, 'ingest listening');
  return {
    ...ingest,
    url,
    close: async () => {
      ingest.server.closeAllConnections();
      await new Promise<void>((resolve) => ingest.server.close(() => resolve()));
      sink.close();
    },
  };
}
