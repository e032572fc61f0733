/**
 * Per-layer sensitivity: prune one layer at a time by magnitude (on top of a level's mask, the other layers
 * untouched), evaluate, and get a curve of accuracy against that layer's sparsity. From the curves,
 * per-layer targets for an overall sparsity: weights are taken away greedily where they cost the least
 * accuracy per removed weight. Pure: the caller supplies the evaluation (the CLI runs the model).
 */
import { kthSmallest } from './method/sparsifiers/select';

/** The sparsities a layer is pruned to in a scan (share of the layer's weights that are zero). */
export const SENSITIVITY_FRACTIONS: readonly number[] = [0.5, 0.75, 0.9, 0.95, 0.98];

/** A fraction within half a percentage point above the level's own sparsity adds nothing worth an evaluation. */
const SAME_SPARSITY = 0.005;

export interface SensitivityPoint {
  /** Sparsity of the layer at this point. */
  sparsity: number;
  accuracy: number;
  loss: number;
}

export interface LayerCurve {
  /** Weight tensor name, e.g. `conv1/kernel`. */
  name: string;
  size: number;
  /** The layer's sparsity in the scanned level: the first point, evaluated with nothing extra pruned. */
  baseSparsity: number;
  /** Base point first, then one point per fraction above the base sparsity, increasing. */
  points: SensitivityPoint[];
}

export interface SensitivityScan {
  baseline: { accuracy: number; loss: number };
  layers: LayerCurve[];
  fractions: number[];
  /** Evaluations run (the baseline included). */
  evaluations: number;
  /** True when the scan stopped on a signal before every point was evaluated. */
  interrupted: boolean;
}

export interface ScanLayer {
  name: string;
  /** The level's weights (zeros outside its mask). */
  values: Float32Array;
}

export type Evaluate = (layer: string | undefined, values: Float32Array | undefined) => Promise<{ accuracy: number; loss: number }>;

/** Share of exact zeros. */
export function zeroShare(values: Float32Array): number {
  let zeros = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === 0) zeros++;
  return values.length === 0 ? 0 : zeros / values.length;
}

/**
 * `values` with all but the round((1 - sparsity)·n) largest magnitudes set to +0 (ties: lower index stays).
 * Weights outside the level's mask are zero already, so the kept ones are a subset of the level's.
 */
export function pruneToSparsity(values: Float32Array, sparsity: number): Float32Array {
  const n = values.length;
  const keep = Math.round((1 - sparsity) * n);
  const out = new Float32Array(n);
  if (keep <= 0) return out;
  if (keep >= n) return Float32Array.from(values);
  const mags = new Float32Array(n);
  for (let i = 0; i < n; i++) mags[i] = Math.abs(values[i]);
  const threshold = kthSmallest(Float32Array.from(mags), n - keep);
  let kept = 0;
  for (let i = 0; i < n; i++) {
    if (mags[i] > threshold) {
      out[i] = values[i];
      kept++;
    }
  }
  for (let i = 0; i < n && kept < keep; i++) {
    if (mags[i] === threshold) {
      out[i] = values[i];
      kept++;
    }
  }
  return out;
}

/**
 * Runs the scan: the baseline, then every layer at every fraction above its current sparsity (by more than
 * half a percentage point). Stops between
 * two evaluations when `signal` aborts (the curves so far are returned, `interrupted` set).
 */
export async function scanSensitivity(
  layers: ScanLayer[], evaluate: Evaluate,
  options: { fractions?: readonly number[]; signal?: AbortSignal; onPoint?: (layer: string | undefined, point: SensitivityPoint, done: number, total: number) => void } = {},
): Promise<SensitivityScan> {
  const fractions = [...(options.fractions ?? SENSITIVITY_FRACTIONS)].sort((a, b) => a - b);
  const bases = layers.map((l) => zeroShare(l.values));
  const total = 1 + layers.reduce((n, _l, i) => n + fractions.filter((f) => f > bases[i] + SAME_SPARSITY).length, 0);
  const scan: SensitivityScan = { baseline: { accuracy: NaN, loss: NaN }, layers: [], fractions, evaluations: 0, interrupted: false };
  if (options.signal?.aborted) return { ...scan, interrupted: true };
  scan.baseline = await evaluate(undefined, undefined);
  scan.evaluations++;
  options.onPoint?.(undefined, { sparsity: NaN, ...scan.baseline }, scan.evaluations, total);
  for (let li = 0; li < layers.length; li++) {
    const layer = layers[li];
    const curve: LayerCurve = { name: layer.name, size: layer.values.length, baseSparsity: bases[li], points: [{ sparsity: bases[li], ...scan.baseline }] };
    scan.layers.push(curve);
    for (const f of fractions) {
      if (f <= bases[li] + SAME_SPARSITY) continue;
      // Evaluations can resolve in microtasks only: yield to the event loop so a signal is seen here.
      await new Promise((resolve) => setImmediate(resolve));
      if (options.signal?.aborted) return { ...scan, interrupted: true };
      const pruned = pruneToSparsity(layer.values, f);
      const result = await evaluate(layer.name, pruned);
      scan.evaluations++;
      const point = { sparsity: zeroShare(pruned), accuracy: result.accuracy, loss: result.loss };
      curve.points.push(point);
      options.onPoint?.(layer.name, point, scan.evaluations, total);
    }
  }
  return scan;
}

export interface LayerSuggestion {
  name: string;
  size: number;
  baseSparsity: number;
  sparsity: number;
  /** Accuracy the layer's curve gives at that sparsity (linear between measured points). */
  accuracyAlone: number;
}

