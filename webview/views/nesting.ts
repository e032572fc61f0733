/**
 * Mask nesting for one layer: a heatmap of level codes drawn as ImageData (one pixel per cell, upscaled with
 * crisp pixels), beside it the stored weight values on the same grid (diverging theme colours: blue negative,
 * red positive), a legend of level colours with each level's share of weights, the share as a stacked bar, and
 * the nesting check. Selecting a level greys out the weights outside its mask, which shows M_k growing.
 * A file without levels gets the same view as its zero pattern (the host sends code 1 = nonzero, 2 = zero).
 * Hovering either heatmap names the cell's exact weight range (from the host's mapping), values and code.
 */
import type { HeatmapData } from '../../src/protocol/webview';
import { levelColors, mix, toCss, type Palette, type Rgba } from '../colors';
import { clear, h, setDataJson } from '../dom';
import { levelLabel, pct } from '../format';
import { cellAt, describeCell, fitGrid, paintLevelCodes, paintValues } from '../heatmap';
import { card, setNote, type Card } from './card';

export class NestingView {
  readonly card: Card;
  private readonly canvas: HTMLCanvasElement;
  private readonly valueCanvas: HTMLCanvasElement;
  private readonly valueBlock: HTMLElement;
  private readonly valueScale: HTMLElement;
  private readonly frame: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly shareBar: HTMLElement;
  private readonly check: HTMLElement;
  private readonly hover: HTMLElement;
  private readonly axes: HTMLElement;
  private heatmap: HeatmapData | undefined;
  private targets: readonly number[] = [];
  private colors: Rgba[] = [];
  /** True for a file without ELSA levels: the heatmap is its zero pattern. */
  private zeroPattern = false;
  private readonly title: HTMLElement;
  private readonly description: HTMLElement;
  private readonly shareTitle: HTMLElement;
  private readonly codesCaption: HTMLElement;

  constructor(private readonly onSelectLevel: (level: number) => void = () => undefined) {
    this.card = card('nesting-section', 'Mask nesting', 'Level code of every weight (downsampled for large layers): level k keeps the weights with code ≤ k.');
    this.canvas = h('canvas', { id: 'nesting-heatmap', role: 'img', 'aria-label': 'Heatmap of level codes' });
    this.axes = h('p', { class: 'heatmap-axes', id: 'nesting-axes' });
    this.valueCanvas = h('canvas', { id: 'values-heatmap', role: 'img', 'aria-label': 'Heatmap of weight values' });
    this.valueScale = h('p', { class: 'heatmap-axes', id: 'values-scale' });
    this.valueBlock = h('figure', { class: 'heatmap-figure' }, h('figcaption', { text: 'Weight values' }), h('div', { class: 'heatmap-frame' }, this.valueCanvas), this.valueScale);
    this.codesCaption = h('figcaption', { text: 'Level codes' });
    this.frame = h('div', { class: 'heatmap-pair' }, h('figure', { class: 'heatmap-figure' }, this.codesCaption, h('div', { class: 'heatmap-frame' }, this.canvas)), this.valueBlock);
    this.hover = h('p', { class: 'heatmap-hover', id: 'nesting-hover', 'aria-live': 'polite', text: ' ' });
    this.legend = h('ul', { class: 'legend', id: 'nesting-legend', 'aria-label': 'Level colours and share of weights' });
    this.shareBar = h('div', { class: 'share-bar', id: 'nesting-share', role: 'img', 'aria-label': 'Share of weights per level' });
    this.check = h('p', { class: 'nesting-check', id: 'nesting-check', role: 'status' });
    this.shareTitle = h('h3', { text: 'Share of weights per level' });
    const side = h('div', { class: 'heatmap-side' }, this.check, this.shareTitle, this.shareBar, this.legend);
    this.title = this.card.root.querySelector('h2') as HTMLElement;
    this.description = this.card.root.querySelector('.card-description') as HTMLElement;
    this.card.body.append(h('div', { class: 'heatmap-layout' }, h('div', { class: 'heatmap-main' }, this.frame, this.axes, this.hover), side));
    for (const canvas of [this.canvas, this.valueCanvas]) {
      canvas.addEventListener('mousemove', (e) => this.onHover(e, canvas));
      canvas.addEventListener('mouseleave', () => (this.hover.textContent = ' '));
    }
  }

