import type { Queryable } from '../db/database';
import type { Logger } from '../log';

/** What changed: a token revoked, a cluster's password rotated or its account deleted, an organization deleted. */
export interface CredentialChange {
  revision: number;
  kind: 'api_token' | 'cloud_account' | 'organization';
  subjectId: string;
}

export interface CredentialChangeFeedOptions {
  /** @default 1000 */
  intervalMs?: number;
  logger: Logger;
  onChange: (change: CredentialChange) => void;
  /** Changes were missed (pruned before this process read them): forget every cached credential. */
  onGap: () => void;
}

/** Changes read per query; a longer backlog is read on the following polls. */
const PAGE = 1000;

/**
 * Tells a process's credential caches, within about `intervalMs`, that a credential went
 * (revoked, rotated, deleted), so every replica refuses it within a second instead of after
 * its cache TTL. The caches' TTLs stay as the fallback while the database cannot be read.
 *
 * Why polling a change log (migration 012) rather than LISTEN/NOTIFY: LISTEN needs a dedicated
 * session kept open beside the pool, re-established after every disconnect, and notices sent
 * while it was down are lost without a trace; and PGlite served to other processes over
 * pglite-socket (local mode) does not deliver notifications to them. The log is read with one
 * indexed query per second through the ordinary `Queryable`, so it works the same on
 * PostgreSQL, embedded PGlite and PGlite over the socket, and its gap-free revisions tell a
 * reader when it missed something, which a lost notification never does.
 */
export class CredentialChangeFeed {
  private readonly intervalMs: number;
  private revision: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private closed = false;

  constructor(
    private readonly db: Queryable,
    private readonly options: CredentialChangeFeedOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
  }

  /** Reads the current revision (a failure is logged and retried on the next poll) and starts polling. */
  async start(): Promise<void> {
    await this.poll();
    this.schedule();
  }

  /** One read of the log; tests call it instead of waiting for the timer. */
  async poll(): Promise<void> {
    try {
      if (this.revision === undefined) {
        const [row] = await this.db.query<{ revision: number }>('SELECT revision FROM credential_revision');
        this.revision = Number(row?.revision ?? 0);
      } else {
        await this.readChanges(this.revision);
      }
      if (this.failing) this.options.logger.info('credential change log readable again');
      this.failing = false;
    } catch (error) {
      // The caches' TTLs still bound how long a revoked credential works.
      if (!this.failing) this.options.logger.warn({ err: error }, 'cannot read the credential change log; revocations take effect after the cache TTL until it can');
      this.failing = true;
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private async readChanges(after: number): Promise<void> {
    const rows = await this.db.query<{ revision: number; kind: CredentialChange['kind']; subject_id: string }>(
      'SELECT revision, kind, subject_id FROM credential_changes WHERE revision > $1 ORDER BY revision LIMIT $2',
      [after, PAGE],
    );
    if (rows.length === 0) return;
    if (Number(rows[0].revision) !== after + 1) {
      this.options.logger.warn({ after, next: Number(rows[0].revision) }, 'credential changes were missed; forgetting every cached credential');
      this.options.onGap();
    }
    for (const row of rows) this.options.onChange({ revision: Number(row.revision), kind: row.kind, subjectId: row.subject_id });
    this.revision = Number(rows[rows.length - 1].revision);
  }

  private schedule(): void {
    if (this.closed) return;
    // Chained rather than setInterval: a slow read never overlaps the next one.
    this.timer = setTimeout(() => {
      void this.poll().finally(() => this.schedule());
    }, this.intervalMs);
    this.timer.unref();
  }
}
