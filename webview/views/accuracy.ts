/** Accuracy against sparsity: ELSA levels vs independently trained sparse networks vs the dense network. */
import type { ChartDataset } from 'chart.js';
import type { CheckpointSummary } from '../../src/protocol/webview';
import { Chart, lineWidth } from '../charts';
import { toCss, type Palette } from '../colors';
import { clear, h, setDataJson } from '../dom';
import { bytes, pct } from '../format';
import { errorBarRange, errorBarsPlugin } from '../errorBars';
import { accuracyCurves, epochsText, type AccuracyCurves, type AccuracyPoint } from '../series';
import { card, chartBox, setNote, type Card } from './card';

export class AccuracyView {
  readonly card: Card;
  private readonly canvas: HTMLCanvasElement;
  private readonly box: HTMLElement;
  private chart: Chart<'line', AccuracyPoint[]> | undefined;
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
    setDataJson(this.canvas, 'points', { source: c.source, elsa: c.elsa, independent: c.independent, independentCheap: c.independentCheap, dense: c.dense ?? null });
    const list = (ps: AccuracyPoint[]) => ps.map((p) => `${pct(p.x)} → ${pct(p.y)}${p.epochs !== undefined ? ` (${p.epochs} epochs)` : ''}`).join(', ');
    this.canvas.setAttribute(
      'aria-label',
      `Accuracy against sparsity. ELSA: ${list(c.elsa) || 'none'}.` +
        (c.independent.length ? ` Independent, strict budget: ${list(c.independent)}.` : '') +
        (c.independentCheap.length ? ` Independent, cheap budget: ${list(c.independentCheap)}.` : '') +
        (c.dense ? ` Dense: ${list([c.dense])}.` : '') +
        (c.errorBars ? ` ${c.errorBars}` : ''),
    );
    setNote(this.card.note, [c.errorBars, c.note].filter(Boolean).join(' ') || undefined);
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
    this.chart?.destroy();
    this.chart = accuracyChart(this.canvas, p, [
      { label: 'ELSA (one checkpoint)', data: c.elsa, color: p.blue, style: 'solid' },
      { label: 'Independent, strict budget', data: c.independent, color: p.orange, style: 'dashed' },
      { label: 'Independent, cheap budget', data: c.independentCheap, color: p.foreground, style: 'dotted' },
      ...(c.dense ? [{ label: 'Dense baseline', data: [c.dense], color: p.green, style: 'point' as const }] : []),
    ]);
  }
}

export interface AccuracySeries {
  label: string;
  data: AccuracyPoint[];
  color: Palette['blue'];
  style: 'solid' | 'dashed' | 'dotted' | 'point';
}

/**
 * Accuracy against sparsity with an error bar on every point and the epochs behind each series in its
 * legend label; shared by the run dashboard and the study view.
 */
export function accuracyChart(canvas: HTMLCanvasElement, p: Palette, series: AccuracySeries[]): Chart<'line', AccuracyPoint[]> {
  const w = lineWidth(p);
  const shown = series.filter((s) => s.data.length > 0);
  const datasets: ChartDataset<'line', AccuracyPoint[]>[] = shown.map((s) => {
    const epochs = epochsText(s.data);
    return {
      label: epochs ? `${s.label} (${epochs})` : s.label,
      data: s.data,
      borderColor: toCss(s.style === 'dotted' ? s.color : s.color, s.style === 'dotted' ? 0.6 : 1),
      backgroundColor: toCss(s.color, s.style === 'dotted' ? 0.6 : 1),
      borderWidth: s.style === 'point' ? 0 : w,
      borderDash: s.style === 'dashed' ? [6, 4] : s.style === 'dotted' ? [2, 3] : [],
      showLine: s.style !== 'point',
      pointStyle: s.style === 'point' ? 'triangle' : s.style === 'dashed' ? 'rectRot' : 'circle',
      pointRadius: s.style === 'point' ? 6 : 4,
      pointHoverRadius: 7,
    };
  });
  const range = errorBarRange(shown.flatMap((s) => s.data));
  const pad = range ? Math.max((range.max - range.min) * 0.08, 0.005) : 0;
  return new Chart<'line', AccuracyPoint[]>(canvas, {
    type: 'line',
    data: { datasets },
    plugins: [errorBarsPlugin()],
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
        y: {
          type: 'linear',
          ...(range ? { suggestedMin: Math.max(0, range.min - pad), suggestedMax: Math.min(1, range.max + pad) } : {}),
          title: { display: true, text: 'accuracy' },
          ticks: { callback: (v) => pct(Number(v), 1) },
        },
      },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: {
          callbacks: {
            label: (ctx) => {
              const d = ctx.raw as AccuracyPoint;
              const bar = Number.isFinite(d.low) && d.high > d.low ? ` [${pct(d.low, 1)}, ${pct(d.high, 1)}]` : '';
              return `${ctx.dataset.label ?? ''}: ${pct(d.y, 2)}${bar} at ${pct(d.x, 1)} sparsity${d.epochs !== undefined ? `, ${d.epochs} epochs` : ''}`;
            },
          },
        },
      },
    },
  });
}
