/**
 * Error bars for Chart.js line charts, as a small per-chart plugin (no extra dependency): every point whose
 * data carries `low` and `high` gets a vertical bar with caps, in its dataset's colour; the canvas's
 * `data-error-bars` says how many were drawn. The bars' extent is also what the y axis must show (`errorBarRange`).
 */
import type { Plugin } from 'chart.js';

export interface ErrorBarDatum {
  x: number;
  y: number;
  low?: number;
  high?: number;
}

const hasBar = (d: ErrorBarDatum): d is Required<ErrorBarDatum> =>
  typeof d.low === 'number' && typeof d.high === 'number' && Number.isFinite(d.low) && Number.isFinite(d.high) && d.high > d.low;

/** The y range that holds every point and its bar. */
export function errorBarRange(points: readonly ErrorBarDatum[]): { min: number; max: number } | undefined {
  const lows = points.map((p) => (hasBar(p) ? p.low : p.y)).filter(Number.isFinite);
  const highs = points.map((p) => (hasBar(p) ? p.high : p.y)).filter(Number.isFinite);
  return lows.length ? { min: Math.min(...lows), max: Math.max(...highs) } : undefined;
}

export function errorBarsPlugin(cap = 4): Plugin<'line'> {
  return {
    id: 'elsaErrorBars',
    afterDatasetsDraw(chart) {
      const { x, y } = chart.scales;
      if (!x || !y) return;
      const ctx = chart.ctx;
      let drawn = 0;
      ctx.save();
      chart.data.datasets.forEach((ds, i) => {
        if (!chart.isDatasetVisible(i)) return;
        ctx.strokeStyle = String(ds.borderColor ?? '#888');
        ctx.lineWidth = 1.5;
        ctx.setLineDash([]);
        for (const d of ds.data as unknown as ErrorBarDatum[]) {
          if (!d || !hasBar(d)) continue;
          const px = x.getPixelForValue(d.x);
          const top = y.getPixelForValue(d.high);
          const bottom = y.getPixelForValue(d.low);
          ctx.beginPath();
          ctx.moveTo(px, top);
          ctx.lineTo(px, bottom);
          ctx.moveTo(px - cap, top);
          ctx.lineTo(px + cap, top);
          ctx.moveTo(px - cap, bottom);
          ctx.lineTo(px + cap, bottom);
          ctx.stroke();
          drawn++;
        }
      });
      ctx.restore();
      // What was drawn, for tests and screen-reader-free checks (as the other charts publish their data).
      chart.canvas.dataset.errorBars = String(drawn);
    },
  };
}
