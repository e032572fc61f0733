/**
 * The numbers the inspector shows, computed from a checkpoint's header, level codes and weights: per-layer
 * level sparsity and code shares, the nesting check, mask heatmaps downsampled to a cell budget, and |w|
 * histograms per level. Pure and bounded (one pass per tensor), so the extension and the CLI share them.
 */
import type { ElsaMetadata } from '../protocol/checkpoint';
import type { CheckpointSummary, HeatmapData, HistogramData, LayerSummary } from '../protocol/webview';
import type { RunReport } from '../protocol/report';
import { cellStarts } from './heatmapGrid';
import type { NmReport } from './io/nmPattern';
import { formatPercent } from '../protocol/format';
import { levelCountOf } from '../protocol/levels';

/** The 2-D view of a tensor: the last axis is the output axis (Dense [in,out], Conv [kh,kw,cin,cout] → kh*kw*cin × cout). */
export function matrixView(shape: readonly number[]): { rows: number; cols: number } {
  if (shape.length === 0) return { rows: 1, cols: 1 };
  if (shape.length === 1) return { rows: 1, cols: shape[0] };
  const cols = shape[shape.length - 1];
  let rows = 1;
  for (let i = 0; i < shape.length - 1; i++) rows *= shape[i];
  return { rows, cols };
}

export const elementCountOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Share of weights per code 1..levelCount; codes outside that range are counted in `invalid`. */
export function codeStatistics(codes: ArrayLike<number>, levelCount: number): { share: number[]; counts: number[]; invalid: number } {
  const counts = new Array<number>(levelCount).fill(0);
  let invalid = 0;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c >= 1 && c <= levelCount && Number.isInteger(c)) counts[c - 1]++;
    else invalid++;
  }
  const n = codes.length;
  return { share: counts.map((c) => (n === 0 ? 0 : c / n)), counts, invalid };
}

/** Sparsity of level k (1..levelCount) from code counts: share of weights whose code is > k. */
export function levelSparsityFromCounts(counts: readonly number[]): number[] {
  const n = counts.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  let kept = 0;
  for (const c of counts) {
    kept += c;
    out.push(n === 0 ? 0 : (n - kept) / n);
  }
  return out;
}

/** Cell grid for a rows × cols matrix under a budget, keeping the aspect ratio where it can. */
export function heatmapGrid(rows: number, cols: number, maxCells: number): { rows: number; cols: number } {
  const budget = Math.max(1, Math.floor(maxCells));
  if (rows * cols <= budget) return { rows, cols };
  const scale = Math.sqrt(budget / (rows * cols));
  const outRows = Math.min(rows, Math.max(1, Math.floor(rows * scale)));
  const outCols = Math.min(cols, Math.max(1, Math.floor(budget / outRows)));
  return { rows: outRows, cols: outCols };
}

/**
 * Downsample a rows × cols code matrix (row-major) to at most `maxCells` cells. `min`: each cell keeps the
 * smallest code it covers (the sparsest level present there, so a kept weight of level 1 never disappears);
 * `mode`: the most common code (ties: the smaller) — honest for zero patterns, where `min` would paint a block
 * nonzero as soon as one weight in it is.
 */
export function downsampleCodes(
  codes: ArrayLike<number>, rows: number, cols: number, maxCells: number, reduction: 'min' | 'mode' = 'min',
): { rows: number; cols: number; codes: number[]; reduction: 'exact' | 'min' | 'mode' } {
  const grid = heatmapGrid(rows, cols, maxCells);
  if (grid.rows === rows && grid.cols === cols) return { rows, cols, codes: Array.from(codes), reduction: 'exact' };
  if (reduction === 'mode') return downsampleByMode(codes, rows, cols, grid);
  const out = new Array<number>(grid.rows * grid.cols).fill(Number.POSITIVE_INFINITY);
  const colCell = new Int32Array(cols);
  for (let c = 0; c < cols; c++) colCell[c] = Math.floor((c * grid.cols) / cols);
  for (let r = 0; r < rows; r++) {
    const base = Math.floor((r * grid.rows) / rows) * grid.cols;
    const src = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = codes[src + c];
      const cell = base + colCell[c];
      if (v < out[cell]) out[cell] = v;
    }
  }
  return { rows: grid.rows, cols: grid.cols, codes: out, reduction: 'min' };
}

