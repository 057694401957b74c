import { useState, type FormEvent } from 'react';
import { updateSearch } from '../app/router';
import { describeRange, presetOf, PRESETS, type DayRange } from './range';

/** Presets and a custom from/to; the choice goes into the URL, so a link reproduces the view. */
export function RangePicker({ range }: { range: DayRange }) {
  const current = presetOf(range);
  const [from, setFrom] = useState(range.from);
  const [to, setTo] = useState(range.to);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    if (from && to && from < to) updateSearch({ from, to });
  };
  return (
    <div className="range-picker">
      <p className="range-statement">
        <strong>{describeRange(range)}</strong> (UTC days; from {range.from} 00:00 UTC up to, not including, {range.to} 00:00 UTC)
      </p>
      <div className="range-controls">
        <div role="group" aria-label="Range presets" className="presets">
          {PRESETS.map((preset) => {
            const r = preset.range(Date.now());
            return (
              <button key={preset.id} type="button" className="chip" aria-pressed={current?.id === preset.id} onClick={() => updateSearch({ from: r.from, to: r.to })}>
                {preset.label}
              </button>
            );
          })}
        </div>
        <form className="custom-range" onSubmit={apply}>
          <label>
            From <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} required />
          </label>
          <label>
            To (excluded) <input type="date" value={to} onChange={(e) => setTo(e.target.value)} required />
          </label>
          <button type="submit" className="secondary">
            Apply
          </button>
        </form>
      </div>
    </div>
  );
}
