import type { IngestState } from '../../api/generated';
import { formatAge, formatUtc } from '../../format/dates';

/** The fields of `IngestStatus` the badge and details read; every page asks for at least these. */
export interface IngestStatusView {
  state: IngestState;
  lastSampleAt: string | null;
  droppedSamplesLastHour?: ReadonlyArray<{ reason: string; count: number }>;
  lastError?: { message: string; at: string } | null;
}

/** Sort order of the states: sending first. */
export const STATE_ORDER: Record<IngestState, number> = { RECEIVING: 0, STALE: 1, NEVER: 2 };

/**
 * Receiving, stale or never, as the API decides it (the rule the CLI's `cluster list` uses):
 * a word and a symbol, never colour alone; the exact time in the tooltip.
 */
export function IngestStateBadge({ status }: { status: IngestStatusView }) {
  const last = status.lastSampleAt;
  switch (status.state) {
    case 'RECEIVING':
      return (
        <span className="badge badge-receiving" data-ingest-state="receiving" title={last ? `last sample ${formatUtc(last)}` : undefined}>
          ● receiving {last && <span className="muted">(last sample {formatAge(last)})</span>}
        </span>
      );
    case 'STALE':
      return (
        <span className="badge badge-stale" data-ingest-state="stale" title={last ? `last sample ${formatUtc(last)}` : undefined}>
          ▲ stale {last && <span className="muted">(last sample {formatAge(last)})</span>}
        </span>
      );
    case 'NEVER':
      return (
        <span className="badge badge-never" data-ingest-state="never">
          ○ never received
        </span>
      );
    default: {
      const unreachable: never = status.state;
      return unreachable;
    }
  }
}

/** What ingest dropped over the last hour and the last write it refused; nothing when all is well. */
export function IngestProblems({ status }: { status: IngestStatusView }) {
  const dropped = status.droppedSamplesLastHour ?? [];
  const total = dropped.reduce((sum, d) => sum + d.count, 0);
  if (total === 0 && !status.lastError) return null;
  const count = (n: number) => n.toLocaleString('en-US');
  return (
    <div className="ingest-problems small">
      {total > 0 && (
        <p data-dropped>
          {count(total)} sample{total === 1 ? '' : 's'} dropped in the last hour: {dropped.map((d) => `${d.reason} ${count(d.count)}`).join(', ')}
        </p>
      )}
      {status.lastError && (
        <p data-last-error>
          Last refused write ({formatUtc(status.lastError.at)}): <span className="error-text">{status.lastError.message}</span>
        </p>
      )}
    </div>
  );
}
