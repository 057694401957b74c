import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { EChartsCoreOption } from 'echarts/core';

// Only what the dashboard draws: this module is its own chunk, loaded by the pages that chart.
echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

const dark = () => window.matchMedia('(prefers-color-scheme: dark)').matches;

/** Colours of text and axes follow the system theme, as the page's do. */
function themed(option: EChartsCoreOption): EChartsCoreOption {
  const text = dark() ? '#d7dce2' : '#30363d';
  const line = dark() ? '#3d444d' : '#d0d7de';
  return {
    backgroundColor: 'transparent',
    textStyle: { color: text, fontFamily: 'system-ui, sans-serif' },
    legend: { textStyle: { color: text } },
    ...option,
    ...(option.xAxis ? { xAxis: { axisLine: { lineStyle: { color: line } }, axisLabel: { color: text }, ...(option.xAxis as object) } } : {}),
    ...(option.yAxis ? { yAxis: { splitLine: { lineStyle: { color: line } }, axisLabel: { color: text }, ...(option.yAxis as object) } } : {}),
  };
}

export default function EChart({ option, label }: { option: EChartsCoreOption; label: string }) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const chart = echarts.init(element.current!, undefined, { renderer: 'canvas' });
    chart.setOption(themed(option));
    const resize = new ResizeObserver(() => chart.resize());
    resize.observe(element.current!);
    const scheme = window.matchMedia('(prefers-color-scheme: dark)');
    const restyle = () => chart.setOption(themed(option), true);
    scheme.addEventListener('change', restyle);
    return () => {
      scheme.removeEventListener('change', restyle);
      resize.disconnect();
      chart.dispose();
    };
  }, [option]);
  // The canvas is a picture of the table beside it, which is what assistive technology reads.
  return <div className="chart" ref={element} role="img" aria-label={label} />;
}