  /** `targets` of the ELSA levels; `zeroPattern` for a file without levels. */
  setFile(targets: readonly number[], zeroPattern: boolean): void {
    this.targets = targets;
    this.zeroPattern = zeroPattern;
    this.title.textContent = zeroPattern ? 'Zero pattern' : 'Mask nesting';
    this.description.textContent = zeroPattern
      ? 'Which weights are exactly zero (downsampled for large layers). This file has no ELSA levels, so there is no nesting to check.'
      : 'Level code of every weight (downsampled for large layers): level k keeps the weights with code ≤ k.';
    this.shareTitle.textContent = zeroPattern ? 'Share of weights' : 'Share of weights per level';
    this.codesCaption.textContent = zeroPattern ? 'Zero or not' : 'Level codes';
    this.canvas.setAttribute('aria-label', zeroPattern ? 'Heatmap of zero and nonzero weights' : 'Heatmap of level codes');
  }

  /** Shows a message instead of a heatmap (foreign file, failed request, no layer). */
  showMessage(text: string): void {
    this.heatmap = undefined;
    this.card.body.hidden = true;
    setNote(this.card.note, text);
  }

  setHeatmap(heatmap: HeatmapData): void {
    this.heatmap = heatmap;
    this.card.body.hidden = false;
    const c = this.canvas;
    c.dataset.layer = heatmap.layer;
    c.dataset.rows = String(heatmap.rows);
    c.dataset.cols = String(heatmap.cols);
    c.dataset.sourceRows = String(heatmap.sourceRows);
    c.dataset.sourceCols = String(heatmap.sourceCols);
    c.dataset.reduction = heatmap.reduction;
    c.dataset.levelCount = String(heatmap.levelCount);
    c.dataset.nestingOk = String(heatmap.nestingOk);
    setDataJson(c, 'codeShare', heatmap.codeShare);
    setDataJson(c, 'rowStarts', heatmap.rowStarts);
    setDataJson(c, 'colStarts', heatmap.colStarts);
    // Cells cover whole rows/columns, a varying number of them when the sizes do not divide (e.g. 1–2 rows).
    const per = (starts: number[]) => {
      let lo = Infinity;
      let hi = 0;
      for (let i = 1; i < starts.length; i++) { lo = Math.min(lo, starts[i] - starts[i - 1]); hi = Math.max(hi, starts[i] - starts[i - 1]); }
      return lo === hi ? String(lo) : `${lo}–${hi}`;
    };
    this.axes.textContent =
      `${heatmap.sourceRows} × ${heatmap.sourceCols} weights` +
      (heatmap.reduction === 'exact' ? ', one pixel each' : `, cells of ${per(heatmap.rowStarts)} × ${per(heatmap.colStarts)} weights (${this.reductionText(heatmap.reduction)})`);
    this.valueBlock.hidden = !heatmap.values;
    if (heatmap.values) {
      this.valueCanvas.dataset.scale = String(heatmap.values.scale);
      this.valueScale.textContent = heatmap.reduction === 'exact' ? `±${heatmap.values.scale.toPrecision(3)} (stored weights)` : `cell means, ±${heatmap.values.scale.toPrecision(3)} (stored weights)`;
    }
    this.card.note.hidden = true;
  }

  render(p: Palette, selectedLevel: number): void {
    const hm = this.heatmap;
    if (!hm) return;
    this.colors = levelColors(p, hm.levelCount);
    // Weights outside the selected level's mask fade towards the background.
    const shown = this.colors.map((c, i) => (!this.zeroPattern && selectedLevel > 0 && i + 1 > selectedLevel ? mix(c, { ...p.background, a: 1 }, 0.8) : c));
    const canvas = this.canvas;
    canvas.width = Math.max(1, hm.cols);
    canvas.height = Math.max(1, hm.rows);
    const ctx = canvas.getContext('2d');
    if (ctx && hm.rows > 0 && hm.cols > 0) {
      const image = ctx.createImageData(hm.cols, hm.rows);
      paintLevelCodes(hm.codes, shown, image.data);
      ctx.putImageData(image, 0, 0);
    }
    const pair = hm.values ? 2 : 1;
    const available = Math.max(120, ((this.frame.parentElement?.clientWidth ?? 480) - 4 - (pair - 1) * 12) / pair);
    const size = fitGrid(hm.rows, hm.cols, Math.min(available, 560), 360);
    canvas.style.width = `${size.width}px`;
    canvas.style.height = `${size.height}px`;
    if (hm.values) this.renderValues(hm, p, size);
    canvas.dataset.selectedLevel = String(selectedLevel);
    this.renderCheck(hm);
    this.renderShare(hm, p, selectedLevel);
  }

