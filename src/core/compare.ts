/**
 * Compare two networks weight by weight: two checkpoints, two levels of one checkpoint, or an ELSA level and an
 * independently trained network. A side is a TensorStore (core/tensorStore.ts: the one reader per format) and a
 * level. Its mask is `code ≤ level` for an ELSA-format file (docs/architecture.md §1), the nonzero weights for a
 * plain safetensors file; its weights are the level's extracted weights, W ⊙ mask. Layers are matched by name
 * and compared one tensor at a time: at most one tensor per side is in memory (one in all when both sides are
 * levels of the same file), so a large model compares in bounded memory.
 */
import { checkpointError } from './errors';
import { elementCount } from './io/dtype';
import { shortName } from './io/limits';
import { levelFromRequest } from './method/levels';
import { storedEpochs } from './report';
import type { TensorStore } from './tensorStore';
import {
  COMPARE_FORMAT, DEFAULT_COMPARE_BINS, MAX_COMPARE_BINS, MIN_COMPARE_BINS, randomMaskJaccard, type CompareResult, type CompareSide,
  type DiffHistogram, type LayerComparison,
} from '../protocol/compare';
import { datasetCounts } from '../protocol/uncertainty';
import { epochsBehind } from '../protocol/levels';

export interface CompareInput {
  store: TensorStore;
  /** Level index 1..K+1, or a target sparsity in [0, 1) (0 = dense), as `elsa extract --level` takes it. */
  level?: number;
}

export interface CompareOptions {
  bins?: number;
  /** Checked between tensors: a stop request ends the comparison at the next one. */
  signal?: AbortSignal;
}

interface ResolvedSide {
  store: TensorStore;
  /** Level compared (ELSA-format files); undefined: mask = nonzero weights. */
  level?: number;
  side: Omit<CompareSide, 'sparsity'>;
  /** Weight tensors to compare, in file order. */
  layers: Map<string, number[]>;
}

/** One tensor of one side, as compared: its values and who is kept. */
interface SideTensor {
  values: ArrayLike<number>;
  codes?: Uint8Array;
}

function resolveSide(input: CompareInput): ResolvedSide {
  const { store } = input;
  const meta = store.meta;
  if (!meta) {
    if (input.level !== undefined) throw checkpointError(store.label, `a plain ${store.format === 'tfjs' ? 'TF.js model' : 'safetensors file'} has no levels (its mask is its nonzero weights); leave out @${input.level}`);
    // Kernels only: biases and normalisation parameters are never pruned, so their zeros say nothing about a mask.
    const layers = new Map(store.layers.filter((l) => l.shape.length >= 2).map((l) => [l.name, l.shape] as const));
    return { store, layers, side: { file: store.label, kind: 'plain', levels: [], levelTargets: [] } };
  }
  if (!store.readCodes) throw checkpointError(store.label, 'the reader of this file cannot read level codes');
  const levels = meta.levels.map((l) => l.index);
  if (levels.length === 0) throw checkpointError(store.label, 'no level has finished training in this checkpoint yet');
  let level: number;
  if (input.level !== undefined) level = levelFromRequest(input.level, meta, store.label);
  else if (levels.length === 1) level = levels[0];
  else throw checkpointError(store.label, `holds ${levels.length} levels: name one, e.g. ${store.label}@${levels[0]} (levels ${levels.join(', ')}; @0.9 picks the level with that target, @0 the dense one)`);
  const info = meta.levels.find((l) => l.index === level)!;
  const epochs = epochsBehind(storedEpochs(meta), meta.targets.length, level);
  const testCount = datasetCounts(meta.provenance?.dataset).test;
  const layers = new Map(store.layers.filter((l) => Object.prototype.hasOwnProperty.call(meta.codes, l.name)).map((l) => [l.name, l.shape] as const));
  const accuracy = info.metrics.accuracy;
  return {
    store,
    level,
    layers,
    side: {
      file: store.label,
      kind: meta.kind ?? 'elsa',
      level,
      levels,
      levelTargets: meta.levels.map((l) => (l.dense ? 0 : l.targetSparsity)),
      ...(info.dense ? { dense: true } : {}),
      targetSparsity: info.targetSparsity,
      ...(accuracy !== undefined && Number.isFinite(accuracy) ? { accuracy } : {}),
      ...(info.metrics.loss !== undefined && Number.isFinite(info.metrics.loss) ? { loss: info.metrics.loss } : {}),
      ...(Number.isFinite(epochs) ? { epochs } : {}),
      ...(testCount !== undefined ? { testCount } : {}),
    },
  };
}

