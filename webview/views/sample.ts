/**
 * A level on a sample: the user picks test images of the run's dataset (by index) and/or an image file (the
 * host's file picker); the host runs `elsa predict` in a child process and this view draws the inputs, every
 * level's prediction with its confidence, the batch-1 latency of the dense engine kernels against the sparse
 * CSR path (the faster one marked as picked), and the level to extract — the sparsest that is still right —
 * with its `elsa extract` command to copy, or the Extract action.
 */
import type { LatencyStats, LevelSampleResult, SampleInput, SampleResult } from '../../src/protocol/sample';
import { clear, h, setDataJson } from '../dom';
import { levelLabel, pct } from '../format';
import { card, setNote, type Card } from './card';
import sampleCss from './sample.css';

export interface SampleActions {
  /** Runs the prediction; resolves with the result or rejects with a one-line message. */
  run(samples: number[], imageUri: string | undefined, runs: number): Promise<SampleResult>;
  /** The host's file picker; undefined when cancelled. */
  pickImage(): Promise<{ uri: string; name: string } | undefined>;
  copy(text: string): void;
  extract(level: number): void;
}

const DEFAULT_INDICES = '0,1,2,3';
const DEFAULT_RUNS = 30;

let styled = false;
/** The view's styles as a constructable sheet (allowed by the CSP, like the dashboard's own). */
function adoptStyles(): void {
  if (styled || typeof CSSStyleSheet === 'undefined') return;
  styled = true;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(sampleCss);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

/** "0, 3,7" → [0, 3, 7]; undefined when it is not a list of non-negative integers. */
export function parseIndices(text: string): number[] | undefined {
  const t = text.trim();
  if (t === '') return [];
  const parts = t.split(/[\s,]+/).filter(Boolean);
  const nums = parts.map(Number);
  return nums.every((n) => Number.isSafeInteger(n) && n >= 0) ? [...new Set(nums)] : undefined;
}

export class SampleView {
  readonly card: Card;
  private readonly indices: HTMLInputElement;
  private readonly runs: HTMLInputElement;
  private readonly button: HTMLElement;
  private readonly pickButton: HTMLElement;
  private readonly imageLabel: HTMLElement;
  private readonly clearImage: HTMLElement;
  private readonly inputs: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly recommendation: HTMLElement;
  private image: { uri: string; name: string } | undefined;
  private running = false;
  private allowed = true;
  private levelCount = 0;
  private targets: number[] = [];

  constructor(private readonly actions: SampleActions) {
    adoptStyles();
    this.card = card(
      'sample-section',
      'A level on a sample',
      "Every level predicts the chosen test images (or your image file), with its confidence, and its batch-1 latency on the engine's dense kernels and on a sparse CSR path, both measured in a separate process. Pick the sparsest level that is still right and fast enough.",
    );
    this.indices = h('input', { id: 'sample-indices', type: 'text', value: DEFAULT_INDICES, 'aria-label': 'Test image indices', title: 'Test-split indices of the run\'s dataset, e.g. 0,1,2' });
    this.runs = h('input', { id: 'sample-runs', type: 'number', min: '1', max: '10000', step: '1', value: String(DEFAULT_RUNS), 'aria-label': 'Timed runs per path' });
    this.pickButton = h('vscode-button', { id: 'sample-pick-image', secondary: true, text: 'Choose image…' });
    this.imageLabel = h('span', { id: 'sample-image-name', class: 'muted', hidden: true });
    this.clearImage = h('vscode-button', { id: 'sample-clear-image', secondary: true, text: '×', title: 'Do not use the image', hidden: true });
    this.button = h('vscode-button', { id: 'sample-run', text: 'Predict' });
    this.pickButton.addEventListener('click', () => void this.pick());
    this.clearImage.addEventListener('click', () => this.setImage(undefined));
    this.button.addEventListener('click', () => void this.start());
    this.card.tools.classList.add('sample-tools');
    this.card.tools.append(
      h('label', { class: 'tool' }, h('span', { text: 'Test images' }), this.indices),
      this.pickButton,
      this.imageLabel,
      this.clearImage,
      h('label', { class: 'tool' }, h('span', { text: 'Runs' }), this.runs),
      this.button,
    );
    this.inputs = h('div', { class: 'sample-inputs', id: 'sample-inputs', hidden: true });
    this.table = h('table', { class: 'storage sample-table', id: 'sample-table', hidden: true });
    this.recommendation = h('div', { id: 'sample-recommendation', hidden: true });
    this.card.body.append(this.inputs, h('div', { class: 'chart-scroll' }, this.table), this.recommendation);
    setNote(this.card.note, 'Not run yet: choose test images by index (or an image file of the model\'s size) and press Predict.');
  }

  /** The checkpoint's levels, for level names. */
  setLevels(levelCount: number, targets: number[]): void {
    this.levelCount = levelCount;
    this.targets = targets;
  }

  /** Restricted Mode: the host refuses to run the CLI, so the actions are disabled. */
  setAllowed(allowed: boolean): void {
    this.allowed = allowed;
    this.updateButtons();
    this.button.title = allowed ? 'Run elsa predict on this checkpoint' : 'Restricted Mode: trust the workspace to predict';
  }

  private updateButtons(): void {
    this.button.toggleAttribute('disabled', !this.allowed || this.running);
    this.pickButton.toggleAttribute('disabled', !this.allowed || this.running);
  }

  private setImage(image: { uri: string; name: string } | undefined): void {
    this.image = image;
    this.imageLabel.textContent = image ? image.name : '';
    this.imageLabel.hidden = !image;
    this.clearImage.hidden = !image;
    this.card.root.dataset.image = image?.name ?? '';
  }

  private async pick(): Promise<void> {
    try {
      const image = await this.actions.pickImage();
      if (image) this.setImage(image);
    } catch (e) {
      setNote(this.card.note, `No image: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async start(): Promise<void> {
    if (this.running) return;
    const samples = parseIndices(this.indices.value);
    const runs = Number(this.runs.value);
    if (!samples) return setNote(this.card.note, `Test images must be indices such as 0,1,2 — got "${this.indices.value}".`);
    if (samples.length === 0 && !this.image) return setNote(this.card.note, 'Choose at least one test image index or an image file.');
    if (samples.length > 64) return setNote(this.card.note, `At most 64 test images at once, got ${samples.length}.`);
    if (!Number.isInteger(runs) || runs < 1 || runs > 10_000) return setNote(this.card.note, `Runs must be a whole number from 1 to 10000, got "${this.runs.value}".`);
    this.running = true;
    this.updateButtons();
    this.card.root.dataset.state = 'running';
    setNote(this.card.note, 'Running elsa predict… (progress in the ELSA output channel)');
    try {
      const result = await this.actions.run(samples, this.image?.uri, runs);
      this.card.root.dataset.state = 'ready';
      this.show(result);
    } catch (e) {
      this.card.root.dataset.state = 'error';
      // The previous answer is for other inputs: do not leave it beside the error.
      this.inputs.hidden = true;
      this.table.hidden = true;
      this.recommendation.hidden = true;
      setNote(this.card.note, `Prediction failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.running = false;
      this.updateButtons();
    }
  }

  private className(r: SampleResult, c: number): string {
    return r.classNames?.[c] ?? `class ${c}`;
  }

  private show(r: SampleResult): void {
    const skipped = r.levels.find((l) => l.sparseSkipped)?.sparseSkipped;
    const diff = Math.max(0, ...r.levels.map((l) => l.maxLogitDiff ?? 0));
    setNote(this.card.note, `${r.inputs.length} input${r.inputs.length === 1 ? '' : 's'} from ${r.source}. Latency at batch 1: median of ${r.runs} runs after ${r.warmup} warm-up (bars: p10–p90 in the tooltip), ${r.engine}; sparse = CSR in JavaScript. `
      + (skipped ? `Sparse path skipped: ${skipped}` : `Both paths predict alike (largest logit difference ${diff.toExponential(1)}).`));
    this.drawInputs(r);
    this.drawTable(r);
    this.drawRecommendation(r);
  }

  private drawInputs(r: SampleResult): void {
    clear(this.inputs);
    this.inputs.hidden = false;
    for (const x of r.inputs) {
      const canvas = inputCanvas(x);
      const caption = x.label === undefined ? x.id : `${x.id} · ${this.className(r, x.label)}`;
      this.inputs.append(h('figure', { 'data-input': x.id, ...(x.label !== undefined ? { 'data-label': x.label } : {}) }, canvas, h('figcaption', { text: caption })));
    }
  }

  private drawTable(r: SampleResult): void {
    clear(this.table);
    this.table.hidden = false;
    const maxMs = Math.max(...r.levels.flatMap((l) => [l.denseLatency.medianMs, l.sparseLatency?.medianMs ?? 0]));
    const count = this.levelCount || Math.max(...r.levels.map((l) => l.level));
    this.table.append(
      h('caption', { text: 'Per level: prediction and confidence on each input, latency per path (the faster one in bold)' }),
      h('thead', {}, h('tr', {}, ...['Level', 'Sparsity', ...r.inputs.map((x) => x.id), 'Latency (batch 1)', 'Picked'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, ...r.levels.map((l) => this.row(r, l, maxMs, count))),
    );
  }

  private row(r: SampleResult, l: LevelSampleResult, maxMs: number, count: number): HTMLElement {
    const tr = h('tr', {
      'data-level': l.level,
      'data-picked': l.picked,
      'data-dense-ms': l.denseLatency.medianMs,
      ...(l.sparseLatency ? { 'data-sparse-ms': l.sparseLatency.medianMs } : {}),
      class: r.recommended?.level === l.level ? 'sample-recommended' : undefined,
    });
    setDataJson(tr, 'predicted', l.predictions.map((p) => p.predicted));
    setDataJson(tr, 'confidence', l.predictions.map((p) => p.confidence));
    setDataJson(tr, 'correct', l.predictions.map((p) => p.correct ?? null));
    tr.append(
      h('th', { scope: 'row', text: levelLabel(l.level, count, l.isDense ? undefined : this.targets[l.level - 1] ?? l.targetSparsity) }),
      h('td', { class: 'num', text: pct(l.sparsity, 1) }),
      ...l.predictions.map((p) => {
        const mark = p.correct === undefined ? '' : p.correct ? ' ✓' : ' ✗';
        const bar = h('div', { class: `sample-bar${p.correct === undefined ? '' : p.correct ? ' ok' : ' bad'}`, role: 'img', 'aria-label': `confidence ${pct(p.confidence, 1)}` }, widthDiv(p.confidence));
        const top = p.top.map((t) => `${this.className(r, t.class)} ${pct(t.p, 1)}`).join(' · ');
        return h('td', { title: `top 3: ${top}` }, h('div', { class: 'sample-pred' }, h('span', { text: `${this.className(r, p.predicted)} ${pct(p.confidence, 1)}${mark}` }), bar));
      }),
      h('td', {}, latencyCell(l, maxMs)),
      h('td', {}, h('span', { class: 'badge', text: l.picked === 'sparse' ? 'sparse CSR' : 'dense' })),
    );
    return tr;
  }

  private drawRecommendation(r: SampleResult): void {
    clear(this.recommendation);
    this.recommendation.hidden = false;
    const rec = r.recommended;
    if (!rec) {
      this.recommendation.append(h('p', { class: 'note', id: 'sample-no-recommendation', text: `No level to recommend: ${r.noRecommendation ?? ''}.` }));
      return;
    }
    const copy = h('vscode-button', { id: 'sample-copy-command', secondary: true, text: 'Copy extract command' });
    const extract = h('vscode-button', { id: 'sample-extract', text: `Extract level ${rec.level}` });
    copy.addEventListener('click', () => this.actions.copy(rec.command));
    extract.addEventListener('click', () => this.actions.extract(rec.level));
    extract.toggleAttribute('disabled', !this.allowed);
    this.recommendation.dataset.level = String(rec.level);
    this.recommendation.append(
      h('p', { id: 'sample-recommendation-text', text: `Level ${rec.level} is ${rec.reason}.` }),
      h('div', { class: 'sample-command' }, h('code', { id: 'sample-command', text: rec.command }), copy, extract),
    );
  }
}

/** A div as wide as `share` (0..1) of its parent: CSSOM width, which the webview's CSP allows. */
function widthDiv(share: number, cls?: string): HTMLElement {
  const d = h('div', cls ? { class: cls } : {});
  d.style.width = `${Math.max(0, Math.min(1, share)) * 100}%`;
  return d;
}

function latencyCell(l: LevelSampleResult, maxMs: number): HTMLElement {
  const line = (name: 'dense' | 'sparse', s: LatencyStats | undefined) => {
    const picked = l.picked === name;
    const text = s ? `${s.medianMs.toFixed(3)} ms` : 'skipped';
    const title = s ? `${name}: median ${s.medianMs.toFixed(3)} ms, p10–p90 ${s.p10Ms.toFixed(3)}–${s.p90Ms.toFixed(3)} ms over ${s.runs} runs` : (l.sparseSkipped ?? 'not run');
    return [
      h('span', { text: name, class: picked ? 'picked' : undefined }),
      h('div', { class: 'sample-bar', title }, s ? widthDiv(maxMs > 0 ? s.medianMs / maxMs : 0, name) : undefined),
      h('span', { text, title, class: picked ? 'picked' : undefined, 'data-path': name }),
    ];
  };
  return h('div', { class: 'sample-latency' }, ...line('dense', l.denseLatency), ...line('sparse', l.sparseLatency));
}

/** The input drawn at its own resolution (CSS scales it up, pixelated). */
function inputCanvas(x: SampleInput): HTMLCanvasElement {
  const [height, width, channels] = x.shape.length === 3 ? x.shape : [1, x.shape.reduce((a, b) => a * b, 1), 1];
  const canvas = h('canvas', { width, height, role: 'img', 'aria-label': x.id, 'data-input-id': x.id });
  const ctx = canvas.getContext('2d');
  if (!ctx || !x.pixels) return canvas;
  const img = ctx.createImageData(width, height);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) img.data[p * 4 + c] = x.pixels[p * channels + (channels >= 3 ? c : 0)];
    img.data[p * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}
