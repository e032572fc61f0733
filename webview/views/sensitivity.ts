/**
 * Layer sensitivity: on request the host runs `elsa sensitivity` in a child process; the answer is drawn as
 * one line per layer (test accuracy against that layer's sparsity, the rest of the level untouched), with the
 * suggested per-layer sparsity for the chosen overall target and the run config the CLI wrote for it.
 */
import type { ChartDataset } from 'chart.js';
import type { SensitivityData } from '../../src/protocol/webview';
import { Chart, lineWidth } from '../charts';
import { toCss, type Palette } from '../colors';
import { clear, h, setDataJson } from '../dom';
import { count, pct } from '../format';
import type { XY } from '../series';
import { card, chartBox, setNote, type Card } from './card';

export interface SensitivityActions {
  /** Runs the scan at `target`; resolves with the data or rejects with a one-line message. */
  run(target: number): Promise<SensitivityData>;
  openConfig(uri: string): void;
}

export class SensitivityView {
  readonly card: Card;
  private readonly canvas: HTMLCanvasElement;
  private readonly box: HTMLElement;
  private readonly button: HTMLElement;
  private readonly target: HTMLInputElement;
  private readonly table: HTMLTableElement;
  private readonly config: HTMLElement;
  private chart: Chart<'line', XY[]> | undefined;
  private data: SensitivityData | undefined;
  private running = false;
  private palette: Palette | undefined;
  private selectedLayer: string | undefined;

  constructor(private readonly actions: SensitivityActions) {
    this.card = card(
      'sensitivity-section',
      'Layer sensitivity',
      'Each layer pruned alone by magnitude (50–98 % of its weights, on top of the selected level; all levels: the dense one) and evaluated on the test set. From the curves: per-layer sparsity for an overall target, cheapest accuracy per removed weight first.',
    );
    this.target = h('input', { id: 'sensitivity-target', type: 'number', min: '0.05', max: '0.99', step: '0.05', value: '0.9', 'aria-label': 'Overall target sparsity' });
    this.button = h('vscode-button', { id: 'sensitivity-run', text: 'Run scan' });
    this.button.addEventListener('click', () => void this.start());
    this.card.tools.append(h('label', { class: 'tool' }, h('span', { text: 'Target' }), this.target), this.button);
    const { box, canvas } = chartBox('sensitivity-chart', 'Test accuracy against each layer\'s sparsity', 'tall');
    this.canvas = canvas;
    this.box = box;
    this.box.hidden = true;
    this.table = h('table', { class: 'storage', id: 'sensitivity-table', hidden: true });
    this.config = h('p', { class: 'note', id: 'sensitivity-config', hidden: true });
    this.card.body.append(box, this.table, this.config);
    setNote(this.card.note, 'Not run yet: the scan evaluates the model once per layer and sparsity (about 5 × the layers), in a separate process.');
  }

  /** Hidden where a scan cannot run (Restricted Mode: the host refuses actions that run the CLI). */
  setAllowed(allowed: boolean): void {
    this.button.toggleAttribute('disabled', !allowed || this.running);
    this.button.title = allowed ? 'Run elsa sensitivity on this checkpoint' : 'Restricted Mode: trust the workspace to run the scan';
  }

