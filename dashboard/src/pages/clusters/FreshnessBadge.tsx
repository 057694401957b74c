import { formatAge, formatUtc } from '../../format/dates';
import type { Freshness } from './freshness';

/** A word and a symbol, never colour alone; the exact time in the tooltip. */
export function FreshnessBadge({ freshness }: { freshness: Freshness }) {
  switch (freshness.state) {
    case 'receiving':
      return (
        <span className="badge badge-receiving" title={`last sample ${formatUtc(freshness.lastSampleAt)}`}>
          ● receiving <span className="muted">({formatAge(freshness.lastSampleAt)})</span>
        </span>
      );
    case 'stale':
      return (
        <span className="badge badge-stale" title={`last sample ${formatUtc(freshness.lastSampleAt)}`}>
          ▲ stale <span className="muted">(last sample {formatAge(freshness.lastSampleAt)})</span>
        </span>
      );
    case 'never':
      return <span className="badge badge-never">○ never received</span>;
    case 'silent':
      return (
        <span className="badge badge-never" title="no sample in the last 24 hours or in the shown range">
          ○ no recent samples
        </span>
      );
    default: {
      const unreachable: never = freshness;
      return unreachable;
    }
  }
}
