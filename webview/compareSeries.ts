/**
 * The Compare view's data shaping, pure (tested without a browser): side labels with the evidence behind each
 * accuracy, per-layer bars (sparsity of both sides, Jaccard against what random masks would give), and the
 * weight-difference histogram of one layer. The numbers are the host's (src/core/compare.ts); nothing is
 * recomputed here but bin centres.
 */
import type { CompareResult, CompareSide } from '../src/protocol/compare';
import { accuracyUncertainty, describeUncertainty } from '../src/protocol/uncertainty';
import { count, levelLabel, pct, shortLayerNames } from './format';

/** `L2 90%`, `dense`, or `all weights` for a plain file. */
export function sideLevelLabel(s: CompareSide): string {
  if (s.level === undefined) return 'all weights';
  // levelLabel names level == levelCount "dense": give it the count that makes a sparse level sparse.
  return levelLabel(s.level, s.dense ? s.level : s.level + 1, s.targetSparsity);
}

/** `87.52%` and what stands behind it: `8 epochs · 10,000 test images (±0.6 pt, 95 % binomial)`. */
export function sideAccuracy(s: CompareSide): { text: string; evidence: string } {
  if (s.accuracy === undefined) return { text: '—', evidence: s.kind === 'plain' ? 'a plain file records no accuracy' : 'no accuracy recorded for this level' };
  const parts: string[] = [];
  if (s.epochs !== undefined) parts.push(`${s.epochs} epochs`);
  if (s.testCount !== undefined) {
    const u = accuracyUncertainty([s.accuracy], s.testCount);
    parts.push(`${count(s.testCount)} test images (${describeUncertainty(u, s.testCount).replace(/ \(95 % binomial, .*\)$/, ', 95 % binomial')})`);
  }
  return { text: pct(s.accuracy, 2), evidence: parts.join(' · ') || 'epochs and test-set size not recorded' };
}

export interface CompareBars {
  /** Full layer names, and short ones for the axis. */
  layers: string[];
  labels: string[];
  sparsityA: number[];
  sparsityB: number[];
  jaccard: number[];
  jaccardIfRandom: number[];
}

export function compareBars(r: CompareResult): CompareBars {
  const layers = r.layers.map((l) => l.name);
  return {
    layers,
    labels: shortLayerNames(layers),
    sparsityA: r.layers.map((l) => l.sparsityA),
    sparsityB: r.layers.map((l) => l.sparsityB),
    jaccard: r.layers.map((l) => l.jaccard),
    jaccardIfRandom: r.layers.map((l) => l.jaccardIfRandom),
  };
}

export interface DiffSeries {
  layer: string;
  edges: number[];
  /** Bin centres (x of each bar). */
  centers: number[];
  both: number[];
  onlyA: number[];
  onlyB: number[];
  zero: number;
  nonFinite: number;
  total: number;
  range: number;
  /** One line on what is not drawn: exact zeros and non-finite differences. */
  note: string;
}

export function diffSeries(r: CompareResult, layer: string): DiffSeries | undefined {
  const l = r.layers.find((x) => x.name === layer);
  if (!l) return undefined;
  const d = l.diff;
  const centers = d.edges.slice(0, -1).map((e, i) => (e + d.edges[i + 1]) / 2);
  const zeroShare = d.total === 0 ? 0 : d.zero / d.total;
  const parts = [
    d.total === 0 ? 'Neither side keeps a weight of this layer.' : `${count(d.total)} weights kept by A or B; ${count(d.zero)} (${pct(zeroShare, 1)}) differ by exactly 0 and are not drawn.`,
  ];
  if (d.nonFinite > 0) parts.push(`${count(d.nonFinite)} differences are NaN or infinite (not drawn).`);
  return { layer, edges: d.edges, centers, both: d.both, onlyA: d.onlyA, onlyB: d.onlyB, zero: d.zero, nonFinite: d.nonFinite, total: d.total, range: d.range, note: parts.join(' ') };
}

/** The layer to show: the one asked for if compared, else the largest (where most of the weights are). */
export function pickCompareLayer(r: CompareResult, wanted: string | undefined): string | undefined {
  if (wanted && r.layers.some((l) => l.name === wanted)) return wanted;
  let best: CompareResult['layers'][number] | undefined;
  for (const l of r.layers) if (!best || l.size > best.size) best = l;
  return best?.name;
}

/** Layers not compared, one line each (only in A, only in B, shapes differ). */
export function unmatchedLines(r: CompareResult): string[] {
  const out: string[] = [];
  if (r.onlyInA.length) out.push(`Only in A (${r.a.file}): ${r.onlyInA.join(', ')}`);
  if (r.onlyInB.length) out.push(`Only in B (${r.b.file}): ${r.onlyInB.join(', ')}`);
  for (const m of r.shapeMismatch) out.push(`Shapes differ, not compared: ${m.name} [${m.shapeA.join('×')}] vs [${m.shapeB.join('×')}]`);
  return out;
}
