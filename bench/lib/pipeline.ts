import snappy from 'snappy';
import { processWriteRequest } from '../../ingest/pipeline/process';
import { compressSync, decompressSync } from '../../lib/remote-write/snappy-block';
import type { ValidationLimits } from '../../ingest/pipeline/validate';
import { cpuSnapshot } from './cpu';

export interface PipelineFigure {
  withSnappy: boolean;
  iterations: number;
  elapsedMs: number;
  /** Median over the windows. */
  samplesPerSecond: number;
  /** Slowest and fastest window: how steady the machine was. */
  minSamplesPerSecond: number;
  maxSamplesPerSecond: number;
  microsPerRequest: number;
  /**
   * Samples per CPU-second this process used (main thread plus GC helper threads): what one
   * core does when it is not shared, so less sensitive to other load on the machine.
   */
  samplesPerCpuSecond: number;
  /** Cores other processes kept busy meanwhile (undefined without /proc). */
  otherCores?: number;
  /** Minor page faults per request: large short-lived buffers the allocator hands back to the kernel and faults in again. */
  pageFaultsPerRequest: number;
  /** Kernel CPU time per request, mostly those page faults. */
  systemMicrosPerRequest: number;
}

/**
 * Runs one request's worth of the ingest hot path in a tight synchronous loop on the calling
 * (main) thread: optionally snappy-uncompress the body, decode → validate → stamp → encode,
 * optionally snappy-compress the result for forwarding. Warms up first, then measures
 * `windows` windows of `windowMs` wall time each, garbage collection included.
 */
export function measurePipeline(
  raw: Buffer,
  samplesPerRequest: number,
  tenant: string,
  limits: () => ValidationLimits,
  options: { withSnappy: boolean; warmupMs: number; windowMs: number; windows: number },
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
        // The ingest's own snappy calls (same options as the server), on this thread.
        const decoded = decompressSync(compressed, 64 * 1024 * 1024);
        const processed = processWriteRequest(decoded, tenant, limit);
        sink += compressSync(processed.encoded as Uint8Array).length;
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
  const usageBefore = process.resourceUsage();
  const windows = Array.from({ length: options.windows }, () => run(options.windowMs));
  const used = cpu();
  const usageAfter = process.resourceUsage();
  if (sink === 0) throw new Error('pipeline produced no output');
  const iterations = windows.reduce((sum, w) => sum + w.iterations, 0);
  const elapsedMs = windows.reduce((sum, w) => sum + w.elapsedMs, 0);
  const rates = windows.map((w) => (w.iterations * samplesPerRequest) / (w.elapsedMs / 1000)).sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)];
  return {
    withSnappy: options.withSnappy,
    iterations,
    elapsedMs,
    samplesPerSecond: median,
    minSamplesPerSecond: rates[0],
    maxSamplesPerSecond: rates[rates.length - 1],
    microsPerRequest: (samplesPerRequest / median) * 1e6,
    samplesPerCpuSecond: (iterations * samplesPerRequest) / used.pipeline,
    otherCores: used.other === undefined ? undefined : used.other / (elapsedMs / 1000),
    pageFaultsPerRequest: (usageAfter.minorPageFault - usageBefore.minorPageFault) / iterations,
    systemMicrosPerRequest: (usageAfter.systemCPUTime - usageBefore.systemCPUTime) / iterations,
  };
}
