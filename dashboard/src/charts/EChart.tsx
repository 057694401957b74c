import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, LineChart, PieChart, TreemapChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { EChartsCoreOption } from 'echarts/core';

// Only what the dashboard draws: this module is its own chunk, loaded by the pages that chart.
echarts.use([BarChart, LineChart, PieChart, TreemapChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

const dark = () => window.matchMedia('(prefers-color-scheme: dark)').matches;

/** Colours of text and axes follow the system theme, as the page's do. */
function themed(option: EChartsCoreOption): EChartsCoreOption {
  const text = dark() ? '#d7dce2' : '#30363d';
  const line = dark() ? '#3d444d' : '#d0d7de';
  return {
    backgroundColor: 'transparent',
    textStyle: { color: text, fontFamily: 'system-ui, sans-serif' },
    ...option,
    ...(option.legend ? { legend: { textStyle: { color: text }, ...(option.legend as object) } } : {}),
    // Tooltips drawn on the canvas: ECharts' HTML tooltips carry style attributes, which the CSP refuses.
    ...(option.tooltip
      ? { tooltip: { renderMode: 'richText', backgroundColor: dark() ? '#161b22' : '#ffffff', borderColor: line, textStyle: { color: text }, ...(option.tooltip as object) } }
      : {}),
    ...(option.xAxis ? { xAxis: { axisLine: { lineStyle: { color: line } }, axisLabel: { color: text }, ...(option.xAxis as object) } } : {}),
    ...(option.yAxis ? { yAxis: { splitLine: { lineStyle: { color: line } }, axisLabel: { color: text }, ...(option.yAxis as object) } } : {}),
  };
}

export default function EChart({ option, label }: { option: EChartsCoreOption; label: string }) {
  const element = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts>();
  const current = useRef(option);
  current.current = option;
  // One chart per element for its lifetime: a page that asks again (partial answers) redraws in place.
  useEffect(() => {
    const instance = echarts.init(element.current!, undefined, { renderer: 'canvas' });
    chart.current = instance;
    const resize = new ResizeObserver(() => instance.resize());
    resize.observe(element.current!);
    const scheme = window.matchMedia('(prefers-color-scheme: dark)');
    const restyle = () => instance.setOption(themed(current.current), true);
    scheme.addEventListener('change', restyle);
    return () => {
      scheme.removeEventListener('change', restyle);
      resize.disconnect();
      instance.dispose();
      chart.current = undefined;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(themed(option), true);
  }, [option]);
  // The canvas is a picture of the table beside it, which is what assistive technology reads.
  return <div className="chart" ref={element} role="img" aria-label={label} />;
}
