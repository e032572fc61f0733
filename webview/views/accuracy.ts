/** Accuracy against sparsity: ELSA levels vs independently trained sparse networks vs the dense network. */
import type { ChartDataset } from 'chart.js';
import type { CheckpointSummary } from '../../src/protocol/webview';
import { Chart, lineWidth } from '../charts';
import { toCss, type Palette } from '../colors';
import { clear, h, setDataJson } from '../dom';
import { bytes, pct } from '../format';
import { accuracyCurves, type AccuracyCurves, type XY } from '../series';
import { card, chartBox, setNote, type Card } from './card';

export class AccuracyView {
  readonly card: Card;
  private readonly canvas: HTMLCanvasElement;
  private readonly box: HTMLElement;
  private chart: Chart<'line', XY[]> | undefined;
  private curves: AccuracyCurves | undefined;
  /** What each way of keeping all levels costs on disk (from the run report). */
  private readonly storage: HTMLTableElement;

  constructor() {
    this.card = card('accuracy-section', 'Accuracy vs sparsity', 'Top-1 accuracy of each level against its measured sparsity.');
    const { box, canvas } = chartBox('accuracy-chart', 'Accuracy against sparsity for ELSA, independent and dense networks');
    this.canvas = canvas;
    this.box = box;
    this.storage = h('table', { class: 'storage', id: 'storage-table', hidden: true });
    this.card.body.append(box, this.storage);
  }

  private renderStorage(summary: CheckpointSummary): void {
    const report = summary.report;
    clear(this.storage);
    this.storage.hidden = !report || report.storage.length === 0;
    if (!report || report.storage.length === 0) return;
    const smallest = Math.min(...report.storage.map((l) => l.bytes));
    this.storage.append(h('caption', { text: 'Storage for all levels' }));
    const body = h('tbody');
    report.storage.forEach((line, i) => {
      const ratio = smallest > 0 && line.bytes > smallest ? ` (${(line.bytes / smallest).toFixed(1)}×)` : '';
      body.append(
        h(
          'tr',
          { 'data-bytes': line.bytes, title: line.files.join('\n') },
          h('th', { scope: 'row', text: line.label }),
          h('td', { class: 'num', text: `${bytes(line.bytes)}${ratio}` }),
        ),
      );
      // The report lists the ELSA checkpoint first; its per-level overhead belongs right under it.
      if (i === 0 && report.smallParamBytes !== undefined) {
        body.append(
          h(
            'tr',
            { 'data-bytes': report.smallParamBytes, class: 'minor' },
            h('th', { scope: 'row', text: '… of which per-level small parameters (biases, norms)' }),
            h('td', { class: 'num', text: bytes(report.smallParamBytes) }),
          ),
        );
      }
    });
    this.storage.append(body);
  }

  setSummary(summary: CheckpointSummary): void {
    this.curves = accuracyCurves(summary);
    const c = this.curves;
    setDataJson(this.canvas, 'points', { source: c.source, elsa: c.elsa, independent: c.independent, dense: c.dense ?? null });
    this.canvas.setAttribute(
      'aria-label',
      `Accuracy against sparsity. ELSA: ${c.elsa.map((p) => `${pct(p.x)} → ${pct(p.y)}`).join(', ') || 'none'}.` +
        (c.independent.length ? ` Independent: ${c.independent.map((p) => `${pct(p.x)} → ${pct(p.y)}`).join(', ')}.` : '') +
        (c.dense ? ` Dense: ${pct(c.dense.y)}.` : ''),
    );
    setNote(this.card.note, c.note);
    this.renderStorage(summary);
    this.box.hidden = c.elsa.length === 0 && c.independent.length === 0 && !c.dense;
  }

  render(p: Palette): void {
    const c = this.curves;
    if (!c || this.box.hidden) {
      this.chart?.destroy();
      this.chart = undefined;
      return;
    }
    const w = lineWidth(p);
    const datasets: ChartDataset<'line', XY[]>[] = [
      {
        label: 'ELSA (one checkpoint)',
        data: c.elsa,
        borderColor: toCss(p.blue),
        backgroundColor: toCss(p.blue),
        borderWidth: w,
        pointRadius: 4,
        pointHoverRadius: 6,
      },
    ];
    if (c.independent.length) {
      datasets.push({
        label: 'Independent (one network per level)',
        data: c.independent,
        borderColor: toCss(p.orange),
        backgroundColor: toCss(p.orange),
        borderWidth: w,
        borderDash: [6, 4],
        pointStyle: 'rectRot',
        pointRadius: 5,
        pointHoverRadius: 7,
      });
    }
    if (c.dense) {
      const xs = [...c.elsa, ...c.independent].map((q) => q.x);
      const right = Math.max(c.dense.x, ...xs);
      datasets.push({
        label: `Dense (${pct(c.dense.y)})`,
        data: right > c.dense.x ? [c.dense, { x: right, y: c.dense.y }] : [c.dense],
        borderColor: toCss(p.green),
        backgroundColor: toCss(p.green),
        borderWidth: w - 1,
        borderDash: [2, 3],
        pointRadius: [5, 0],
        pointHoverRadius: [7, 0],
        pointStyle: 'triangle',
      });
    }
    this.chart?.destroy();
    this.chart = new Chart<'line', XY[]>(this.canvas, {
      type: 'line',
      data: { datasets },
      options: {
        parsing: false,
        // Points on the axes (the dense level at 0% sparsity) are drawn whole, not cut by the chart area.
        clip: 8,
        interaction: { mode: 'nearest', intersect: false },
        scales: {
          x: {
            type: 'linear',
            min: 0,
            max: 1,
            title: { display: true, text: 'sparsity (share of weights that are zero)' },
            ticks: { callback: (v) => pct(Number(v), 0) },
          },
          y: { type: 'linear', title: { display: true, text: 'accuracy' }, ticks: { callback: (v) => pct(Number(v), 1) } },
        },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label ?? ''}: ${pct(ctx.parsed.y, 2)} at ${pct(ctx.parsed.x, 1)} sparsity` } },
        },
      },
    });
  }
}
