import { findClusterCredential } from '../lib/accounts/cluster-credentials';
import { markLateSamples } from '../lib/cost-rollups/late-samples';
import type { Database } from '../lib/db/database';
import { startListening, type RunningService } from '../lib/http/listen';
import type { Logger } from '../lib/log';
import { CredentialChangeFeed } from '../lib/accounts/credential-changes';
import { VerificationQueue } from '../lib/accounts/verification-queue';
import { ClusterAuthenticator } from './auth/cluster-auth';
import { FailureThrottle } from './auth/failure-throttle';
import type { IngestConfig } from './config';
import { createIngestMetrics } from './metrics';
import { createIngestServer, type IngestServer } from './server';
import { RemoteWriteSink } from './sink/remote-write-sink';
import type { Sink } from './sink/sink';
import { IngestStatusAccumulator } from './status/accumulator';
import { IngestStatusFlusher } from './status/flusher';

export interface RunningIngest extends IngestServer, RunningService {
  /** Writes the per-cluster status gathered so far (tests; it also runs on its own timer and on close). */
  flushStatus(): Promise<void>;
}

/** Wires the ingest worker to its database and store and starts listening. */
export async function startIngest(deps: { config: IngestConfig; db: Database; logger: Logger; sink?: Sink; statusDb?: Database }): Promise<RunningIngest> {
  const { config, db, logger } = deps;
  const sink = deps.sink ?? new RemoteWriteSink({ url: config.receiveUrl, timeoutMs: config.forwardTimeoutMs });
  const queue = new VerificationQueue({ concurrency: config.authConcurrency, maxQueued: config.authQueue });
  const metrics = createIngestMetrics({ verificationsWaiting: () => queue.queued });
  const throttle = () => new FailureThrottle({ burst: config.authFailureBurst, perMinute: config.authFailuresPerMinute });
  const auth = new ClusterAuthenticator((id) => findClusterCredential(db, id), {
    credentialTtlMs: config.credentialTtlMs,
    queue,
    sourceThrottle: throttle(),
    userThrottle: throttle(),
    onRefused: (reason) => metrics.authRejected.inc({ reason }),
  });
  const changes = new CredentialChangeFeed(db, {
    intervalMs: config.revocationPollMs,
    logger,
    // A cluster's credential is its account's: rotations and deletions both name the account.
    onChange: (change) => {
      if (change.kind === 'cloud_account') auth.forget(change.subjectId);
    },
    onGap: () => auth.forgetAll(),
  });
  await changes.start();
  const status = new IngestStatusAccumulator();
  const ingest = createIngestServer({ config, auth, sink, logger, status, metrics, markLateSamples: (tenant, oldestMs) => markLateSamples(db, tenant, oldestMs) });
  const flusher = new IngestStatusFlusher(deps.statusDb ?? db, status, logger, {
    intervalMs: config.statusFlushIntervalMs,
    onFailure: () => ingest.metrics.statusWriteFailures.inc(),
  });
  flusher.start();
  const refreshClusters = () =>
    ingest.clusterMetrics.refresh(db).catch((error: unknown) => logger.warn({ err: error }, 'cluster metrics refresh failed; keeping the last values'));
  await refreshClusters();
  const refresher = setInterval(() => void refreshClusters(), config.clusterMetricsRefreshMs);
  refresher.unref();
  const listening = await startListening(
    {
      ...ingest,
      // After the listeners stop taking writes, so nothing recorded is left behind.
      close: async () => {
        clearInterval(refresher);
        changes.close();
        await flusher.close();
        sink.close();
      },
    },
    config,
    { name: 'ingest', logger },
  );
  return { ...ingest, ...listening, flushStatus: () => flusher.flush() };
}