function downsampleByMode(codes: ArrayLike<number>, rows: number, cols: number, grid: { rows: number; cols: number }) {
  const cells = grid.rows * grid.cols;
  let maxCode = 0;
  for (let i = 0; i < codes.length; i++) if (codes[i] > maxCode) maxCode = codes[i];
  const counts = new Uint32Array(cells * (maxCode + 1));
  for (let r = 0; r < rows; r++) {
    const base = Math.floor((r * grid.rows) / rows) * grid.cols;
    for (let c = 0; c < cols; c++) counts[(base + Math.floor((c * grid.cols) / cols)) * (maxCode + 1) + codes[r * cols + c]]++;
  }
  const out = new Array<number>(cells);
  for (let cell = 0; cell < cells; cell++) {
    let best = 1;
    for (let code = 1; code <= maxCode; code++) if (counts[cell * (maxCode + 1) + code] > counts[cell * (maxCode + 1) + best]) best = code;
    out[cell] = best;
  }
  return { rows: grid.rows, cols: grid.cols, codes: out, reduction: 'mode' as const };
}

/** Foreign files have no codes: the picture shows nonzero weights as code 1 and zeros as code 2. */
export function zeroPatternCodes(weights: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(weights.length);
  for (let i = 0; i < weights.length; i++) out[i] = weights[i] === 0 ? 2 : 1;
  return out;
}

export function zeroShare(weights: ArrayLike<number>): number {
  let zeros = 0;
  for (let i = 0; i < weights.length; i++) if (weights[i] === 0) zeros++;
  return weights.length === 0 ? 0 : zeros / weights.length;
}

export function heatmapOf(
  layer: string, shape: readonly number[], codes: ArrayLike<number>, levelCount: number, maxCells: number, reduction: 'min' | 'mode' = 'min',
): HeatmapData {
  const { rows, cols } = matrixView(shape);
  const stats = codeStatistics(codes, levelCount);
  const ds = downsampleCodes(codes, rows, cols, maxCells, reduction);
  return {
    layer, rows: ds.rows, cols: ds.cols, codes: ds.codes, reduction: ds.reduction, sourceRows: rows, sourceCols: cols,
    levelCount, codeShare: stats.share, nestingOk: stats.invalid === 0,
    rowStarts: cellStarts(ds.rows, rows), colStarts: cellStarts(ds.cols, cols),
  };
}

/**
 * Histogram of |w| with `bins` equal bins over [0, max |w|]; counts[k-1] counts the weights of level k's mask
 * (code <= k). Without codes there is one row: all weights.
 */
export function magnitudeHistogram(
  layer: string, weights: ArrayLike<number>, codes: ArrayLike<number> | undefined, levelCount: number, bins: number,
): HistogramData {
  const h = new MagnitudeHistogram(layer, maxAbs(weights), bins, codes ? levelCount : 1);
  h.add(weights, codes);
  return h.result();
}

/** Largest |w| of `weights`, folded into `max` (chunk by chunk for a streamed tensor). */
export function maxAbs(weights: ArrayLike<number>, max = 0): number {
  for (let i = 0; i < weights.length; i++) {
    const a = Math.abs(weights[i]);
    if (a > max) max = a;
  }
  return max;
}

/** The histogram of `magnitudeHistogram` filled chunk by chunk, once the range (max |w|) is known. */
export class MagnitudeHistogram {
  private readonly nBins: number;
  private readonly levels: number;
  private readonly max: number;
  private readonly perCode: number[][];

  constructor(private readonly layer: string, max: number, bins: number, levelCount: number) {
    this.nBins = Math.max(1, Math.floor(bins));
    this.levels = Math.max(1, levelCount);
    this.max = !(max > 0) || !Number.isFinite(max) ? (max === 0 ? 1 : max) : max;
    this.perCode = Array.from({ length: this.levels }, () => new Array<number>(this.nBins).fill(0));
  }

  /** Counts a chunk of weights (with their codes, for an ELSA layer). */
  add(weights: ArrayLike<number>, codes?: ArrayLike<number>): void {
    const { nBins, max, levels, perCode } = this;
    for (let i = 0; i < weights.length; i++) {
      const a = Math.abs(weights[i]);
      if (!Number.isFinite(a)) continue;
      const bin = Math.min(nBins - 1, Math.floor((a / max) * nBins));
      const code = codes ? codes[i] : 1;
      if (code >= 1 && code <= levels) perCode[code - 1][bin]++;
    }
  }

  result(): HistogramData {
    const { nBins, max, levels } = this;
    const edges = Array.from({ length: nBins + 1 }, (_, i) => (i === nBins ? max : (max * i) / nBins));
    // Counted per code, then prefix-summed over codes: level k's mask is the union of codes 1..k.
    const counts = this.perCode.map((row) => [...row]);
    for (let k = 1; k < levels; k++) for (let b = 0; b < nBins; b++) counts[k][b] += counts[k - 1][b];
    return { layer: this.layer, edges, counts, levelCount: levels };
  }
}

/** What the summary needs of one weight tensor: its codes (ELSA) or its values (any file), when read. */
export interface LayerInput {
  name: string;
  shape: number[];
  codes?: ArrayLike<number>;
  /** Share of exact zeros, for files without codes. */
  zeroShare?: number;
  /** N:M structured sparsity, for files without codes (io/nmPattern.ts). */
  nm?: NmReport;
  /** zeroShare and nm come from evenly spaced chunks of a large tensor. */
  sampled?: boolean;
  /** ELSA layers too large to read within budget: per-level sparsity as recorded in the metadata. */
  recordedLevelSparsity?: number[];
}

