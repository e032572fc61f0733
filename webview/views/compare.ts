/**
 * Compare two networks (two levels of one checkpoint, or two files): side-by-side accuracy with the evidence
 * behind it, per-layer sparsity of both sides (grouped bars), per-layer Jaccard index of the kept weights
 * against what random masks of the same densities would give, and the histogram of w_B − w_A for one layer.
 * The numbers come from the host (src/core/compare.ts, as `elsa compare --json`) and are published as data
 * attributes for tests.
 */
import type { CompareResult, CompareSide } from '../../src/protocol/compare';
import { Chart } from '../charts';
import { toCss, type Palette } from '../colors';
import { compareBars, diffSeries, pickCompareLayer, sideAccuracy, sideLevelLabel, unmatchedLines, type DiffSeries } from '../compareSeries';
import { clear, h, setDataJson } from '../dom';
import { count, pct } from '../format';
import { card, chartBox, setNote, type Card } from './card';

type SelectElement = HTMLElement & { value: string };

export interface CompareActions {
  /** Runs the comparison; 0 = the side's level as the panel was opened. Rejects with a one-line message. */
  run(levelA: number, levelB: number): Promise<CompareResult>;
}

export interface LevelChoice {
  value: number;
  label: string;
}

const share = (v: number | null) => (v === null ? '—' : pct(v, 1));

export class CompareView {
  readonly card: Card;
  private readonly levelA: SelectElement;
  private readonly levelB: SelectElement;
  private readonly button: HTMLElement;
  private readonly sides: HTMLTableElement;
  private readonly totals: HTMLElement;
  private readonly charts: HTMLElement;
  private readonly sparsityCanvas: HTMLCanvasElement;
  private readonly jaccardCanvas: HTMLCanvasElement;
  private readonly table: HTMLTableElement;
  private readonly layerSelect: SelectElement;
  private readonly diffBox: HTMLElement;
  private readonly diffCanvas: HTMLCanvasElement;
  private readonly diffNote: HTMLElement;
  private readonly unmatched: HTMLElement;
  private result: CompareResult | undefined;
  private layer: string | undefined;
  private palette: Palette | undefined;
  private readonly drawn: Chart[] = [];
  private running = false;

  constructor(private readonly actions: CompareActions, title = 'Compare levels') {
    this.card = card(
      'compare-section',
      title,
      'Two networks weight by weight. A level keeps the weights with code ≤ level (a plain file: its nonzero weights). Jaccard = |A∩B| / |A∪B| of the kept weights, per layer, beside what random masks of the same densities would give; Δw = w_B − w_A over the weights either side keeps.',
    );
    this.levelA = h('vscode-single-select', { id: 'compare-level-a', 'aria-label': 'Level A' }) as SelectElement;
    this.levelB = h('vscode-single-select', { id: 'compare-level-b', 'aria-label': 'Level B' }) as SelectElement;
    for (const select of [this.levelA, this.levelB]) select.addEventListener('change', () => (select.dataset.chosen = select.value));
    this.button = h('vscode-button', { id: 'compare-run', text: 'Compare' });
    this.button.addEventListener('click', () => void this.start());
    this.card.tools.append(h('label', { class: 'tool' }, h('span', { text: 'A' }), this.levelA), h('label', { class: 'tool' }, h('span', { text: 'B' }), this.levelB), this.button);
    this.sides = h('table', { class: 'storage', id: 'compare-sides', hidden: true });
    this.totals = h('p', { class: 'note', id: 'compare-total', hidden: true });
    const sparsity = chartBox('compare-sparsity-chart', 'Per-layer sparsity of A and B');
    const jaccard = chartBox('compare-jaccard-chart', 'Per-layer Jaccard index of the kept weights');
    this.sparsityCanvas = sparsity.canvas;
    this.jaccardCanvas = jaccard.canvas;
    this.charts = h('div', { class: 'compare-charts', hidden: true }, h('div', {}, h('h3', { text: 'Sparsity per layer' }), sparsity.box), h('div', {}, h('h3', { text: 'Mask overlap (Jaccard) per layer' }), jaccard.box));
    this.table = h('table', { class: 'storage', id: 'compare-table', hidden: true });
    this.layerSelect = h('vscode-single-select', { id: 'compare-layer-select', 'aria-label': 'Layer for the difference histogram' }) as SelectElement;
    this.layerSelect.addEventListener('change', () => this.selectLayer(this.layerSelect.value));
    const diff = chartBox('compare-diff-chart', 'Histogram of weight differences w_B − w_A in the selected layer');
    this.diffCanvas = diff.canvas;
    this.diffNote = h('p', { class: 'note', id: 'compare-diff-note' });
    this.diffBox = h('div', { hidden: true }, h('div', { class: 'card-head' }, h('h3', { text: 'Weight differences w_B − w_A' }), h('label', { class: 'tool' }, h('span', { text: 'Layer' }), this.layerSelect)), diff.box, this.diffNote);
    this.unmatched = h('ul', { class: 'problems', id: 'compare-unmatched', hidden: true });
    this.card.body.append(this.sides, this.totals, this.charts, this.table, this.diffBox, this.unmatched);
    setNote(this.card.note, 'Pick two levels and press Compare.');
  }

