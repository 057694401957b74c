/** The verification queue is full: the caller should answer 429 with `Retry-After`. */
export class VerificationBusyError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('too many credential verifications in progress, retry later');
    this.name = 'VerificationBusyError';
  }
}

export interface VerificationQueueOptions {
  /**
   * Verifications running at once. scrypt runs on libuv's thread pool (4 threads unless
   * UV_THREADPOOL_SIZE says otherwise), which snappy, DNS and file I/O share: staying below
   * the pool's size keeps threads free for them whatever arrives. @default 2
   */
  concurrency?: number;
  /** Verifications waiting for a slot; one more is refused with VerificationBusyError. @default 64 */
  maxQueued?: number;
}

/**
 * Runs password/token verifications (scrypt: tens of milliseconds of CPU and 16 MiB each) with
 * bounded concurrency and a bounded, first-come queue. Without it, every failed guess queued
 * one more scrypt on the shared thread pool, and a flood of guesses delayed everything behind it.
 * Callers check their cached verdicts first, so verified credentials never enter this queue.
 */
export class VerificationQueue {
  readonly concurrency: number;
  readonly maxQueued: number;
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  /** Verifications started so far (metrics and tests). */
  started = 0;
  /** The most verifications ever running at once (tests prove the bound with it). */
  peakRunning = 0;

  constructor(options: VerificationQueueOptions = {}) {
    this.concurrency = options.concurrency ?? 2;
    this.maxQueued = options.maxQueued ?? 64;
    if (!(this.concurrency >= 1)) throw new RangeError('verification concurrency must be at least 1');
  }

  /** Verifications waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrency) {
      this.running++;
      return this.execute(task);
    }
    if (this.waiting.length >= this.maxQueued) {
      // Time for the work ahead to drain at ~50 ms per verification, at least a second.
      const retryAfter = Math.max(1, Math.ceil(((this.waiting.length / this.concurrency) * 50) / 1000));
      return Promise.reject(new VerificationBusyError(retryAfter));
    }
    // The slot is handed over by the task that finishes (see execute), never re-counted, so a
    // call arriving between the hand-over and this task's start cannot exceed the bound.
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => this.execute(task));
  }

  private async execute<T>(task: () => Promise<T>): Promise<T> {
    this.started++;
    this.peakRunning = Math.max(this.peakRunning, this.running);
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
