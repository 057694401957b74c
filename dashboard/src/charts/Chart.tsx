import { lazy, Suspense, type ReactNode } from 'react';
import type { EChartsCoreOption } from 'echarts/core';

const EChart = lazy(() => import('./EChart'));

/**
 * A chart with its table alternative: the chart library loads with the first chart, and the
 * same numbers are always in the table (open by a click, read by screen readers and tests).
 */
export function Chart({ option, label, table, tableOpen = false }: { option: EChartsCoreOption; label: string; table: ReactNode; tableOpen?: boolean }) {
  return (
    <figure className="chart-figure">
      <Suspense fallback={<div className="chart chart-loading" aria-hidden="true" />}>
        <EChart option={option} label={label} />
      </Suspense>
      <details className="chart-table" open={tableOpen}>
        <summary>{label}: as a table</summary>
        {table}
      </details>
    </figure>
  );
}