async function readSide(side: ResolvedSide, name: string): Promise<SideTensor> {
  const values = await side.store.readValues(name);
  return side.level === undefined ? { values } : { values, codes: await side.store.readCodes!(name) };
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const share = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);
/** |A∩B| / |A∪B|, with two empty masks counting as identical (J = 1): nothing is kept by either, so they agree. */
export const jaccardIndex = (intersection: number, union: number): number => (union === 0 ? 1 : intersection / union);

/** Compares the kept weights of two sides, layer by layer (pure given the stores; deterministic). */
export async function compareStores(a: CompareInput, b: CompareInput, options: CompareOptions = {}): Promise<CompareResult> {
  const bins = options.bins ?? DEFAULT_COMPARE_BINS;
  if (!Number.isInteger(bins) || bins < MIN_COMPARE_BINS || bins > MAX_COMPARE_BINS) throw checkpointError(undefined, `bins must be an integer in ${MIN_COMPARE_BINS}..${MAX_COMPARE_BINS}, got ${bins}`);
  const A = resolveSide(a);
  const B = resolveSide(b);
  const onlyInA = [...A.layers.keys()].filter((n) => !B.layers.has(n));
  const onlyInB = [...B.layers.keys()].filter((n) => !A.layers.has(n));
  const shapeMismatch: CompareResult['shapeMismatch'] = [];
  const layers: LayerComparison[] = [];
  for (const [name, shapeA] of A.layers) {
    const shapeB = B.layers.get(name);
    if (!shapeB) continue;
    if (!sameShape(shapeA, shapeB)) {
      shapeMismatch.push({ name, shapeA: [...shapeA], shapeB: [...shapeB] });
      continue;
    }
    if (options.signal?.aborted) throw checkpointError(undefined, 'comparison interrupted');
    const ta = await readSide(A, name);
    // Two levels of one file: the weights are the same tensor; read it (and its codes) once.
    const tb = A.store === B.store ? ta : await readSide(B, name);
    layers.push(compareTensors(name, shapeA, ta, A.level, tb, B.level, bins));
  }
  if (layers.length === 0) {
    const why = shapeMismatch.length ? `${shapeMismatch.length} share a name but not a shape, e.g. "${shortName(shapeMismatch[0].name)}" [${shapeMismatch[0].shapeA.join('×')}] vs [${shapeMismatch[0].shapeB.join('×')}]` : `${A.side.file} has ${A.layers.size}, ${B.side.file} ${B.layers.size}, none with the same name`;
    throw checkpointError(A.side.file, `no weight tensor to compare with ${B.side.file}: ${why}`);
  }
  const sum = (f: (l: LayerComparison) => number) => layers.reduce((s, l) => s + f(l), 0);
  const size = sum((l) => l.size);
  const keptA = sum((l) => l.keptA);
  const keptB = sum((l) => l.keptB);
  const intersection = sum((l) => l.intersection);
  const union = sum((l) => l.union);
  return {
    format: COMPARE_FORMAT,
    a: { ...A.side, sparsity: size === 0 ? 0 : 1 - keptA / size },
    b: { ...B.side, sparsity: size === 0 ? 0 : 1 - keptB / size },
    layers,
    total: {
      size, keptA, keptB, intersection, union,
      jaccard: jaccardIndex(intersection, union),
      jaccardIfRandom: layerwiseRandomJaccard(layers),
      sharedOfA: share(intersection, keptA),
      sharedOfB: share(intersection, keptB),
    },
    onlyInA, onlyInB, shapeMismatch, bins,
  };
}

/**
 * The Jaccard index random masks would give over all layers together, each layer keeping as many weights as it
 * does: expected |A∩B| and |A∪B| summed over layers. (One global density would put the kept weights of a small
 * layer into the large ones, and understate the overlap any two real masks have.)
 */
export function layerwiseRandomJaccard(layers: readonly Pick<LayerComparison, 'size' | 'keptA' | 'keptB'>[]): number {
  let inter = 0;
  let union = 0;
  for (const l of layers) {
    if (l.size === 0) continue;
    const both = (l.keptA * l.keptB) / l.size;
    inter += both;
    union += l.keptA + l.keptB - both;
  }
  return union === 0 ? 1 : inter / union;
}

