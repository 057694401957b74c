import { decodeWriteRequest, encodeWriteRequest } from '../../lib/remote-write/codec';
import { processPassThrough, type PassThroughResult } from './passthrough';
import { stampTenant } from './stamp';
import { INVALID_DATA_REASONS, validateSeries, type DropReason, type ValidationLimits } from './validate';

export interface ProcessedRequest {
  /** The uncompressed WriteRequest to forward, or undefined when nothing is left to forward. */
  encoded?: Uint8Array;
  receivedSamples: number;
  acceptedSamples: number;
  /** The newest forwarded sample's timestamp (ms), when any is forwarded. */
  newestTimestamp?: number;
  /** The oldest forwarded sample's timestamp (ms), when any is forwarded. */
  oldestTimestamp?: number;
  droppedSamples: Map<DropReason, number>;
  droppedSeries: Map<DropReason, number>;
  metadataOnly: boolean;
  /** Set when every series was malformed: the request deserves a 400 (after counting). */
  rejection?: string;
}

/** What either path yields: the pass-through path's result shape. */
type Outcome = PassThroughResult;

/**
 * decode → validate → stamp → encode, on an uncompressed body. Pure and synchronous, so
 * the benchmark measures exactly what the server runs. Label bytes pass through untouched
 * (`passthrough.ts`); requests that path declines take the reference path, with the same result.
 */
export function processWriteRequest(decoded: Uint8Array, tenant: string, limits: ValidationLimits): ProcessedRequest {
  return finish(processPassThrough(decoded, tenant, limits) ?? reference(decoded, tenant, limits));
}

/**
 * The reference path: every label decoded into strings, validated, stamped and re-encoded.
 * Handles every input, and throws the 400 that says what is wrong with a malformed one.
 */
export function processWriteRequestReference(decoded: Uint8Array, tenant: string, limits: ValidationLimits): ProcessedRequest {
  return finish(reference(decoded, tenant, limits));
}

function reference(decoded: Uint8Array, tenant: string, limits: ValidationLimits): Outcome {
  const request = decodeWriteRequest(decoded);
  let receivedSamples = 0;
  for (const series of request.timeseries) receivedSamples += series.samples.length;
  const validation = validateSeries(request.timeseries, limits);
  stampTenant(validation.series, tenant);
  const forward = validation.series.length > 0;
  return {
    encoded: forward ? encodeWriteRequest(validation.series, request.metadata) : undefined,
    receivedSamples,
    acceptedSamples: validation.samples,
    newestTimestamp: validation.newestTimestamp,
    oldestTimestamp: validation.oldestTimestamp,
    keptSeries: validation.series.length,
    totalSeries: request.timeseries.length,
    droppedSamples: validation.droppedSamples,
    droppedSeries: validation.droppedSeries,
  };
}

function finish(outcome: Outcome): ProcessedRequest {
  const base = {
    receivedSamples: outcome.receivedSamples,
    acceptedSamples: outcome.acceptedSamples,
    droppedSamples: outcome.droppedSamples,
    droppedSeries: outcome.droppedSeries,
    metadataOnly: outcome.totalSeries === 0,
  };
  if (outcome.keptSeries === 0) {
    // Every series was malformed: tell the sender (4xx, so it does not retry bad data).
    const invalid = [...outcome.droppedSeries.keys()].filter((reason) => INVALID_DATA_REASONS.has(reason));
    if (invalid.length > 0 && invalid.length === outcome.droppedSeries.size) {
      return { ...base, rejection: `no valid series in request: ${describe(outcome.droppedSeries)}` };
    }
    // Metadata alone is not forwarded: the Prometheus 2.42 receiver ignores remote-write metadata.
    return base;
  }
  return { ...base, encoded: outcome.encoded, newestTimestamp: outcome.newestTimestamp, oldestTimestamp: outcome.oldestTimestamp };
}

export function describe(counts: Map<DropReason, number>): string {
  return [...counts].map(([reason, count]) => `${count} ${reason}`).join(', ');
}
