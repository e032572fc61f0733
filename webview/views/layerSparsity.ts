/** Per-layer sparsity bars: layers on x, one dataset per level (or the selected level only). */
import type { CheckpointSummary } from '../../src/protocol/webview';
import { Chart } from '../charts';
import { levelColors, toCss, type Palette } from '../colors';
import { clear, h, setDataJson } from '../dom';
import { pct, shortLayerNames } from '../format';
import { layerSparsitySeries, type LayerSparsitySeries } from '../series';
import { card, setNote, type Card } from './card';

export class LayerSparsityView {
  readonly card: Card;
  private readonly canvas: HTMLCanvasElement;
  private readonly box: HTMLElement;
  private readonly scroller: HTMLElement;
  private chart: Chart<'bar', number[], string> | undefined;
  private series: LayerSparsitySeries | undefined;
  private levelCount = 0;
  private selectedLayer: string | undefined;
  private palette: Palette | undefined;
  private level = 0;
  /** The same numbers for screen readers (and tests): layers × levels. */
  private readonly table: HTMLTableElement;

  constructor() {
    this.card = card('layers-section', 'Per-layer sparsity', 'Share of zero weights in each sparsifiable layer, per level.');
    this.canvas = h('canvas', { id: 'layer-sparsity-chart', role: 'img', 'aria-label': 'Per-layer sparsity per level' });
    this.box = h('div', { class: 'chart-box' }, this.canvas);
    this.scroller = h('div', { class: 'chart-scroll' }, this.box);
    this.table = h('table', { class: 'visually-hidden', id: 'layer-sparsity-table' });
    this.card.body.append(this.scroller, this.table);
  }

  setSummary(summary: CheckpointSummary): void {
    this.series = layerSparsitySeries(summary);
    this.levelCount = summary.levelCount;
    setDataJson(this.canvas, 'points', { layers: this.series.layers, datasets: this.series.datasets.map((d) => ({ level: d.level, label: d.label, values: d.values })) });
    setNote(this.card.note, this.series.layers.length === 0 ? 'This file has no weight tensors to show.' : this.series.note);
    this.scroller.hidden = this.series.layers.length === 0;
    this.fillTable(this.series);
  }

  private fillTable(s: LayerSparsitySeries): void {
    clear(this.table);
    this.table.append(
      h('caption', { text: 'Per-layer sparsity per level' }),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Layer' }), ...s.datasets.map((d) => h('th', { scope: 'col', 'data-level': d.level, text: d.label })),
        ...(s.nm ? [h('th', { scope: 'col', text: 'N:M' })] : []))),
      h(
        'tbody',
        {},
        ...s.layers.map((layer, i) =>
          h('tr', { 'data-layer': layer }, h('th', { scope: 'row', text: layer }), ...s.datasets.map((d) => h('td', { 'data-level': d.level, 'data-value': d.values[i], text: pct(d.values[i], 2) })),
            ...(s.nm ? [h('td', { 'data-nm': '', text: s.nm[i] })] : [])),
        ),
      ),
    );
  }

  /** The layer selected in the dashboard (graph, select, tree): its bars stay strong, the others fade. */
  setSelectedLayer(layer: string | undefined): void {
    this.selectedLayer = layer;
    this.canvas.dataset.selectedLayer = layer ?? '';
    if (this.palette) this.render(this.palette, this.level);
  }

  render(p: Palette, selectedLevel: number): void {
    this.palette = p;
    this.level = selectedLevel;
    const s = this.series;
    this.chart?.destroy();
    this.chart = undefined;
    if (!s || s.layers.length === 0) return;
    this.canvas.dataset.selectedLevel = String(selectedLevel);
    const shown = selectedLevel > 0 && s.datasets.some((d) => d.level === selectedLevel) ? s.datasets.filter((d) => d.level === selectedLevel) : s.datasets;
    // Keep bars readable with many layers: the box grows and its parent scrolls.
    this.box.style.minWidth = `${Math.max(0, s.layers.length * Math.max(14, shown.length * 7) + 80)}px`;
    const colors = levelColors(p, Math.max(1, this.levelCount));
    const labels = shortLayerNames(s.layers);
    this.chart = new Chart<'bar', number[], string>(this.canvas, {
      type: 'bar',
      data: {
        labels: s.layers,
        datasets: shown.map((d) => {
          const c = d.level === 0 ? p.blue : colors[d.level - 1];
          const chosen = s.layers.indexOf(this.selectedLayer ?? '');
          const faded = p.highContrast ? 0.55 : 0.35;
          return {
            label: d.label,
            data: d.values,
            backgroundColor: s.layers.map((_l, i) => toCss(c, chosen < 0 || i === chosen ? (p.highContrast ? 1 : 0.85) : faded)),
            borderColor: s.layers.map((_l, i) => toCss(i === chosen ? p.foreground : p.highContrast ? p.foreground : c)),
            borderWidth: s.layers.map((_l, i) => (i === chosen ? 2 : p.highContrast ? 1 : 0)),
            categoryPercentage: 0.8,
            barPercentage: 0.9,
          };
        }),
      },
      options: {
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { ticks: { autoSkip: false, maxRotation: 60, callback: (_v, i) => labels[i] ?? '' }, grid: { display: false } },
          y: { min: 0, max: 1, title: { display: true, text: 'sparsity' }, ticks: { callback: (v) => pct(Number(v), 0) } },
        },
        plugins: {
          // Start-aligned: a wide chart scrolls, and a centred legend would sit off-screen.
          legend: { position: 'bottom', align: 'start', display: shown.length > 1 || this.levelCount === 0 },
          tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label ?? ''}: ${pct(ctx.parsed.y, 2)}`, afterLabel: (ctx) => (s.nm?.[ctx.dataIndex] ? `N:M: ${s.nm[ctx.dataIndex]}` : '') } },
        },
      },
    });
  }
}