  /**
   * The level choices of each side (a side without levels hides its selector). A choice the user made that is
   * still offered is kept: a live run reloads the summary after every epoch, and must not undo it.
   */
  setLevels(a: readonly LevelChoice[], b: readonly LevelChoice[], selectedA: number, selectedB: number): void {
    for (const [select, choices, fallback] of [[this.levelA, a, selectedA], [this.levelB, b, selectedB]] as const) {
      const chosen = Number(select.dataset.chosen);
      const selected = choices.some((c) => c.value === chosen) ? chosen : fallback;
      clear(select);
      for (const c of choices) select.append(h('vscode-option', { value: String(c.value), text: c.label }));
      select.value = String(selected);
      (select.parentElement ?? select).hidden = choices.length === 0;
    }
    this.button.hidden = a.length === 0 && b.length === 0;
  }

  /** Starts a comparison of the selected levels (0 where a side has no selector). */
  async start(): Promise<void> {
    if (this.running) return;
    const levelA = Number(this.levelA.value) || 0;
    const levelB = Number(this.levelB.value) || 0;
    this.running = true;
    this.button.toggleAttribute('disabled', true);
    this.card.root.dataset.state = 'running';
    setNote(this.card.note, 'Comparing… (reads every compared layer of both sides once)');
    try {
      this.show(await this.actions.run(levelA, levelB));
      this.card.root.dataset.state = 'ready';
      setNote(this.card.note, undefined);
    } catch (e) {
      this.card.root.dataset.state = 'error';
      setNote(this.card.note, `Compare failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.running = false;
      this.button.toggleAttribute('disabled', false);
    }
  }

  private show(r: CompareResult): void {
    this.result = r;
    this.card.root.dataset.levelA = String(r.a.level ?? 0);
    this.card.root.dataset.levelB = String(r.b.level ?? 0);
    this.fillSides(r);
    const t = r.total;
    this.totals.hidden = false;
    this.totals.textContent = `All compared layers: Jaccard ${t.jaccard.toFixed(4)} (random masks of these densities: ${t.jaccardIfRandom.toFixed(4)}); B keeps ${share(t.sharedOfA)} of A's kept weights, A keeps ${share(t.sharedOfB)} of B's. ${count(t.intersection)} of ${count(t.size)} weights kept by both.`;
    setDataJson(this.totals, 'total', t);
    this.fillTable(r);
    const bars = compareBars(r);
    setDataJson(this.sparsityCanvas, 'points', { layers: bars.layers, a: bars.sparsityA, b: bars.sparsityB });
    setDataJson(this.jaccardCanvas, 'points', { layers: bars.layers, jaccard: bars.jaccard, jaccardIfRandom: bars.jaccardIfRandom });
    this.charts.hidden = false;
    clear(this.layerSelect);
    for (const l of r.layers) this.layerSelect.append(h('vscode-option', { value: l.name, text: `${l.name}  [${l.shape.join('×')}]` }));
    this.layer = pickCompareLayer(r, this.layer);
    if (this.layer) this.layerSelect.value = this.layer;
    const lines = unmatchedLines(r);
    clear(this.unmatched);
    for (const line of lines) this.unmatched.append(h('li', { text: line }));
    this.unmatched.hidden = lines.length === 0;
    this.showDiff();
    if (this.palette) this.render(this.palette);
  }

  private fillSides(r: CompareResult): void {
    const row = (tag: 'a' | 'b', s: CompareSide) => {
      const acc = sideAccuracy(s);
      return h(
        'tr',
        { 'data-side': tag, 'data-level': s.level ?? 0, 'data-accuracy': s.accuracy, 'data-sparsity': s.sparsity, 'data-epochs': s.epochs, 'data-test-count': s.testCount, 'data-kind': s.kind },
        h('th', { scope: 'row', text: tag.toUpperCase() }),
        h('td', { text: s.file }),
        h('td', { 'data-col': 'level', text: `${sideLevelLabel(s)}${s.kind === 'elsa' || s.kind === 'plain' ? '' : ` · ${s.kind}`}` }),
        h('td', { class: 'num', 'data-col': 'accuracy', text: acc.text }),
        h('td', { 'data-col': 'evidence', text: acc.evidence }),
        h('td', { class: 'num', 'data-col': 'sparsity', text: pct(s.sparsity, 2) }),
      );
    };
    clear(this.sides);
    this.sides.hidden = false;
    this.sides.append(
      h('thead', {}, h('tr', {}, ...['', 'File', 'Level', 'Accuracy', 'Behind it', 'Sparsity'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, row('a', r.a), row('b', r.b)),
    );
  }

  private fillTable(r: CompareResult): void {
    clear(this.table);
    this.table.hidden = false;
    this.table.append(
      h('thead', {}, h('tr', {}, ...['Layer', 'Sparsity A', 'Sparsity B', 'Jaccard', 'If random', 'A kept by B', 'B kept by A', 'Δw = 0'].map((t) => h('th', { scope: 'col', text: t })))),
      h(
        'tbody',
        {},
        ...r.layers.map((l) => {
          const tr = h(
            'tr',
            {
              'data-layer': l.name, 'data-jaccard': l.jaccard, 'data-jaccard-if-random': l.jaccardIfRandom, 'data-sparsity-a': l.sparsityA, 'data-sparsity-b': l.sparsityB,
              'data-intersection': l.intersection, 'data-union': l.union, tabindex: 0, title: 'Show this layer\'s weight differences',
            },
            h('th', { scope: 'row', text: l.name }),
            h('td', { class: 'num', text: pct(l.sparsityA, 2) }),
            h('td', { class: 'num', text: pct(l.sparsityB, 2) }),
            h('td', { class: 'num', 'data-col': 'jaccard', text: l.jaccard.toFixed(4) }),
            h('td', { class: 'num', text: l.jaccardIfRandom.toFixed(4) }),
            h('td', { class: 'num', text: share(l.sharedOfA) }),
            h('td', { class: 'num', text: share(l.sharedOfB) }),
            h('td', { class: 'num', text: count(l.diff.zero) }),
          );
          tr.addEventListener('click', () => this.selectLayer(l.name));
          tr.addEventListener('keydown', (e) => e.key === 'Enter' && this.selectLayer(l.name));
          return tr;
        }),
      ),
    );
  }

  private selectLayer(layer: string): void {
    if (!layer || layer === this.layer || !this.result) return;
    this.layer = layer;
    if (this.layerSelect.value !== layer) this.layerSelect.value = layer;
    this.showDiff();
    if (this.palette) this.render(this.palette);
  }

  private currentDiff(): DiffSeries | undefined {
    return this.result && this.layer ? diffSeries(this.result, this.layer) : undefined;
  }

  private showDiff(): void {
    const d = this.currentDiff();
    this.diffBox.hidden = !d;
    for (const tr of this.table.querySelectorAll('tbody tr')) tr.classList.toggle('selected', (tr as HTMLElement).dataset.layer === this.layer);
    if (!d) return;
    this.diffCanvas.dataset.layer = d.layer;
    setDataJson(this.diffCanvas, 'points', { edges: d.edges, both: d.both, onlyA: d.onlyA, onlyB: d.onlyB, zero: d.zero, nonFinite: d.nonFinite, total: d.total, range: d.range });
    this.diffNote.textContent = d.note;
  }

  render(p: Palette): void {
    this.palette = p;
    for (const c of this.drawn.splice(0)) c.destroy();
    const r = this.result;
    if (!r) return;
    const bars = compareBars(r);
    const fill = (c: typeof p.blue) => toCss(c, p.highContrast ? 1 : 0.85);
    const border = (c: typeof p.blue) => toCss(p.highContrast ? p.foreground : c);
    const bw = p.highContrast ? 1 : 0;
    const a = `A · ${sideLevelLabel(r.a)}`;
    const b = `B · ${sideLevelLabel(r.b)}`;
    const axis = { ticks: { autoSkip: false, maxRotation: 60, callback: (_v: unknown, i: number) => bars.labels[i] ?? '' }, grid: { display: false } };
    const shares = { min: 0, max: 1, ticks: { callback: (v: string | number) => pct(Number(v), 0) } };
    this.drawn.push(new Chart<'bar', number[], string>(this.sparsityCanvas, {
      type: 'bar',
      data: { labels: bars.layers, datasets: [
        { label: a, data: bars.sparsityA, backgroundColor: fill(p.blue), borderColor: border(p.blue), borderWidth: bw },
        { label: b, data: bars.sparsityB, backgroundColor: fill(p.orange), borderColor: border(p.orange), borderWidth: bw },
      ] },
      options: {
        interaction: { mode: 'index', intersect: false },
        scales: { x: axis, y: { ...shares, title: { display: true, text: 'sparsity' } } },
        plugins: { legend: { position: 'bottom', align: 'start' }, tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label ?? ''}: ${pct(ctx.parsed.y, 2)}` } } },
      },
    }));
    this.drawn.push(new Chart<'bar', number[], string>(this.jaccardCanvas, {
      type: 'bar',
      data: { labels: bars.layers, datasets: [
        { label: 'Jaccard of kept weights', data: bars.jaccard, backgroundColor: fill(p.green), borderColor: border(p.green), borderWidth: bw },
        { label: 'random masks, same densities', data: bars.jaccardIfRandom, backgroundColor: toCss(p.muted, p.highContrast ? 1 : 0.5), borderColor: border(p.muted), borderWidth: bw },
      ] },
      options: {
        interaction: { mode: 'index', intersect: false },
        scales: { x: axis, y: { min: 0, max: 1, title: { display: true, text: 'Jaccard index' } } },
        plugins: { legend: { position: 'bottom', align: 'start' }, tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label ?? ''}: ${(ctx.parsed.y ?? 0).toFixed(4)}` } } },
      },
    }));
    const d = this.currentDiff();
    if (!d) return;
    const digits = Math.max(2, -Math.floor(Math.log10(d.range || 1)) + 2);
    this.drawn.push(new Chart<'bar', number[], string>(this.diffCanvas, {
      type: 'bar',
      data: { labels: d.centers.map((c) => c.toFixed(digits)), datasets: [
        { label: 'kept by both', data: d.both, backgroundColor: fill(p.green), borderColor: border(p.green), borderWidth: bw, stack: 'w' },
        { label: 'A only (−w_A)', data: d.onlyA, backgroundColor: fill(p.blue), borderColor: border(p.blue), borderWidth: bw, stack: 'w' },
        { label: 'B only (+w_B)', data: d.onlyB, backgroundColor: fill(p.orange), borderColor: border(p.orange), borderWidth: bw, stack: 'w' },
      ] },
      options: {
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { stacked: true, title: { display: true, text: 'w_B − w_A' }, grid: { display: false } },
          y: { stacked: true, min: 0, title: { display: true, text: 'weights' } },
        },
        plugins: {
          legend: { position: 'bottom', align: 'start' },
          tooltip: { callbacks: { title: (items) => (items.length ? `Δw in [${d.edges[items[0].dataIndex].toPrecision(3)}, ${d.edges[items[0].dataIndex + 1].toPrecision(3)})` : ''), label: (ctx) => `${ctx.dataset.label ?? ''}: ${count(ctx.parsed.y ?? 0)}` } },
        },
      },
    }));
  }
}
