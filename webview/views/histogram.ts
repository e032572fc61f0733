/**
 * Weight-magnitude histograms of one layer, one curve per level mask (nested, so each curve lies under the
 * next denser one). The band between two neighbouring curves is filled in the denser level's colour: it is
 * exactly the weights of that level's code. A log-count toggle (on by default) shows the thin tail of large
 * weights that the sparse levels keep; on it, empty bins sit on the axis floor of 1.
 */
import type { HistogramData } from '../../src/protocol/webview';
import { Chart, lineWidth } from '../charts';
import { denseLineColor, levelColors, toCss, type Palette } from '../colors';
import { h, setDataJson } from '../dom';
import { count } from '../format';
import { histogramSeries, type HistogramSeries, type XY } from '../series';
import { card, chartBox, setNote, type Card } from './card';

export class HistogramView {
  readonly card: Card;
  readonly logToggle: HTMLElement & { checked?: boolean };
  private readonly canvas: HTMLCanvasElement;
  private readonly box: HTMLElement;
  private chart: Chart<'line', XY[]> | undefined;
  private series: HistogramSeries | undefined;
  private levelCount = 0;

  constructor() {
    this.card = card('histogram-section', 'Weight magnitudes', 'Histogram of |w| in the selected layer for the weights each level keeps.');
    this.logToggle = h('vscode-checkbox', { id: 'histogram-log', label: 'log counts' });
    this.card.tools.append(this.logToggle);
    const { box, canvas } = chartBox('histogram-chart', 'Histogram of weight magnitudes per level');
    this.canvas = canvas;
    this.box = box;
    this.card.body.append(box);
  }

  showMessage(text: string): void {
    this.series = undefined;
    this.box.hidden = true;
    setNote(this.card.note, text);
  }

  setHistogram(hist: HistogramData, targets: readonly number[], fileLevelCount: number): void {
    const description = this.card.root.querySelector('.card-description');
    if (description) {
      description.textContent = fileLevelCount === 0 ? 'Histogram of |w| in the selected layer.' : 'Histogram of |w| in the selected layer for the weights each level keeps.';
    }
    this.series = histogramSeries(hist, targets, fileLevelCount);
    this.levelCount = fileLevelCount === 0 ? 0 : hist.levelCount;
    this.box.hidden = false;
    this.canvas.dataset.layer = hist.layer;
    setDataJson(this.canvas, 'points', { edges: hist.edges, datasets: this.series.datasets.map((d) => ({ level: d.level, label: d.label, counts: d.values })) });
    const total = this.series.datasets[0]?.values.reduce((a, b) => a + b, 0) ?? 0;
    setNote(this.card.note, this.levelCount === 0 ? `No ELSA levels in this file: one histogram of all ${count(total)} weights of ${hist.layer}.` : undefined);
  }

  render(p: Palette, selectedLevel: number, logCounts: boolean): void {
    this.chart?.destroy();
    this.chart = undefined;
    const s = this.series;
    if (!s) return;
    this.canvas.dataset.log = String(logCounts);
    const colors = levelColors(p, Math.max(1, this.levelCount));
    const w = lineWidth(p, 1.5);
    this.chart = new Chart<'line', XY[]>(this.canvas, {
      type: 'line',
      data: {
        datasets: s.datasets.map((d, i) => {
          // The dense level's curve needs more contrast than its quiet heatmap colour gives.
          const c = d.level === 0 ? p.blue : d.level === this.levelCount ? denseLineColor(p) : colors[d.level - 1];
          const dim = selectedLevel > 0 && d.level !== selectedLevel;
          return {
            label: d.label,
            // Chart.js draws higher `order` first: the densest mask at the back, the sparsest level on top.
            order: d.level,
            data: d.values.map((v, b) => ({ x: s.centers[b], y: logCounts ? Math.max(1, v) : v })),
            stepped: 'middle' as const,
            // Datasets run densest first: fill down to the next sparser curve; the sparsest fills to the axis.
            fill: i === s.datasets.length - 1 ? 'origin' : '+1',
            borderColor: toCss(c, dim ? 0.35 : 1),
            backgroundColor: toCss(c, p.highContrast ? 0 : dim ? 0.08 : 0.3),
            borderWidth: dim ? 1 : w,
            pointRadius: 0,
          };
        }),
      },
      options: {
        parsing: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { type: 'linear', title: { display: true, text: '|w|' } },
          y: logCounts ? { type: 'logarithmic', min: 1, title: { display: true, text: 'weights (log)' } } : { type: 'linear', min: 0, title: { display: true, text: 'weights' } },
        },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: {
            callbacks: {
              title: (items) => (items.length ? `|w| ≈ ${(items[0].parsed.x ?? 0).toPrecision(3)}` : ''),
              // The drawn value is floored at 1 on the log axis; the tooltip tells the real count.
              label: (ctx) => `${ctx.dataset.label ?? ''}: ${count(s.datasets[ctx.datasetIndex]?.values[ctx.dataIndex] ?? 0)}`,
            },
          },
        },
      },
    });
  }
}
