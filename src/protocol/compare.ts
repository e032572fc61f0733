/**
 * What a comparison of two networks holds — `elsa compare --json`, the host's `compare` response and the
 * Compare view all carry this one shape (computed by src/core/compare.ts). A "side" is one network: a level of
 * an ELSA checkpoint (its mask is `code ≤ level`) or a plain safetensors file (its mask is the nonzero weights).
 */

export const COMPARE_FORMAT = 'elsa-compare/1';

export interface CompareSide {
  /** File name as shown (the base name). */
  file: string;
  /** `elsa` / `independent` / `dense`: an ELSA-format checkpoint of that kind; `plain`: any other safetensors. */
  kind: 'elsa' | 'independent' | 'dense' | 'plain';
  /** The level compared (1..K+1); absent for a plain file. */
  level?: number;
  /** Levels the file offers (1..K+1, finished ones), so a front end can offer the others; empty for a plain file. */
  levels: number[];
  /** Target sparsity of each of `levels` (0 for a dense level), for labels. */
  levelTargets: number[];
  /** The compared level is the dense network (the last level of an ELSA run, or a dense baseline). */
  dense?: boolean;
  /** The level's target sparsity, from the metadata. */
  targetSparsity?: number;
  /** Test accuracy the checkpoint recorded for this level (0..1). */
  accuracy?: number;
  loss?: number;
  /** Epochs of training behind this level (from the stored config; core/budgets.ts). */
  epochs?: number;
  /** Size of the test set the accuracy was measured on (from the provenance line). */
  testCount?: number;
  /** Sparsity over the compared layers: the share of their weights outside the mask. */
  sparsity: number;
}

export interface LayerComparison {
  name: string;
  shape: number[];
  /** Number of weights in the layer. */
  size: number;
  /** Kept weights of A, of B, of both, of either (|A|, |B|, |A∩B|, |A∪B|). */
  keptA: number;
  keptB: number;
  intersection: number;
  union: number;
  sparsityA: number;
  sparsityB: number;
  /** |A∩B| / |A∪B|; 1 when both masks are empty (two empty masks are the same mask). */
  jaccard: number;
  /** The Jaccard index two independent random masks of these densities would have on average. */
  jaccardIfRandom: number;
  /** |A∩B| / |A|: the share of A's kept weights that B keeps too; null when A keeps none. */
  sharedOfA: number | null;
  /** |A∩B| / |B|; null when B keeps none. */
  sharedOfB: number | null;
  diff: DiffHistogram;
}

/**
 * w_B − w_A over the weights either side keeps (a weight outside a mask counts as 0 there): `bins` equal bins
 * over [−range, range], split by who keeps the weight. Exact zeros (e.g. a weight frozen in both nested levels)
 * and non-finite differences are counted apart, not in any bin.
 */
export interface DiffHistogram {
  /** Bin edges, length bins + 1, from −range to +range. */
  edges: number[];
  /** Per bin: weights kept by both, by A only (difference −w_A), by B only (difference +w_B). */
  both: number[];
  onlyA: number[];
  onlyB: number[];
  /** max |w_B − w_A| over the finite differences (0 when every difference is 0). */
  range: number;
  /** Differences exactly 0 (not in any bin). */
  zero: number;
  /** NaN or infinite differences (not in any bin). */
  nonFinite: number;
  /** Weights kept by either side: the sum of the bins, `zero` and `nonFinite`. */
  total: number;
}

export interface CompareResult {
  format: typeof COMPARE_FORMAT;
  a: CompareSide;
  b: CompareSide;
  /** Layers present in both, with equal shapes, in A's order. */
  layers: LayerComparison[];
  /**
   * Over all compared layers together (weights counted, not layers averaged); `jaccardIfRandom` keeps each
   * layer's densities (random masks within each layer).
   */
  total: { size: number; keptA: number; keptB: number; intersection: number; union: number; jaccard: number; jaccardIfRandom: number; sharedOfA: number | null; sharedOfB: number | null };
  /** Layers only one side has, and layers whose shapes differ: reported, not compared. */
  onlyInA: string[];
  onlyInB: string[];
  shapeMismatch: { name: string; shapeA: number[]; shapeB: number[] }[];
  bins: number;
}

/** Bin counts a caller may ask for. */
export const MIN_COMPARE_BINS = 2;
export const MAX_COMPARE_BINS = 1024;
export const DEFAULT_COMPARE_BINS = 40;

/**
 * Expected Jaccard of two independent random masks with keep-shares dA and dB: E|A∩B| = n·dA·dB and
 * E|A∪B| = n·(dA + dB − dA·dB) (to first order, which is exact enough for the layer sizes shown).
 */