export interface Suggestion {
  target: number;
  /** Overall sparsity the suggestion reaches (= target unless the curves end before it). */
  reached: number;
  reachable: boolean;
  layers: LayerSuggestion[];
  /** Sum of the per-layer accuracy drops: a first-order estimate, layers interact. */
  estimatedDrop: number;
}

function accuracyAt(curve: LayerCurve, s: number): number {
  const p = curve.points;
  for (let i = 1; i < p.length; i++) {
    if (s <= p[i].sparsity + 1e-12) {
      const span = p[i].sparsity - p[i - 1].sparsity;
      return span <= 0 ? p[i].accuracy : p[i - 1].accuracy + ((s - p[i - 1].sparsity) / span) * (p[i].accuracy - p[i - 1].accuracy);
    }
  }
  return p[p.length - 1].accuracy;
}

/**
 * Per-layer sparsities whose weighted mean is `target`. Greedy over the measured points: at each step, every
 * layer offers a move from where it is to any later point of its curve, priced as accuracy lost per weight
 * removed (looking past the next point lets a curve that drops then flattens compete fairly); the cheapest
 * move is taken, the last one partially. The sequence of moves does not depend on the target, so a lower
 * target stops earlier on the same path: suggestions for nested levels nest.
 */
export function suggestLayerTargets(scan: SensitivityScan, target: number): Suggestion {
  const curves = scan.layers;
  const total = curves.reduce((n, c) => n + c.size, 0);
  const at = curves.map(() => 0);
  const sparsity = curves.map((c) => c.baseSparsity);
  let removed = curves.reduce((n, c) => n + c.baseSparsity * c.size, 0);
  const need = target * total;
  while (removed < need - 1e-9) {
    let best: { layer: number; point: number; cost: number } | undefined;
    curves.forEach((c, li) => {
      const from = c.points[at[li]];
      for (let pi = at[li] + 1; pi < c.points.length; pi++) {
        const weights = (c.points[pi].sparsity - from.sparsity) * c.size;
        if (weights <= 0) continue;
        const cost = (from.accuracy - c.points[pi].accuracy) / weights;
        if (!best || cost < best.cost - 1e-15) best = { layer: li, point: pi, cost };
      }
    });
    if (!best) break;
    const c = curves[best.layer];
    const gain = (c.points[best.point].sparsity - sparsity[best.layer]) * c.size;
    if (removed + gain >= need) {
      sparsity[best.layer] += (need - removed) / c.size;
      removed = need;
      break;
    }
    removed += gain;
    at[best.layer] = best.point;
    sparsity[best.layer] = c.points[best.point].sparsity;
  }
  const layers = curves.map((c, i) => ({ name: c.name, size: c.size, baseSparsity: c.baseSparsity, sparsity: sparsity[i], accuracyAlone: accuracyAt(c, sparsity[i]) }));
  const reached = total === 0 ? 0 : removed / total;
  return {
    target,
    reached,
    reachable: reached >= target - 1e-9,
    layers,
    estimatedDrop: layers.reduce((d, l) => d + (scan.baseline.accuracy - l.accuracyAlone), 0),
  };
}

/** Config keys of a run that carry over to the suggested run (the rest is where and how it ran). */
const CARRIED_KEYS = ['optimizer', 'lrSchedule', 'epochs', 'batchSize', 'smallParams', 'seed', 'evalEvery'] as const;

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * A run config (as a user writes it) that trains `levels` with the suggested per-layer targets: the source
 * run's settings, a layer-wise sparsifier, and `sparsifier.layerTargets` for every level the curves reach.
 * Rounded targets are made non-increasing from sparser to denser levels, so the levels still nest.
 */
export function suggestedRunConfig(
  scan: SensitivityScan,
  options: { name: string; levels: number[]; model: unknown; source?: Record<string, unknown>; outDir?: string },
): { config: Record<string, unknown>; suggestions: Suggestion[] } {
  const levels = [...options.levels].sort((a, b) => b - a);
  const suggestions = levels.map((s) => suggestLayerTargets(scan, s));
  const layerTargets: Record<string, Record<string, number>> = {};
  const previous = new Map<string, number>();
  for (const sug of suggestions) {
    if (!sug.reachable) continue;
    const level: Record<string, number> = {};
    for (const l of sug.layers) {
      const v = Math.min(round4(l.sparsity), previous.get(l.name) ?? 1 - 1e-4);
      level[l.name] = v;
      previous.set(l.name, v);
    }
    layerTargets[String(sug.target)] = level;
  }
  const src = options.source ?? {};
  const sparsifierSrc = (typeof src.sparsifier === 'object' && src.sparsifier !== null ? src.sparsifier : {}) as Record<string, unknown>;
  const type = sparsifierSrc.type === 'magnitude' || sparsifierSrc.type === 'acdc' ? sparsifierSrc.type : 'gmp';
  const sparsifier: Record<string, unknown> = { type, scope: 'layer' };
  for (const key of ['pruneEvery', 'rampFraction'] as const) if (sparsifierSrc[key] !== undefined) sparsifier[key] = sparsifierSrc[key];
  sparsifier.layerTargets = layerTargets;
  const config: Record<string, unknown> = { name: options.name, model: options.model };
  if (src.data !== undefined) config.data = src.data;
  config.levels = levels;
  config.sparsifier = sparsifier;
  for (const key of CARRIED_KEYS) if (src[key] !== undefined) config[key] = src[key];
  config.outDir = options.outDir ?? `runs/${options.name}`;
  return { config, suggestions };
}
