import http from 'node:http';
import { createInternalServer } from '../lib/http/internal-server';
import { BodyReadError, readBody, type BodyReadFailure } from '../lib/http/read-body';
import type { Logger } from '../lib/log';
import type { ClusterAuthenticator } from './auth/cluster-auth';
import { clientAddress } from './auth/client-address';
import type { IngestConfig } from './config';
import { InflightBytes, TenantRateLimiter } from './limits';
import { createIngestMetrics, type IngestMetrics } from './metrics';
import { asIngestError, IngestError } from './pipeline/errors';
import { describe, processWriteRequest } from './pipeline/process';
import { compress, decompressSync } from '../lib/remote-write/snappy-block';
import type { ValidationLimits } from './pipeline/validate';
import type { Sink } from './sink/sink';
import type { IngestStatusRecorder } from './status/accumulator';
import { ClusterMetrics } from './status/cluster-metrics';

export interface IngestDeps {
  config: IngestConfig;
  auth: ClusterAuthenticator;
  sink: Sink;
  logger: Logger;
  metrics?: IngestMetrics;
  /** Where per-cluster status goes (memory only: the request path never waits on it). */
  status?: IngestStatusRecorder;
  /**
   * Records samples older than a closed hour before the write is acknowledged, so the
   * cluster's cost rollups from that hour on are recomputed (lib/cost-rollups/late-samples.ts).
   */
  markLateSamples?: (tenant: string, oldestSampleMs: number) => Promise<unknown>;
  now?: () => number;
}

export interface IngestServer {
  /** Public (customers' clusters): the write paths and /healthz. */
  server: http.Server;
  /** Internal: /metrics (every tenant's id and volume), /readyz (the store is reachable), /healthz. */
  internal: http.Server;
  auth: ClusterAuthenticator;
  metrics: IngestMetrics;
  clusterMetrics: ClusterMetrics;
}

const WRITE_PATHS = new Set(['/api/v1/write', '/storage/api/v2/write']);
// /metrics and /readyz are on the internal listener only: the metrics name every tenant.
const READ_PATHS = new Set(['/healthz']);

