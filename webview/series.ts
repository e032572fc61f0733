/**
 * Data -> chart series, with no DOM and no Chart.js: what each chart plots, computed from the protocol's
 * CheckpointSummary / HistogramData. The views render these and also publish them as data attributes, so the
 * numbers a test reads are the numbers the chart draws.
 */
import type { LevelInfo } from '../src/protocol/checkpoint';
import type { ReportPoint } from '../src/protocol/report';
import type { StudyGroup, StudyMethod } from '../src/protocol/study';
import { accuracyUncertainty, datasetCounts } from '../src/protocol/uncertainty';
import type { CheckpointSummary, HistogramData, LayerSummary } from '../src/protocol/webview';
import { epochsBehind } from '../src/protocol/levels';
import { levelLabel, pct } from './format';

export interface XY {
  x: number;
  y: number;
}

export interface LevelRow {
  level: number;
  label: string;
  targetSparsity: number;
  sparsity: number;
  accuracy?: number;
  dense: boolean;
}

/** The levels table: one row per finished level of an ELSA checkpoint, sparsest first; empty for foreign files. */
export function levelRows(summary: CheckpointSummary): LevelRow[] {
  const levels: LevelInfo[] = summary.meta?.levels ?? [];
  const levelCount = Math.max(summary.levelCount, levels.length);
  return [...levels]
    .sort((a, b) => a.index - b.index)
    .map((l) => ({
      level: l.index,
      label: levelLabel(l.index, levelCount, l.dense ? undefined : l.targetSparsity),
      targetSparsity: l.targetSparsity,
      sparsity: l.sparsity,
      accuracy: l.metrics?.accuracy,
      dense: l.dense === true || l.index === levelCount,
    }));
}

/** One point of the accuracy chart: its error bar and the training epochs behind it. */
export interface AccuracyPoint extends XY {
  /** Error bar (binomial 95 % interval of the test-set size for one run; std over seeds for a study). */
  low: number;
  high: number;
  /** Epochs behind this network; undefined when the file does not say. */
  epochs?: number;
}

export interface AccuracyCurves {
  source: 'report' | 'metadata' | 'none';
  elsa: AccuracyPoint[];
  /** Independent networks at the strict budget (as many epochs as the ELSA level). */
  independent: AccuracyPoint[];
  /** Independent networks at the cheap budget (one phase). */
  independentCheap: AccuracyPoint[];
  dense?: AccuracyPoint;
  /** What the error bars are, e.g. "95 % binomial interval of 1000 test images". */
  errorBars?: string;
  /** Shown under the chart when something the comparison needs is missing. */
  note?: string;
}

const byX = (a: XY, b: XY): number => a.x - b.x;
const finitePoint = (p: XY): boolean => Number.isFinite(p.x) && Number.isFinite(p.y);

function withBar(x: number, y: number, testCount: number | undefined, epochs: number | undefined): AccuracyPoint {
  const u = accuracyUncertainty([y], testCount);
  return { x, y, low: u.low, high: u.high, ...(epochs !== undefined && Number.isFinite(epochs) ? { epochs } : {}) };
}

const fromReport = (points: ReportPoint[], testCount: number | undefined): AccuracyPoint[] =>
  points.map((p) => withBar(p.sparsity, p.accuracy, testCount, p.epochs)).filter(finitePoint).sort(byX);

const barsText = (testCount: number | undefined) =>
  testCount ? `Error bars: 95 % binomial interval of ${testCount} test images (one seed).` : undefined;

/** Accuracy against sparsity: ELSA vs independent vs dense from the run report, else ELSA levels from metadata. */
export function accuracyCurves(summary: CheckpointSummary): AccuracyCurves {
  const report = summary.report;
  if (report) {
    const n = report.testCount;
    const dense = report.dense && Number.isFinite(report.dense.accuracy) ? withBar(report.dense.sparsity, report.dense.accuracy, n, report.dense.epochs) : undefined;
    const independent = fromReport(report.independent, n);
    const missing = [independent.length ? '' : 'independent', dense ? '' : 'dense'].filter(Boolean);
    return {
      source: 'report',
      elsa: fromReport(report.elsa, n),
      independent,
      independentCheap: fromReport(report.independentCheap, n),
      dense,
      errorBars: barsText(n),
      note: missing.length ? `The report has no ${missing.join(' or ')} baseline.` : undefined,
    };
  }
  const meta = summary.meta;
  const levels = meta?.levels;
  if (!meta || !levels) {
    return { source: 'none', elsa: [], independent: [], independentCheap: [], note: 'Not an ELSA checkpoint: there are no levels to compare.' };
  }
  const n = datasetCounts(meta.provenance?.dataset).test;
  const stored = (meta.config as { epochs?: { warmup: number; perPhase: number; dense: number } } | undefined)?.epochs;
  const elsa = levels
    .filter((l) => l.metrics?.accuracy !== undefined)
    .map((l) => withBar(l.sparsity, l.metrics.accuracy as number, n, stored ? epochsBehind(stored, meta.targets.length, l.index) : undefined))
    .filter(finitePoint)
    .sort(byX);
  const note = elsa.length
    ? 'Baselines were not run: only the ELSA levels of this checkpoint are shown. Run “elsa baseline” and “elsa report” to compare against independent sparse networks and the dense network.'
    : 'No level of this checkpoint has a recorded accuracy yet.';
  return { source: 'metadata', elsa, independent: [], independentCheap: [], errorBars: barsText(n), note };
}