  private async start(): Promise<void> {
    if (this.running) return;
    const target = Number(this.target.value);
    if (!(target > 0 && target < 1)) {
      setNote(this.card.note, `The target must be a sparsity between 0 and 1, got "${this.target.value}".`);
      return;
    }
    this.running = true;
    this.button.toggleAttribute('disabled', true);
    this.card.root.dataset.state = 'running';
    setNote(this.card.note, 'Running elsa sensitivity… (progress in the ELSA output channel)');
    try {
      this.data = await this.actions.run(target);
      this.card.root.dataset.state = 'ready';
      setNote(this.card.note, undefined);
      this.show(this.data);
    } catch (e) {
      this.card.root.dataset.state = 'error';
      setNote(this.card.note, `Sensitivity scan failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.running = false;
      this.button.toggleAttribute('disabled', false);
    }
  }

  /** Forgets the scan shown (the file changed), with a note saying why. */
  clear(note: string): void {
    if (this.running) return;
    this.data = undefined;
    this.chart?.destroy();
    this.chart = undefined;
    this.box.hidden = true;
    this.table.hidden = true;
    this.config.hidden = true;
    delete this.card.root.dataset.state;
    setNote(this.card.note, note);
  }

  /** Shows a scan saved before the webview was reloaded (its tab was hidden). */
  restore(d: SensitivityData): void {
    this.data = d;
    this.target.value = String(d.suggestion.target);
    this.card.root.dataset.state = 'ready';
    setNote(this.card.note, undefined);
    this.show(d);
  }

  private show(d: SensitivityData): void {
    setDataJson(this.canvas, 'points', d.layers.map((l) => ({ layer: l.name, points: l.points.map((p) => [p.sparsity, p.accuracy]) })));
    this.box.hidden = false;
    const s = d.suggestion;
    clear(this.table);
    this.table.hidden = false;
    this.table.append(
      h('caption', { text: `Suggested for ${pct(s.target, 1)} overall${s.reachable ? '' : ` (not reachable from this level: ${pct(s.reached, 1)})`} · baseline ${pct(d.baseline.accuracy, 2)} on ${d.dataset}, ${d.seconds.toFixed(1)} s` }),
      h('thead', {}, h('tr', {}, ...['Layer', 'Weights', 'Now', 'Suggested', 'Accuracy alone'].map((t) => h('th', { scope: 'col', text: t })))),
      h(
        'tbody',
        {},
        ...s.layers.map((l) => {
          const base = d.layers.find((x) => x.name === l.name);
          return h(
            'tr',
            { 'data-layer': l.name, 'data-sparsity': l.sparsity },
            h('th', { scope: 'row', text: l.name }),
            h('td', { class: 'num', text: count(base?.size ?? NaN) }),
            h('td', { class: 'num', text: pct(base?.baseSparsity, 1) }),
            h('td', { class: 'num', text: pct(l.sparsity, 1) }),
            h('td', { class: 'num', text: pct(l.accuracyAlone, 1) }),
          );
        }),
      ),
    );
    clear(this.config);
    this.config.hidden = false;
    const link = h('a', { href: '#', id: 'sensitivity-open-config', text: decodeURIComponent(d.configUri.split('/').pop() ?? 'config') });
    link.addEventListener('click', (e) => {
      e.preventDefault();
      this.actions.openConfig(d.configUri);
    });
    this.config.append('Run config with these per-layer targets for every level: ', link, ' (start it with ELSA: Train).');
    if (this.palette) this.render(this.palette);
  }

  /** The layer selected in the dashboard: its curve is drawn thicker, the others thinner. */
  setSelectedLayer(layer: string | undefined): void {
    this.selectedLayer = layer;
    this.canvas.dataset.selectedLayer = layer ?? '';
    if (this.palette) this.render(this.palette);
  }

  render(p: Palette): void {
    this.palette = p;
    const d = this.data;
    this.chart?.destroy();
    this.chart = undefined;
    if (!d) return;
    const hues = [p.blue, p.green, p.orange, p.purple, p.red, p.yellow];
    const datasets: ChartDataset<'line', XY[]>[] = d.layers.map((l, i) => ({
      label: l.name,
      data: l.points.map((q) => ({ x: q.sparsity, y: q.accuracy })),
      borderColor: toCss(hues[i % hues.length]),
      backgroundColor: toCss(hues[i % hues.length]),
      borderWidth: l.name === this.selectedLayer ? lineWidth(p) * 2.5 : lineWidth(p),
      // Past six layers the hues repeat: a dash pattern per round keeps the lines apart.
      borderDash: i < hues.length ? [] : [6, 3 + Math.floor(i / hues.length)],
      pointRadius: 3,
    }));
    this.chart = new Chart<'line', XY[]>(this.canvas, {
      type: 'line',
      data: { datasets },
      options: {
        parsing: false,
        clip: 8,
        interaction: { mode: 'nearest', intersect: false },
        scales: {
          x: { type: 'linear', min: 0, max: 1, title: { display: true, text: "the layer's sparsity" }, ticks: { callback: (v) => pct(Number(v), 0) } },
          y: { type: 'linear', title: { display: true, text: 'test accuracy' }, ticks: { callback: (v) => pct(Number(v), 0) } },
        },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label ?? ''}: ${pct(ctx.parsed.y, 2)} at ${pct(ctx.parsed.x, 1)} of the layer pruned` } },
        },
      },
    });
  }
}
