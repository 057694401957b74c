import snappy from 'snappy';
import { processWriteRequest } from '../../ingest/pipeline/process';
import type { ValidationLimits } from '../../ingest/pipeline/validate';
import { cpuSnapshot } from './cpu';

export interface PipelineFigure {
  withSnappy: boolean;
  iterations: number;
  elapsedMs: number;
  samplesPerSecond: number;
  microsPerRequest: number;
  /**
   * Samples per CPU-second this process used (main thread plus GC helper threads): what one
   * core does when it is not shared, so less sensitive to other load on the machine.
   */
  samplesPerCpuSecond: number;
  /** Cores other processes kept busy meanwhile (undefined without /proc). */
  otherCores?: number;
}

/**
 * Runs one request's worth of the ingest hot path in a tight synchronous loop on the calling
 * (main) thread: optionally snappy-uncompress the body, decode → validate → stamp → encode,
 * optionally snappy-compress the result for forwarding. Warms up first, then measures for
 * `durationMs` of wall time, garbage collection included.
 */
export function measurePipeline(
  raw: Buffer,
  samplesPerRequest: number,
  tenant: string,
  limits: () => ValidationLimits,
  options: { withSnappy: boolean; warmupMs: number; durationMs: number },
): PipelineFigure {
  const compressed = snappy.compressSync(raw);
  const limit = limits();
  const check = processWriteRequest(raw, tenant, limit);
  if (check.acceptedSamples !== samplesPerRequest || !check.encoded) {
    throw new Error(`benchmark batch is not fully accepted (${check.acceptedSamples} of ${samplesPerRequest} samples): fix the generator, the figure would measure the drop path`);
  }
  let sink = 0;
  const once = options.withSnappy
    ? () => {
        const decoded = snappy.uncompressSync(compressed, { asBuffer: true }) as Buffer;
        const processed = processWriteRequest(decoded, tenant, limit);
        sink += snappy.compressSync(processed.encoded as Uint8Array).length;
      }
    : () => {
        sink += (processWriteRequest(raw, tenant, limit).encoded as Uint8Array).length;
      };
  const run = (ms: number) => {
    const start = performance.now();
    const deadline = start + ms;
    let iterations = 0;
    let now = start;
    while (now < deadline) {
      once();
      iterations++;
      now = performance.now();
    }
    return { iterations, elapsedMs: now - start };
  };
  run(options.warmupMs);
  const cpu = cpuSnapshot({}, 'pipeline');
  const { iterations, elapsedMs } = run(options.durationMs);
  const used = cpu();
  const other = used.other;
  if (sink === 0) throw new Error('pipeline produced no output');
  return {
    withSnappy: options.withSnappy,
    iterations,
    elapsedMs,
    samplesPerSecond: (iterations * samplesPerRequest) / (elapsedMs / 1000),
    microsPerRequest: (elapsedMs * 1000) / iterations,
    samplesPerCpuSecond: (iterations * samplesPerRequest) / used.pipeline,
    otherCores: other === undefined ? undefined : other / (elapsedMs / 1000),
  };
}