/** Code shares implied by per-level sparsity: code k holds the weights level k adds (s_{k-1} - s_k, s_0 = 1). */
export function codeShareFromLevelSparsity(levelSparsity: readonly number[]): number[] {
  return levelSparsity.map((s, k) => (k === 0 ? 1 : levelSparsity[k - 1]) - s);
}

/** Checks that the masks are nested (codes in 1..K+1, sparsity non-increasing) and agree with the metadata. */
export function nestingProblems(layers: readonly LayerSummary[], invalidCodes: ReadonlyMap<string, number>, meta: ElsaMetadata | undefined): string[] {
  const problems: string[] = [];
  const tolerance = 1e-4;
  for (const l of layers) {
    const bad = invalidCodes.get(l.name) ?? 0;
    if (bad > 0) problems.push(`${l.name}: ${bad} level codes outside 1..${l.codeShare.length}`);
    for (let k = 1; k < l.levelSparsity.length; k++) {
      if (l.levelSparsity[k] > l.levelSparsity[k - 1] + 1e-12) {
        problems.push(`${l.name}: level ${k + 1} is sparser than level ${k}`);
        break;
      }
    }
  }
  if (!meta) return problems;
  const byName = new Map(layers.map((l) => [l.name, l]));
  let total = 0;
  for (const l of layers) total += l.params;
  for (const level of meta.levels) {
    const k = level.index;
    for (const [name, recorded] of Object.entries(level.layerSparsity ?? {})) {
      const measured = byName.get(name)?.levelSparsity[k - 1];
      if (measured !== undefined && Math.abs(measured - recorded) > tolerance) {
        problems.push(`${name}: level ${k} sparsity is ${fmt(measured)} in the codes but ${fmt(recorded)} in the metadata`);
      }
    }
    if (total > 0 && layers.length === Object.keys(meta.codes).length) {
      let kept = 0;
      for (const l of layers) kept += l.params * (1 - (l.levelSparsity[k - 1] ?? 0));
      const measured = 1 - kept / total;
      if (Math.abs(measured - level.sparsity) > tolerance) {
        problems.push(`level ${k} sparsity is ${fmt(measured)} in the codes but ${fmt(level.sparsity)} in the metadata`);
      }
    }
  }
  return problems;
}

const fmt = (x: number) => formatPercent(x, 2);

export interface SummaryInput {
  uri: string;
  fileName: string;
  fileSize: number;
  meta?: ElsaMetadata;
  layers: LayerInput[];
  report?: RunReport;
  engine?: string;
}

/** The dashboard's overview of one checkpoint (docs/architecture.md §4): per-layer level sparsity, code shares, nesting. */
export function buildSummary(input: SummaryInput): CheckpointSummary {
  const levelCount = input.meta ? levelCountOf(input.meta.targets.length) : 0;
  const invalid = new Map<string, number>();
  const layers: LayerSummary[] = input.layers.map((l) => {
    const params = elementCountOf(l.shape);
    if (input.meta && l.codes) {
      const stats = codeStatistics(l.codes, levelCount);
      invalid.set(l.name, stats.invalid);
      return { name: l.name, shape: [...l.shape], params, levelSparsity: levelSparsityFromCounts(stats.counts), codeShare: stats.share };
    }
    if (input.meta && l.recordedLevelSparsity) {
      return { name: l.name, shape: [...l.shape], params, levelSparsity: [...l.recordedLevelSparsity], codeShare: codeShareFromLevelSparsity(l.recordedLevelSparsity) };
    }
    const layer: LayerSummary = { name: l.name, shape: [...l.shape], params, levelSparsity: l.zeroShare === undefined ? [] : [l.zeroShare], codeShare: [] };
    if (l.nm) {
      layer.nm = { ...(l.nm.holds ? { holds: l.nm.holds } : {}), patterns: l.nm.patterns.map((p) => ({ pattern: p.pattern, axis: p.axis, share: p.share })) };
    }
    if (l.sampled) layer.sampled = true;
    return layer;
  });
  const problems = input.meta ? nestingProblems(layers, invalid, input.meta) : [];
  const summary: CheckpointSummary = {
    uri: input.uri, fileName: input.fileName, fileSize: input.fileSize, layers, levelCount, nestingOk: problems.length === 0,
  };
  if (input.meta) summary.meta = input.meta;
  if (problems.length > 0) summary.nestingProblems = problems.slice(0, 20);
  if (input.report) summary.report = input.report;
  if (input.engine) summary.engine = input.engine;
  return summary;
}