export function randomMaskJaccard(dA: number, dB: number): number {
  const union = dA + dB - dA * dB;
  return union === 0 ? 1 : (dA * dB) / union;
}

// ---- validation (the webview trusts no payload it has not checked) ----

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isCount = (v: unknown): v is number => isNum(v) && Number.isSafeInteger(v) && v >= 0;
const isShare = (v: unknown): v is number => isNum(v) && v >= 0 && v <= 1;
const isShareOrNull = (v: unknown) => v === null || isShare(v);
const isStrArr = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isCountArr = (v: unknown, n: number): v is number[] => Array.isArray(v) && v.length === n && v.every(isCount);
const SIDE_KINDS = new Set(['elsa', 'independent', 'dense', 'plain']);

function isSide(v: unknown): v is CompareSide {
  if (!isObj(v) || typeof v.file !== 'string' || (v.dense !== undefined && typeof v.dense !== 'boolean') || !SIDE_KINDS.has(v.kind as string) || !isShare(v.sparsity)) return false;
  if (!Array.isArray(v.levels) || !v.levels.every((l) => isCount(l) && l > 0)) return false;
  if (!Array.isArray(v.levelTargets) || v.levelTargets.length !== v.levels.length || !v.levelTargets.every(isShare)) return false;
  if (v.level !== undefined && !(isCount(v.level) && v.level > 0)) return false;
  for (const k of ['accuracy', 'targetSparsity'] as const) if (v[k] !== undefined && !isShare(v[k])) return false;
  for (const k of ['epochs', 'testCount'] as const) if (v[k] !== undefined && !isCount(v[k])) return false;
  return v.loss === undefined || isNum(v.loss);
}

function isDiff(v: unknown, bins: number): v is DiffHistogram {
  if (!isObj(v) || !Array.isArray(v.edges) || v.edges.length !== bins + 1 || !v.edges.every(isNum)) return false;
  for (let i = 1; i <= bins; i++) if (!((v.edges as number[])[i] >= (v.edges as number[])[i - 1])) return false;
  if (!isCountArr(v.both, bins) || !isCountArr(v.onlyA, bins) || !isCountArr(v.onlyB, bins)) return false;
  if (!isNum(v.range) || v.range < 0 || !isCount(v.zero) || !isCount(v.nonFinite) || !isCount(v.total)) return false;
  const binned = [v.both, v.onlyA, v.onlyB].reduce((s, a) => s + a.reduce((x, y) => x + y, 0), 0);
  return binned + v.zero + v.nonFinite === v.total;
}

function isLayer(v: unknown, bins: number): v is LayerComparison {
  if (!isObj(v) || typeof v.name !== 'string' || !Array.isArray(v.shape) || !v.shape.every(isCount)) return false;
  const { size, keptA, keptB, intersection, union } = v;
  if (![size, keptA, keptB, intersection, union].every(isCount)) return false;
  const [n, a, b, i, u] = [size, keptA, keptB, intersection, union] as number[];
  // The set algebra must hold, so a chart can never show an overlap larger than a mask.
  if (!(i <= Math.min(a, b) && u === a + b - i && u <= n)) return false;
  if (![v.sparsityA, v.sparsityB, v.jaccard, v.jaccardIfRandom].every(isShare) || !isShareOrNull(v.sharedOfA) || !isShareOrNull(v.sharedOfB)) return false;
  return isDiff(v.diff, bins) && (v.diff as DiffHistogram).total === u;
}

/** A CompareResult checked to the depth the Compare view indexes into. */
export function isCompareResult(v: unknown): v is CompareResult {
  if (!isObj(v) || v.format !== COMPARE_FORMAT || !isSide(v.a) || !isSide(v.b)) return false;
  const bins = v.bins;
  if (!isCount(bins) || bins < MIN_COMPARE_BINS || bins > MAX_COMPARE_BINS) return false;
  if (!Array.isArray(v.layers) || !v.layers.every((l) => isLayer(l, bins))) return false;
  const t = v.total;
  if (!isObj(t) || ![t.size, t.keptA, t.keptB, t.intersection, t.union].every(isCount) || !isShare(t.jaccard) || !isShare(t.jaccardIfRandom)) return false;
  if (!isShareOrNull(t.sharedOfA) || !isShareOrNull(t.sharedOfB)) return false;
  if (!isStrArr(v.onlyInA) || !isStrArr(v.onlyInB) || !Array.isArray(v.shapeMismatch)) return false;
  return v.shapeMismatch.every((m) => isObj(m) && typeof m.name === 'string' && Array.isArray(m.shapeA) && Array.isArray(m.shapeB));
}