/**
 * One layer: mask counts, Jaccard and the histogram of w_B − w_A over the union of the masks. `levelA`
 * undefined: A's mask is its nonzero weights (likewise B). Exported for tests on hand-made tensors.
 */
export function compareTensors(name: string, shape: readonly number[], a: SideTensor, levelA: number | undefined, b: SideTensor, levelB: number | undefined, bins: number): LayerComparison {
  const n = elementCount(shape) ?? 0;
  if (a.values.length !== n || b.values.length !== n || (a.codes && a.codes.length !== n) || (b.codes && b.codes.length !== n)) {
    throw checkpointError(undefined, `layer "${shortName(name)}": ${n} weights in its shape but ${a.values.length} / ${b.values.length} values read`);
  }
  // Masks first, as bytes: the two passes below then read typed arrays only (a 16 M-weight layer in ~0.1 s).
  const inA = keptMask(a, levelA, n);
  const inB = keptMask(b, levelB, n);
  const va = a.values;
  const vb = b.values;
  let keptA = 0;
  let keptB = 0;
  let intersection = 0;
  let range = 0;
  // Pass 1: the counts and the largest finite difference, which sets the symmetric range of the bins.
  for (let i = 0; i < n; i++) {
    const ka = inA[i];
    const kb = inB[i];
    if (ka === 0 && kb === 0) continue;
    keptA += ka;
    keptB += kb;
    intersection += ka & kb;
    const m = Math.abs((kb ? vb[i] : 0) - (ka ? va[i] : 0));
    if (m > range && m !== Infinity) range = m;
  }
  const union = keptA + keptB - intersection;
  const diff: DiffHistogram = {
    edges: Array.from({ length: bins + 1 }, (_, i) => (range === 0 ? 0 : -range + (2 * range * i) / bins)),
    both: new Array<number>(bins).fill(0),
    onlyA: new Array<number>(bins).fill(0),
    onlyB: new Array<number>(bins).fill(0),
    range,
    zero: 0,
    nonFinite: 0,
    total: union,
  };
  if (bins % 2 === 0) diff.edges[bins / 2] = 0;
  // Pass 2: bin every nonzero finite difference, by who keeps the weight.
  for (let i = 0; i < n; i++) {
    const ka = inA[i];
    const kb = inB[i];
    if (ka === 0 && kb === 0) continue;
    const d = (kb ? vb[i] : 0) - (ka ? va[i] : 0);
    if (d === 0) diff.zero++;
    else if (!Number.isFinite(d)) diff.nonFinite++;
    else (ka && kb ? diff.both : ka ? diff.onlyA : diff.onlyB)[diffBin(d, range, bins)]++;
  }
  const size = n;
  return {
    name,
    shape: [...shape],
    size,
    keptA,
    keptB,
    intersection,
    union,
    sparsityA: size === 0 ? 0 : 1 - keptA / size,
    sparsityB: size === 0 ? 0 : 1 - keptB / size,
    jaccard: jaccardIndex(intersection, union),
    jaccardIfRandom: size === 0 ? 1 : randomMaskJaccard(keptA / size, keptB / size),
    sharedOfA: share(intersection, keptA),
    sharedOfB: share(intersection, keptB),
    diff,
  };
}

/** 1 where the side keeps the weight: `code ≤ level`, or a nonzero value when the side has no level. */
function keptMask(t: SideTensor, level: number | undefined, n: number): Uint8Array {
  const out = new Uint8Array(n);
  if (level === undefined) {
    const v = t.values;
    for (let i = 0; i < n; i++) out[i] = v[i] !== 0 ? 1 : 0;
    return out;
  }
  const codes = t.codes;
  if (!codes) throw checkpointError(undefined, 'level codes are missing for a level comparison');
  for (let i = 0; i < n; i++) out[i] = codes[i] <= level ? 1 : 0;
  return out;
}

/**
 * Bin of a nonzero finite difference d, |d| ≤ range, over `bins` equal bins of [−range, range]. With an even
 * bin count 0 is an edge, and the sign decides the half (rounding in (d + range) must not move a tiny negative
 * difference into the first positive bin).
 */
export function diffBin(d: number, range: number, bins: number): number {
  let i = Math.floor(((d / range + 1) / 2) * bins);
  if (bins % 2 === 0) {
    const half = bins / 2;
    if (d < 0 && i >= half) i = half - 1;
    if (d > 0 && i < half) i = half;
  }
  return Math.max(0, Math.min(bins - 1, i));
}