/** "3–9 epochs" / "10 epochs" / "" for a series' points. */
export function epochsText(points: readonly { epochs?: number }[]): string {
  const es = points.map((p) => p.epochs).filter((e): e is number => e !== undefined);
  if (!es.length) return '';
  const lo = Math.min(...es);
  const hi = Math.max(...es);
  return lo === hi ? `${lo} epochs` : `${lo}–${hi} epochs`;
}

export interface LevelDataset {
  /** 1..K+1, or 0 for the single model of a foreign file. */
  level: number;
  label: string;
  values: number[];
}

export interface LayerSparsitySeries {
  layers: string[];
  datasets: LevelDataset[];
  note?: string;
  /** Foreign files: per layer, its N:M structure in words ('' where not measured). */
  nm?: string[];
}

/** `2:4 in every group`, or `2:4 in 63.0 % of groups`; `~` when measured on chunks of a large tensor. */
export function nmLabel(l: LayerSummary): string {
  if (!l.nm) return '';
  const mark = l.sampled ? ' (sampled)' : '';
  if (l.nm.holds) return `${l.nm.holds} in every group${mark}`;
  const p = l.nm.patterns.find((q) => q.pattern === '2:4') ?? l.nm.patterns[0];
  return p ? `${p.pattern} in ${pct(p.share)} of groups${mark}` : '';
}

/**
 * Per-layer sparsity, one dataset per level. The dense level is left out when it prunes nothing (the usual
 * case) since its bars would all be zero. A foreign file gives one dataset: the share of exact zeros.
 */
export function layerSparsitySeries(summary: CheckpointSummary): LayerSparsitySeries {
  const layers = summary.layers.map((l) => l.name);
  if (summary.levelCount === 0) {
    const holding = summary.layers.filter((l) => l.nm?.holds);
    const measured = summary.layers.filter((l) => l.nm).length;
    const structure = holding.length > 0
      ? ` N:M structure: ${holding.length} of ${measured} layers keep at most N nonzeros in every group of M (${[...new Set(holding.map((l) => l.nm!.holds))].join(', ')}).`
      : measured > 0 ? ' No layer is N:M sparse (1:4, 2:4 or 4:8 in every group).' : '';
    return {
      layers,
      datasets: [{ level: 0, label: 'zeros', values: summary.layers.map((l) => l.levelSparsity[0] ?? 0) }],
      note: `No ELSA levels in this file: the bars show the share of weights that are exactly zero.${structure}`,
      ...(measured > 0 ? { nm: summary.layers.map(nmLabel) } : {}),
    };
  }
  const metaLevels = summary.meta?.levels ?? [];
  const datasets: LevelDataset[] = [];
  for (let level = 1; level <= summary.levelCount; level++) {
    const info = metaLevels.find((l) => l.index === level);
    const values = summary.layers.map((l) => l.levelSparsity[level - 1] ?? info?.layerSparsity?.[l.name] ?? NaN);
    const isDense = level === summary.levelCount;
    // Float noise in a host-computed 1 - share must not bring back the empty dense bars.
    if (isDense && values.every((v) => !(v > 1e-9))) continue;
    datasets.push({ level, label: levelLabel(level, summary.levelCount, isDense ? undefined : info?.targetSparsity ?? summary.meta?.targets[level - 1]), values });
  }
  return { layers, datasets };
}

export interface HistogramSeries {
  /** Bin centres over |w|. */
  centers: number[];
  /** Widest mask first (dense), so narrower nested masks are drawn on top. */
  datasets: LevelDataset[];
}

/**
 * One curve per level mask. `fileLevelCount` is the summary's level count: 0 marks a foreign file, whose
 * histogram (one row, whatever its levelCount says) is of all weights.
 */
export function histogramSeries(h: HistogramData, targets: readonly number[] = [], fileLevelCount = h.levelCount): HistogramSeries {
  const centers = h.edges.slice(0, -1).map((e, i) => (e + h.edges[i + 1]) / 2);
  const foreign = fileLevelCount === 0 || h.levelCount === 0;
  const datasets = h.counts.map((counts, i) => ({
    level: foreign ? 0 : i + 1,
    label: foreign ? levelLabel(0, 0) : levelLabel(i + 1, h.levelCount, targets[i]),
    values: counts.slice(0, centers.length),
  }));
  return { centers, datasets: datasets.reverse() };
}

/** The heatmap/histogram layer to show: the saved one when it still exists, else the largest layer. */
export function pickLayer(summary: CheckpointSummary, saved: string | undefined): string | undefined {
  if (saved && summary.layers.some((l) => l.name === saved)) return saved;
  let best: string | undefined;
  let bestParams = -1;
  for (const l of summary.layers) {
    if (l.params > bestParams) {
      best = l.name;
      bestParams = l.params;
    }
  }
  return best;
}

/** A study group's curves: mean accuracy over seeds with its error bar (std over seeds, else binomial). */
export function studyCurves(group: StudyGroup, testCount: number | undefined): AccuracyCurves {
  const pts = (m: StudyMethod): AccuracyPoint[] =>
    (group.series.find((s) => s.method === m)?.points ?? []).map((p) => ({ x: p.sparsity, y: p.mean, low: p.low, high: p.high, epochs: p.epochs })).filter(finitePoint).sort(byX);
  const dense = pts('dense')[0];
  const n = group.seeds.length;
  return {
    source: 'report',
    elsa: pts('elsa'),
    independent: pts('independent-strict'),
    independentCheap: pts('independent-cheap'),
    dense,
    errorBars: n >= 2 ? `Error bars: ±1 standard deviation over ${n} seeds.` : barsText(testCount),
    note: n === 0 ? 'No cell of this group is complete yet.' : undefined,
  };
}
