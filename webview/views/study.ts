/**
 * A study folder (study.json): per architecture × sparsifier, accuracy against sparsity with one curve per
 * method and an error bar on every point, and the table of study.md (mean ± spread, epochs behind each).
 */
import type { Chart } from 'chart.js';
import { STUDY_TABLE_HEADER, studyRows } from '../../src/protocol/studyTable';
import type { StudyGroup, StudySummary } from '../../src/protocol/study';
import type { Palette } from '../colors';
import { clear, h, setDataJson } from '../dom';
import { bytes } from '../format';
import { studyCurves, type AccuracyPoint } from '../series';
import { accuracyChart } from './accuracy';
import { card, chartBox, setNote } from './card';

interface GroupView {
  group: StudyGroup;
  canvas: HTMLCanvasElement;
  chart?: Chart<'line', AccuracyPoint[]>;
}

export class StudyView {
  readonly root = h('div', { class: 'grid', id: 'study-groups' });
  private views: GroupView[] = [];
  private summary: StudySummary | undefined;

  setStudy(s: StudySummary): void {
    this.destroyCharts();
    clear(this.root);
    this.summary = s;
    this.views = s.groups.map((g) => {
      const c = card(`study-${g.key}`, `${g.model} / ${g.sparsifier}`, g.seeds.length ? `Mean over seeds ${g.seeds.join(', ')}; every point with its error bar and the epochs behind it.` : 'No complete cell yet.');
      c.root.dataset.group = g.key;
      const { box, canvas } = chartBox(`study-chart-${g.key}`, `Accuracy against sparsity for ${g.model} / ${g.sparsifier}`);
      const curves = studyCurves(g, s.testCount);
      setDataJson(canvas, 'points', { elsa: curves.elsa, independent: curves.independent, independentCheap: curves.independentCheap, dense: curves.dense ?? null });
      setNote(c.note, [curves.errorBars, curves.note].filter(Boolean).join(' ') || undefined);
      const table = h('table', { class: 'study-table' });
      table.append(h('thead', {}, h('tr', {}, ...STUDY_TABLE_HEADER.map((t) => h('th', { scope: 'col', text: t })))));
      const body = h('tbody');
      for (const row of studyRows(g)) body.append(h('tr', { 'data-level': row[0] }, h('th', { scope: 'row', text: row[0] }), ...row.slice(1).map((v) => h('td', { class: 'num', text: v }))));
      table.append(body);
      c.body.append(box, table);
      if (g.storage) {
        const st = g.storage;
        c.body.append(
          h('p', { class: 'card-description', text: `Storage: ELSA ${bytes(st.elsaBytes)} for all ${g.levels.length + 1} networks; dense + ${st.networks - 1} independent ${bytes(st.separatePlainBytes)} plain, ${bytes(st.separateSparseBytes)} sparse-compressed. Wall time per cell: ELSA ${g.seconds.elsa.toFixed(0)} s, baselines ${g.seconds.baselines.toFixed(0)} s.` }),
        );
      }
      this.root.append(h('div', { class: 'wide' }, c.root));
      return { group: g, canvas };
    });
  }

  render(p: Palette): void {
    this.destroyCharts();
    const s = this.summary;
    if (!s) return;
    for (const v of this.views) {
      const c = studyCurves(v.group, s.testCount);
      if (!c.elsa.length) continue;
      v.chart = accuracyChart(v.canvas, p, [
        { label: 'ELSA (one checkpoint)', data: c.elsa, color: p.blue, style: 'solid' },
        { label: 'Independent, strict budget', data: c.independent, color: p.orange, style: 'dashed' },
        { label: 'Independent, cheap budget', data: c.independentCheap, color: p.foreground, style: 'dotted' },
        ...(c.dense ? [{ label: 'Dense baseline', data: [c.dense], color: p.green, style: 'point' as const }] : []),
      ]);
    }
  }

  private destroyCharts(): void {
    for (const v of this.views) {
      v.chart?.destroy();
      v.chart = undefined;
    }
  }
}