/** Builds the remote-write receiver; `main.ts` decides where it listens. */
export function createIngestServer(deps: IngestDeps): IngestServer {
  const { config, auth, sink, logger } = deps;
  const metrics = deps.metrics ?? createIngestMetrics();
  const now = deps.now ?? Date.now;
  const rateLimiter = new TenantRateLimiter(config.samplesPerSecondPerTenant, 2, now);
  const inflight = new InflightBytes(config.maxInflightBytes);
  const allowList = config.allowList === '*' ? undefined : new Set(config.allowList);
  const clusterMetrics = new ClusterMetrics(metrics);
  const status: IngestStatusRecorder = deps.status ?? { accepted() {}, dropped() {}, refused() {} };

  const limits = (): ValidationLimits => {
    const t = now();
    return {
      allowList,
      minTimestamp: t - config.maxSampleAgeMs,
      maxTimestamp: t + config.maxFutureMs,
      maxLabelsPerSeries: config.maxLabelsPerSeries,
      maxLabelNameLength: config.maxLabelNameLength,
      maxLabelValueLength: config.maxLabelValueLength,
    };
  };

  async function handleWrite(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'POST') throw new IngestError(405, 'use POST', { Allow: 'POST' });
    const tenant = await auth.authenticate(req.headers, clientAddress(req, config.trustedProxyHops));
    // Refusals are recorded only once the cluster is authenticated: anyone could name a tenant.
    try {
      await handleAuthenticatedWrite(req, res, tenant);
    } catch (error) {
      status.refused(tenant, asIngestError(error).message, now());
      throw error;
    }
  }

  async function handleAuthenticatedWrite(req: http.IncomingMessage, res: http.ServerResponse, tenant: string): Promise<void> {
    checkContentHeaders(req);
    const declaredLength = Number(req.headers['content-length'] ?? NaN);
    if (declaredLength > config.maxBodyBytes) throw new IngestError(413, `body of ${declaredLength} bytes exceeds the limit of ${config.maxBodyBytes} bytes`);
    const release = inflight.acquire(Number.isFinite(declaredLength) ? declaredLength : config.maxBodyBytes);
    metrics.inflightBytes.set(inflight.value);
    try {
      const body = await readWriteBody(req, config.maxBodyBytes, config.bodyTimeoutMs, metrics);
      // On the event loop, like the pipeline right after it: the async call costs several times
      // the CPU per body (docs/benchmarks/ingest.md, "Decompression on the event loop"), and the
      // worker is CPU-bound, not I/O-bound.
      const decoded = decompressSync(body, config.maxDecodedBytes);
      const processed = processWriteRequest(decoded, tenant, limits());
      metrics.samplesReceived.inc({ tenant }, processed.receivedSamples);
      for (const [reason, count] of processed.droppedSamples) {
        metrics.samplesDropped.inc({ tenant, reason }, count);
        status.dropped(tenant, reason, count);
      }
      for (const [reason, count] of processed.droppedSeries) metrics.seriesDropped.inc({ tenant, reason }, count);
      if (processed.droppedSeries.size > 0) {
        logger.debug({ tenant, dropped: describe(processed.droppedSeries) }, 'series dropped');
      }
      if (processed.rejection) throw new IngestError(400, processed.rejection);
      if (!processed.encoded) {
        res.writeHead(204).end();
        return;
      }
      rateLimiter.take(tenant, processed.acceptedSamples);
      const started = process.hrtime.bigint();
      const result = await sink.write(tenant, await compress(processed.encoded));
      metrics.forwardDuration.observe({ outcome: result.kind }, Number(process.hrtime.bigint() - started) / 1e9);
      switch (result.kind) {
        case 'accepted':
          if (deps.markLateSamples && processed.oldestTimestamp !== undefined) {
            // Stored before the 204: a sender that is told "written" must see its late data counted.
            await deps.markLateSamples(tenant, processed.oldestTimestamp).catch((error: unknown) => {
              logger.warn({ err: error, tenant }, 'could not record late samples');
              throw new IngestError(503, 'could not record late samples, retry later', { 'Retry-After': '1' });
            });
          }
          metrics.samplesAccepted.inc({ tenant }, processed.acceptedSamples);
          status.accepted(tenant, processed.acceptedSamples, processed.newestTimestamp, now());
          if (processed.newestTimestamp !== undefined) clusterMetrics.sampleSeen(tenant, processed.newestTimestamp);
          res.writeHead(204).end();
          return;
        case 'rejected':
          // The sender drops data answered with a 4xx: these samples are lost.
          status.dropped(tenant, 'store_rejected', processed.acceptedSamples);
          throw new IngestError(400, `store rejected the data: ${result.message}`);
        case 'unavailable':
          logger.warn({ tenant, reason: result.message }, 'store unavailable');
          throw new IngestError(503, 'store unavailable, retry later', { 'Retry-After': '1' });
        default:
          return assertNever(result);
      }
    } finally {
      release();
      metrics.inflightBytes.set(inflight.value);
    }
  }

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const respond = async () => {
      if (WRITE_PATHS.has(path)) return handleWrite(req, res);
      // Only exact paths are served: a tenant smuggled into the path is simply not found.
      if (!READ_PATHS.has(path)) throw new IngestError(404, 'not found');
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new IngestError(405, 'use GET', { Allow: 'GET' });
      return sendText(res, 200, 'ok');
    };
    respond()
      .then(() => {
        if (WRITE_PATHS.has(path)) metrics.requests.inc({ status: String(res.statusCode) });
      })
      .catch((error: unknown) => {
        const failure = asIngestError(error);
        if (failure.status === 503 && !(error instanceof IngestError)) logger.error({ err: error }, 'unexpected ingest failure');
        if (WRITE_PATHS.has(path)) metrics.requests.inc({ status: String(failure.status) });
        // A refused body is drained and discarded (never buffered), then the connection closed,
        // so the sender reads our answer instead of a reset while it is still writing.
        const unread = !req.complete;
        if (!res.headersSent) sendText(res, failure.status, failure.message, unread ? { ...failure.headers, Connection: 'close' } : failure.headers);
        if (unread) req.resume();
      });
  });
  // Slow or stalled senders must not hold sockets (and in-flight bytes) forever. The body's own
  // deadline (INGEST_BODY_TIMEOUT, 408) is the tighter one; this backstop stays above it.
  server.requestTimeout = Math.max(60_000, config.bodyTimeoutMs + 30_000);
  server.headersTimeout = 30_000;
  server.keepAliveTimeout = 65_000;
  const internal = createInternalServer({ registry: metrics.registry, ready: () => sink.ready(), logger });
  return { server, internal, auth, metrics, clusterMetrics };
}

function checkContentHeaders(req: http.IncomingMessage): void {
  const encoding = (req.headers['content-encoding'] ?? '').toLowerCase().trim();
  if (encoding !== 'snappy') throw new IngestError(415, `unsupported Content-Encoding "${encoding || 'none'}": remote write needs snappy`);
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  const [mediaType, ...params] = type.split(';').map((part) => part.trim());
  if (mediaType !== 'application/x-protobuf') throw new IngestError(415, `unsupported Content-Type "${type || 'none'}": expected application/x-protobuf`);
  const proto = params.find((param) => param.startsWith('proto='));
  if (proto && proto !== 'proto=prometheus.writerequest') {
    throw new IngestError(415, `unsupported remote-write message ${proto.slice(6)}: only prometheus.WriteRequest (remote write 1.0)`);
  }
}

const BODY_READ_STATUS: Record<BodyReadFailure, IngestError['status']> = { too_large: 413, too_slow: 408, aborted: 400, unreadable: 400 };

/**
 * The ingest's statuses for a body it could not read: too large is 413, too slow 408 (a sender
 * trickling bytes would otherwise hold a socket and its in-flight bytes for minutes), the rest
 * is the sender's fault.
 */
async function readWriteBody(req: http.IncomingMessage, limit: number, timeoutMs: number, metrics: IngestMetrics): Promise<Buffer> {
  try {
    return await readBody(req, limit, { timeoutMs });
  } catch (error) {
    if (!(error instanceof BodyReadError)) throw error;
    if (error.reason === 'too_slow') metrics.bodyTimeouts.inc();
    throw new IngestError(BODY_READ_STATUS[error.reason], error.message);
  }
}

function sendText(res: http.ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(status === 204 ? undefined : `${message}\n`);
}

function assertNever(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
