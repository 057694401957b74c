import { decodeWriteRequest, encodeWriteRequest } from './codec';
import { stampTenant } from './stamp';
import { INVALID_DATA_REASONS, validateSeries, type DropReason, type ValidationLimits } from './validate';

export interface ProcessedRequest {
  /** The uncompressed WriteRequest to forward, or undefined when nothing is left to forward. */
  encoded?: Uint8Array;
  receivedSamples: number;
  acceptedSamples: number;
  droppedSamples: Map<DropReason, number>;
  droppedSeries: Map<DropReason, number>;
  metadataOnly: boolean;
  /** Set when every series was malformed: the request deserves a 400 (after counting). */
  rejection?: string;
}

/**
 * decode → validate → stamp → encode, on an uncompressed body. Pure and synchronous, so
 * the benchmark measures exactly what the server runs.
 */
export function processWriteRequest(decoded: Uint8Array, tenant: string, limits: ValidationLimits): ProcessedRequest {
  const request = decodeWriteRequest(decoded);
  let receivedSamples = 0;
  for (const series of request.timeseries) receivedSamples += series.samples.length;
  const validation = validateSeries(request.timeseries, limits);
  const metadataOnly = request.timeseries.length === 0;
  const base = {
    receivedSamples,
    acceptedSamples: validation.samples,
    droppedSamples: validation.droppedSamples,
    droppedSeries: validation.droppedSeries,
    metadataOnly,
  };
  if (validation.series.length === 0) {
    // Every series was malformed: tell the sender (4xx, so it does not retry bad data).
    const invalid = [...validation.droppedSeries.keys()].filter((reason) => INVALID_DATA_REASONS.has(reason));
    if (invalid.length > 0 && invalid.length === validation.droppedSeries.size) {
      return { ...base, rejection: `no valid series in request: ${describe(validation.droppedSeries)}` };
    }
    return base;
  }
  stampTenant(validation.series, tenant);
  return { ...base, encoded: encodeWriteRequest(validation.series, request.metadata) };
}

export function describe(counts: Map<DropReason, number>): string {
  return [...counts].map(([reason, count]) => `${count} ${reason}`).join(', ');
}
