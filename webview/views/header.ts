/**
 * The header: which file this is (name, format, size, engine), whether the nesting check held, and the levels
 * table (level, target sparsity, actual sparsity, accuracy) with its numbers also as data attributes.
 */
import type { CheckpointSummary } from '../../src/protocol/webview';
import { clear, h } from '../dom';
import { bytes, count, pct } from '../format';
import { levelRows, type LevelRow } from '../series';

export function formatName(summary: CheckpointSummary): string {
  if (summary.meta) {
    const kind = summary.meta.kind && summary.meta.kind !== 'elsa' ? `, ${summary.meta.kind} baseline` : '';
    return `${summary.meta.format} (${summary.meta.packing} codes${kind})`;
  }
  // A Hugging Face sharded model is named by its index, a .json file like a TF.js model.json.
  if (/\.safetensors\.index\.json$/i.test(summary.fileName)) return 'sharded safetensors (no ELSA metadata)';
  if (/\.json$/i.test(summary.fileName)) return 'TF.js Layers model (no ELSA levels)';
  return 'safetensors (no ELSA metadata)';
}

export class HeaderView {
  readonly root: HTMLElement;
  private readonly title: HTMLElement;
  private readonly facts: HTMLElement;
  private readonly nesting: HTMLElement;
  private readonly note: HTMLElement;
  private readonly problems: HTMLUListElement;
  private readonly table: HTMLTableElement;
  private readonly tbody: HTMLTableSectionElement;
  private rows: LevelRow[] = [];

  constructor(
    private readonly onSelectLevel: (level: number) => void,
    private readonly onExtract: (level: number) => void,
  ) {
    this.title = h('h1', { id: 'file-name', text: 'ELSA dashboard' });
    this.facts = h('dl', { class: 'facts', id: 'file-facts' });
    this.nesting = h('span', { class: 'badge', id: 'nesting-status', role: 'status', hidden: true });
    this.note = h('p', { class: 'note', id: 'file-note', hidden: true });
    this.problems = h('ul', { class: 'problems', id: 'nesting-problems', hidden: true });
    this.tbody = h('tbody');
    this.table = h(
      'table',
      { id: 'levels-table', class: 'levels', hidden: true },
      h('caption', { class: 'visually-hidden', text: 'Levels of this checkpoint' }),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col', text: 'Level' }),
          h('th', { scope: 'col', class: 'num', text: 'Target sparsity' }),
          h('th', { scope: 'col', class: 'num', text: 'Sparsity' }),
          h('th', { scope: 'col', class: 'num', text: 'Accuracy' }),
          h('th', { scope: 'col', text: '' }),
        ),
      ),
      this.tbody,
    );
    this.root = h(
      'header',
      { id: 'elsa-header', class: 'header' },
      h('div', { class: 'title-row' }, this.title, this.nesting),
      this.facts,
      this.problems,
      this.note,
      this.table,
    );
  }

  setTargetLabel(label: string): void {
    if (!this.rows.length && this.title.textContent === 'ELSA dashboard') this.title.textContent = label;
  }

  setSummary(summary: CheckpointSummary, engine: string | undefined): void {
    this.title.textContent = summary.fileName;
    this.title.title = summary.uri;
    clear(this.facts);
    const meta = summary.meta;
    const params = summary.layers.reduce((a, l) => a + l.params, 0);
    const facts: [string, string, string][] = [
      ['format', 'Format', formatName(summary)],
      ['size', 'Size', bytes(summary.fileSize)],
      ['layers', 'Layers', `${summary.layers.length} (${count(params)} weights)`],
      ['engine', 'Engine', engine ?? meta?.provenance?.backend ?? '—'],
    ];
    if (meta?.training) facts.push(['training', 'Training', meta.training.status === 'complete' ? 'complete' : `in progress (phase ${meta.training.phase}, epoch ${meta.training.epoch})`]);
    if (meta?.provenance?.dataset) facts.push(['dataset', 'Dataset', meta.provenance.dataset]);
    for (const [key, label, value] of facts) {
      this.facts.append(h('div', { 'data-fact': key }, h('dt', { text: label }), h('dd', { text: value })));
    }
    const isElsa = summary.levelCount > 0;
    this.nesting.hidden = !isElsa;
    this.nesting.dataset.ok = String(summary.nestingOk);
    this.nesting.className = `badge ${summary.nestingOk ? 'ok' : 'bad'}`;
    this.nesting.textContent = summary.nestingOk ? '✓ masks nested' : '✗ nesting violated';
    this.nesting.title = summary.nestingOk ? 'M1 ⊂ M2 ⊂ … ⊂ dense holds in every layer' : 'Some layer has a weight in a sparser level that a denser level lacks';
    clear(this.problems);
    for (const p of summary.nestingProblems ?? []) this.problems.append(h('li', { text: p }));
    this.problems.hidden = summary.nestingOk || !summary.nestingProblems?.length;
    this.note.hidden = isElsa;
    this.note.textContent = isElsa
      ? ''
      : 'This file has no ELSA metadata: it holds one model, so there are no levels, nesting or baselines. Per-layer sparsity and weight histograms are shown.';
    this.rows = levelRows(summary);
    this.table.hidden = this.rows.length === 0;
    this.renderRows(0);
  }

  /** Marks the selected level's row (0 = none). */
  renderRows(selectedLevel: number): void {
    clear(this.tbody);
    for (const r of this.rows) {
      const extract = r.dense
        ? undefined
        : h('vscode-button', { secondary: true, class: 'extract', 'data-level': r.level, title: `Extract level ${r.level} as a sparse model`, text: 'Extract…' });
      extract?.addEventListener('click', (e) => {
        e.stopPropagation();
        this.onExtract(r.level);
      });
      const row = h(
        'tr',
        {
          'data-level': r.level,
          'data-target-sparsity': r.targetSparsity,
          'data-sparsity': r.sparsity,
          'data-accuracy': r.accuracy,
          'aria-selected': String(r.level === selectedLevel),
          class: r.level === selectedLevel ? 'selected' : undefined,
          tabindex: 0,
        },
        h('th', { scope: 'row', text: r.label }),
        h('td', { class: 'num', 'data-col': 'target', text: r.dense ? '—' : pct(r.targetSparsity, 1) }),
        h('td', { class: 'num', 'data-col': 'sparsity', text: pct(r.sparsity, 2) }),
        h('td', { class: 'num', 'data-col': 'accuracy', text: pct(r.accuracy, 2) }),
        h('td', { class: 'actions' }, extract),
      );
      const select = (): void => this.onSelectLevel(r.level === selectedLevel ? 0 : r.level);
      row.addEventListener('click', select);
      row.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          select();
        }
      });
      this.tbody.append(row);
    }
  }
}
