/**
 * Live training curves from events.jsonl: loss and accuracy per epoch, eval accuracy, per-step loss (decimated),
 * and the phase boundaries. Grows in place as events arrive; the chart is rebuilt only on theme changes.
 */
import type { ChartDataset } from 'chart.js';
import type { TrainingEvent } from '../../src/protocol/events';
import { Chart, lineWidth, verticalMarksPlugin } from '../charts';
import { toCss, type Palette } from '../colors';
import { h, setDataJson } from '../dom';
import { pct } from '../format';
import type { XY } from '../series';
import { TrainingSeriesBuilder, type TrainingSeries } from '../trainingSeries';
import { card, chartBox, setNote, type Card } from './card';

type SeriesKey = 'stepLoss' | 'loss' | 'evalLoss' | 'accuracy' | 'evalAccuracy';

export class TrainingView {
  readonly card: Card;
  private readonly canvas: HTMLCanvasElement;
  private readonly box: HTMLElement;
  private readonly latest: HTMLElement;
  private builder = new TrainingSeriesBuilder();
  private chart: Chart<'line', XY[]> | undefined;
  private keys: SeriesKey[] = [];
  private palette: Palette | undefined;

  constructor() {
    this.card = card('training-section', 'Training', 'Loss and accuracy per epoch across the phases of the run (events.jsonl), live while it trains.');
    const { box, canvas } = chartBox('training-chart', 'Training loss and accuracy per epoch', 'tall');
    this.canvas = canvas;
    this.box = box;
    this.latest = h('p', { class: 'training-latest', id: 'training-latest', 'aria-live': 'polite' });
    this.card.body.append(this.latest, box);
    this.publish();
  }

  /** Starts over (a new log, or a reload after a gap). */
  reset(): void {
    this.builder = new TrainingSeriesBuilder();
    this.publish();
    if (this.palette) this.render(this.palette);
  }

  /** Shown when the host cannot provide events (no events.jsonl beside the file). */
  showUnavailable(text: string): void {
    setNote(this.card.note, text);
  }

  append(events: readonly TrainingEvent[]): void {
    if (events.length === 0) return;
    this.builder.append(events);
    this.publish();
    const chart = this.chart;
    if (!this.palette) return;
    const s = this.builder.series;
    if (!chart || this.keysFor(s).join() !== this.keys.join()) {
      this.render(this.palette);
      return;
    }
    // Assigning through the dataset's `data` setter also re-arms decimation on the new points.
    this.keys.forEach((k, i) => (chart.data.datasets[i].data = s[k].slice()));
    chart.update('none');
  }

  get series(): Readonly<TrainingSeries> {
    return this.builder.series;
  }

  private publish(): void {
    const s = this.builder.series;
    const c = this.canvas;
    c.dataset.eventCount = String(s.eventCount);
    c.dataset.epochCount = String(s.epochCount);
    c.dataset.status = s.status;
    setDataJson(c, 'points', { loss: s.loss, accuracy: s.accuracy, evalAccuracy: s.evalAccuracy, evalLoss: s.evalLoss, phases: s.phases });
    this.latest.textContent = s.latest;
    this.latest.dataset.status = s.status;
    this.box.hidden = s.epochCount === 0 && s.stepLoss.length === 0;
    if (s.eventCount > 0) setNote(this.card.note, undefined);
    const last = s.accuracy[s.accuracy.length - 1];
    c.setAttribute('aria-label', `Training curves: ${s.epochCount} epochs, ${s.phases.length} phases${last ? `, last accuracy ${pct(last.y)}` : ''}.`);
  }

  private keysFor(s: Readonly<TrainingSeries>): SeriesKey[] {
    return (['stepLoss', 'loss', 'evalLoss', 'accuracy', 'evalAccuracy'] as const).filter((k) => s[k].length > 0);
  }

  render(p: Palette): void {
    this.palette = p;
    this.chart?.destroy();
    this.chart = undefined;
    const s = this.builder.series;
    this.keys = this.keysFor(s);
    if (this.keys.length === 0) return;
    const w = lineWidth(p);
    const style: Record<SeriesKey, Omit<ChartDataset<'line', XY[]>, 'data'>> = {
      stepLoss: { label: 'loss per step', yAxisID: 'loss', borderColor: toCss(p.red, p.highContrast ? 0.8 : 0.35), borderWidth: 1, pointRadius: 0 },
      loss: { label: 'train loss', yAxisID: 'loss', borderColor: toCss(p.red), backgroundColor: toCss(p.red), borderWidth: w, pointRadius: 2 },
      evalLoss: { label: 'eval loss', yAxisID: 'loss', borderColor: toCss(p.orange), backgroundColor: toCss(p.orange), borderWidth: w, borderDash: [6, 4], pointRadius: 2 },
      accuracy: { label: 'train accuracy', yAxisID: 'acc', borderColor: toCss(p.blue), backgroundColor: toCss(p.blue), borderWidth: w, pointRadius: 2 },
      evalAccuracy: { label: 'eval accuracy', yAxisID: 'acc', borderColor: toCss(p.green), backgroundColor: toCss(p.green), borderWidth: w, pointRadius: 3, pointStyle: 'rectRot' },
    };
    const markColor = toCss(p.foreground, p.highContrast ? 1 : 0.55);
    this.chart = new Chart<'line', XY[]>(this.canvas, {
      type: 'line',
      data: { datasets: this.keys.map((k) => ({ ...style[k], data: s[k].slice() })) },
      options: {
        parsing: false,
        normalized: true,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: { type: 'linear', min: 0, title: { display: true, text: 'epoch (all phases)' }, ticks: { precision: 0 } },
          loss: { type: 'linear', position: 'left', min: 0, title: { display: true, text: 'loss' } },
          acc: { type: 'linear', position: 'right', max: 1, title: { display: true, text: 'accuracy' }, ticks: { callback: (v) => pct(Number(v), 0) }, grid: { drawOnChartArea: false } },
        },
        plugins: {
          decimation: { enabled: true, algorithm: 'lttb', samples: 400, threshold: 800 },
          legend: { position: 'bottom' },
          tooltip: {
            callbacks: {
              title: (items) => (items.length ? `epoch ${(items[0].parsed.x ?? 0).toFixed(items[0].dataset.label === 'loss per step' ? 2 : 0)}` : ''),
              label: (ctx) => `${ctx.dataset.label ?? ''}: ${ctx.dataset.yAxisID === 'acc' ? pct(ctx.parsed.y, 2) : (ctx.parsed.y ?? NaN).toFixed(4)}`,
            },
          },
        },
      },
      plugins: [verticalMarksPlugin(() => this.builder.series.phases.map((m) => ({ x: m.x, label: m.label, solid: m.run !== undefined })), () => markColor)],
    });
  }
}