  /** Stored weights, one pixel per cell: the theme's blue for negative, red for positive, background at 0. */
  private renderValues(hm: HeatmapData, p: Palette, size: { width: number; height: number }): void {
    const v = hm.values!;
    const canvas = this.valueCanvas;
    canvas.width = Math.max(1, hm.cols);
    canvas.height = Math.max(1, hm.rows);
    const ctx = canvas.getContext('2d');
    if (ctx && hm.rows > 0 && hm.cols > 0) {
      const image = ctx.createImageData(hm.cols, hm.rows);
      paintValues(v.mean, v.scale, { ...p.blue, a: 1 }, { ...p.background, a: 1 }, { ...p.red, a: 1 }, image.data);
      ctx.putImageData(image, 0, 0);
    }
    canvas.style.width = `${size.width}px`;
    canvas.style.height = `${size.height}px`;
  }

  private reductionText(reduction: 'min' | 'mode'): string {
    if (this.zeroPattern) return reduction === 'min' ? 'nonzero if any weight in the block is' : 'the more common of zero and nonzero';
    return reduction === 'min' ? 'sparsest level in the block' : 'most common level';
  }

  private label(code: number, levelCount: number): string {
    if (this.zeroPattern) return code === 1 ? 'nonzero' : 'zero';
    return levelLabel(code, levelCount, code < levelCount ? this.targets[code - 1] : undefined);
  }

  private renderCheck(hm: HeatmapData): void {
    this.check.hidden = this.zeroPattern;
    const k = hm.levelCount;
    const chain = k > 1 ? `${Array.from({ length: k - 1 }, (_, i) => `M${i + 1}`).join(' ⊂ ')} ⊂ dense` : 'single level';
    this.check.dataset.ok = String(hm.nestingOk);
    this.check.className = `nesting-check ${hm.nestingOk ? 'ok' : 'bad'}`;
    this.check.textContent = hm.nestingOk ? `✓ Nested: ${chain} holds in ${hm.layer}.` : `✗ Nesting violated in ${hm.layer}: some weight of a sparser level is missing from a denser one.`;
  }

  private renderShare(hm: HeatmapData, p: Palette, selectedLevel: number): void {
    clear(this.shareBar);
    clear(this.legend);
    const outline = toCss(p.foreground, p.highContrast ? 1 : 0.35);
    let cumulative = 0;
    hm.codeShare.forEach((share, i) => {
      const code = i + 1;
      cumulative += share;
      const color = this.colors[i] ?? p.muted;
      const label = this.label(code, hm.levelCount);
      const seg = h('span', { class: 'share-seg', 'data-level': code, 'data-share': share, title: `${label}: ${pct(share, 2)} of weights` });
      if (this.zeroPattern) seg.dataset.kind = label;
      seg.style.width = `${(share * 100).toFixed(3)}%`;
      seg.style.backgroundColor = toCss(color);
      this.shareBar.append(seg);
      const swatch = h('span', { class: 'swatch' });
      swatch.style.backgroundColor = toCss(color);
      swatch.style.borderColor = outline;
      // Level k's mask is every weight with code <= k: the cumulative share is that level's density.
      const inMask = code < hm.levelCount && !this.zeroPattern ? ` · mask keeps ${pct(cumulative, 1)}` : '';
      const item = h(
        'li',
        { 'data-level': code, 'data-share': share, class: !this.zeroPattern && selectedLevel > 0 && code > selectedLevel ? 'outside' : undefined },
        swatch,
        h('span', { class: 'legend-label', text: this.zeroPattern ? label : `code ${code} · ${label}` }),
        h('span', { class: 'legend-value', text: `${pct(share, 2)}${inMask}` }),
      );
      if (!this.zeroPattern && code < hm.levelCount) {
        // A legend entry selects its level (again: back to all), like the levels table.
        item.classList.add('selectable');
        item.tabIndex = 0;
        item.setAttribute('role', 'button');
        item.setAttribute('aria-pressed', String(code === selectedLevel));
        const select = (): void => this.onSelectLevel(code === selectedLevel ? 0 : code);
        item.addEventListener('click', select);
        item.addEventListener('keydown', (e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            select();
          }
        });
      }
      this.legend.append(item);
    });
    this.shareBar.setAttribute('aria-label', `Share of weights per level: ${hm.codeShare.map((s, i) => `${this.label(i + 1, hm.levelCount)} ${pct(s, 1)}`).join(', ')}`);
  }

  private onHover(e: MouseEvent, canvas: HTMLCanvasElement): void {
    const hm = this.heatmap;
    if (!hm) return;
    const rect = canvas.getBoundingClientRect();
    const cell = cellAt(e.clientX - rect.left, e.clientY - rect.top, rect.width, rect.height, hm.rows, hm.cols);
    if (!cell) return;
    this.hover.dataset.row = String(cell.row);
    this.hover.dataset.col = String(cell.col);
    this.hover.textContent = describeCell(hm, cell.row, cell.col, (code) => this.label(code, hm.levelCount));
  }
}
