/**
 * Chart.js, tree-shaken: only the pieces the dashboard draws are registered (line and bar charts, linear,
 * logarithmic and category scales, legend, tooltip, filler, and decimation for long step curves), and the
 * theme's colours and font become Chart.js defaults at each render.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Decimation,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type Plugin,
} from 'chart.js';
import { toCss, type Palette } from './colors';

Chart.register(BarController, BarElement, CategoryScale, Decimation, Filler, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Tooltip);

export { Chart };

export function applyChartTheme(p: Palette): void {
  Chart.defaults.color = toCss(p.foreground);
  Chart.defaults.borderColor = toCss(p.grid);
  Chart.defaults.font.family = p.fontFamily;
  Chart.defaults.font.size = 12;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.responsive = true;
  Chart.defaults.plugins.legend.labels.boxWidth = 12;
  Chart.defaults.plugins.tooltip.backgroundColor = toCss(p.background, 0.95);
  Chart.defaults.plugins.tooltip.titleColor = toCss(p.foreground);
  Chart.defaults.plugins.tooltip.bodyColor = toCss(p.foreground);
  Chart.defaults.plugins.tooltip.borderColor = toCss(p.highContrast ? p.foreground : p.grid);
  Chart.defaults.plugins.tooltip.borderWidth = 1;
}

/** Line width that stays visible in high-contrast themes. */
export function lineWidth(p: Palette, base = 2): number {
  return p.highContrast ? base + 1 : base;
}

export interface VerticalMark {
  x: number;
  label: string;
  /** Solid instead of dashed (a stronger boundary, e.g. a new run). */
  solid?: boolean;
}

/**
 * Draws vertical lines with a label at the top (training phase and run boundaries). A per-chart plugin, so the
 * marks travel with the chart and need no global registration.
 */
export function verticalMarksPlugin(getMarks: () => readonly VerticalMark[], getColor: () => string): Plugin<'line'> {
  return {
    id: 'elsaVerticalMarks',
    afterDatasetsDraw(chart) {
      const x = chart.scales.x;
      const area = chart.chartArea;
      if (!x || !area) return;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = getColor();
      ctx.fillStyle = getColor();
      ctx.lineWidth = 1;
      ctx.font = `11px ${String(Chart.defaults.font.family)}`;
      ctx.textBaseline = 'top';
      let lastLabelEnd = -Infinity;
      for (const m of getMarks()) {
        const px = x.getPixelForValue(m.x);
        if (!Number.isFinite(px) || px < area.left - 0.5 || px > area.right + 0.5) continue;
        ctx.setLineDash(m.solid ? [] : [4, 4]);
        ctx.beginPath();
        ctx.moveTo(px, area.top);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
        // Labels that would overlap the previous one are dropped; the line itself stays.
        const width = ctx.measureText(m.label).width;
        if (px + 3 > lastLabelEnd && px + 3 + width <= area.right) {
          ctx.fillText(m.label, px + 3, area.top + 2);
          lastLabelEnd = px + 3 + width + 6;
        }
      }
      ctx.restore();
    },
  };
}
