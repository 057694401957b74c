import type { Queryable } from '../../../lib/db/database';
import { CLOSE_AFTER_MS, HOUR_MS, hourStartOf } from '../../../lib/cost-rollups/closing';
import type { Logger } from '../../../lib/log';
import { rollUpClosedHours } from '../costs/range-pieces';
import type { Promql } from '../promql/thanos-client';
import type { RollupStore } from './rollup-store';

export interface RollupPassOptions {
  db: Queryable;
  /** The store, ungated: the pass runs one request at a time on its own. */
  promql: Promql;
  rollups: RollupStore;
  logger: Logger;
  /** How far back each pass makes sure closed hours are rolled up. */
  lookbackMs: number;
  /** Clusters per PromQL request. @default 100 */
  batchSize?: number;
  now?: () => number;
}

export interface PassResult {
  clusters: number;
  clusterHours: number;
}

/**
 * Rolls up closed hours ahead of the queries that will want them: shortly after each hour
 * closes, every live cluster's closed hours of the last `lookbackMs` that are not rolled up yet
 * are computed, a batch of clusters per request and one request at a time, so the pass never
 * takes more than one PromQL slot from the queries. Replicas each run it; what one stored the
 * others find stored (they only recompute an hour when two passes meet exactly).
 */
export class RollupPass {
  private timer?: NodeJS.Timeout;
  private running?: Promise<PassResult>;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly options: RollupPassOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Schedules a pass after every hour closes (with up to a minute of jitter, so replicas spread). */
  start(): void {
    const next = hourStartOf(this.now()) + HOUR_MS + CLOSE_AFTER_MS;
    const at = next - HOUR_MS > this.now() ? next - HOUR_MS : next;
    this.timer = setTimeout(() => {
      void this.runOnce().finally(() => {
        if (!this.closed) this.start();
      });
    }, at - this.now() + Math.floor(Math.random() * 60_000));
    this.timer.unref();
  }

  /** One pass; concurrent calls share it. */
  runOnce(): Promise<PassResult> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<PassResult> {
    const { db, promql, rollups, logger, lookbackMs } = this.options;
    const batchSize = this.options.batchSize ?? 100;
    const nowMs = this.now();
    const toMs = hourStartOf(nowMs);
    const fromMs = toMs - Math.ceil(lookbackMs / HOUR_MS) * HOUR_MS;
    const rows = await db.query<{ id: string }>(`SELECT id FROM cloud_accounts WHERE type = 'kubernetes' AND deleted_at IS NULL ORDER BY id`);
    const result: PassResult = { clusters: rows.length, clusterHours: 0 };
    for (let i = 0; i < rows.length && !this.closed; i += batchSize) {
      const batch = rows.slice(i, i + batchSize).map((r) => r.id);
      try {
        result.clusterHours += await rollUpClosedHours(promql, batch, fromMs, toMs, rollups, nowMs);
      } catch (error) {
        // The next pass, or the queries themselves, will compute what this one could not.
        logger.warn({ err: error, clusters: batch.length }, 'rollup pass: a batch failed');
      }
    }
    logger.debug({ ...result, fromMs, toMs }, 'rollup pass done');
    return result;
  }
}
