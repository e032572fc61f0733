/**
 * A level on a sample: every level of a checkpoint predicts the given inputs, and its batch-1 latency is
 * measured in this process on two paths — the engine's dense kernels, exactly as `elsa eval` runs the model
 * (loadLevelModel + model.apply), and the sparse CSR path (src/core/sparse/). Nothing is assumed about which
 * is faster: both are timed, alternating run by run so a burst of load on a shared machine hits both alike,
 * and the faster median is "picked". The dense kernels give the reported prediction; the sparse path must
 * agree (its largest logit difference is reported).
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import type { LayersTopology } from './models/weights';
import { isElsaError } from './errors';
import { loadLevelModel } from './method/extract';
import { withoutFinalSoftmax } from './models/softmax';
import { compileSparseModel, type SparseModel } from './sparse/sparseModel';
import type { ClassScore, LatencyStats, LevelSampleResult, SampleInput, SamplePrediction, SampleRecommendation } from '../protocol/sample';

export interface PredictInput {
  id: string;
  /** One model input, NHWC, as the data loader scales it. */
  pixels: Float32Array;
  label?: number;
}

export interface PredictOptions {
  /** Levels to run (1..K+1); default all finished ones. */
  levels?: number[];
  /** Timed runs per path and level. */
  runs: number;
  /** Untimed runs per path and level first (JIT, wasm and cache warm-up). */
  warmup: number;
  signal?: AbortSignal;
  /** Called after each level, for progress lines. */
  onLevel?: (done: number, total: number, result: LevelSampleResult) => void;
}

export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

export function predictionOf(logits: ArrayLike<number>, label: number | undefined): SamplePrediction {
  const p = softmax(logits);
  const order = Array.from(p.keys()).sort((a, b) => p[b] - p[a] || a - b);
  const top: ClassScore[] = order.slice(0, 3).map((c) => ({ class: c, p: p[c] }));
  return { predicted: order[0], confidence: p[order[0]], top, ...(label !== undefined ? { correct: order[0] === label } : {}) };
}

/** Linear-interpolated percentile (q in [0, 1]) of unsorted values. */
export function percentile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const at = q * (s.length - 1);
  const lo = Math.floor(at);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (at - lo);
}

export function latencyStats(ms: readonly number[]): LatencyStats {
  return { medianMs: percentile(ms, 0.5), p10Ms: percentile(ms, 0.1), p90Ms: percentile(ms, 0.9), runs: ms.length };
}

function stopIfAborted(signal: AbortSignal | undefined): void {
  // The CLI maps any error after a stop request to exit 130 (src/cli/dispatch.ts).
  if (signal?.aborted) throw new Error('prediction interrupted');
}

/** The inputs as the webview draws them: 0..255 values, only for inputs small enough to send. */
export function describeInputs(inputs: readonly PredictInput[], shape: number[]): SampleInput[] {
  const size = shape.reduce((a, b) => a * b, 1);
  return inputs.map((x) => ({
    id: x.id,
    ...(x.label !== undefined ? { label: x.label } : {}),
    shape,
    ...(size <= 65_536 ? { pixels: Array.from(x.pixels, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)) } : {}),
  }));
}

async function runLevel(file: string, level: number, inputs: readonly PredictInput[], options: PredictOptions): Promise<LevelSampleResult> {
  const { signal } = options;
  const { model, extracted } = await loadLevelModel(file, level, { signal, logits: true });
  const xs: tf.Tensor[] = [];
  try {
    stopIfAborted(signal);
    const shape = model.inputs[0].shape.slice(1) as number[];
    for (const x of inputs) xs.push(tf.tensor(x.pixels, [1, ...shape]));
    const dense = (i: number): Float32Array => {
      const y = tf.tidy(() => model.apply(xs[i], { training: false }) as tf.Tensor);
      try {
        return y.dataSync() as Float32Array;
      } finally {
        y.dispose();
      }
    };
    // The same graph as the model above: the stored topology less a final softmax (logits, like loadLevelModel).
    const stored = extracted.meta.topology as LayersTopology;
    let sparse: SparseModel | undefined;
    let sparseSkipped: string | undefined;
    try {
      sparse = compileSparseModel(withoutFinalSoftmax(stored) ?? stored, extracted.weights, file);
    } catch (e) {
      if (!isElsaError(e)) throw e;
      sparseSkipped = e.problem;
    }
    const predictions: SamplePrediction[] = [];
    let maxLogitDiff = sparse ? 0 : undefined;
    inputs.forEach((x, i) => {
      const logits = dense(i);
      predictions.push(predictionOf(logits, x.label));
      if (sparse) {
        const s = sparse.run(x.pixels);
        for (let k = 0; k < logits.length; k++) maxLogitDiff = Math.max(maxLogitDiff!, Math.abs(s[k] - logits[k]));
      }
    });
    for (let r = 0; r < options.warmup; r++) {
      stopIfAborted(signal);
      dense(r % inputs.length);
      sparse?.run(inputs[r % inputs.length].pixels);
    }
    const denseMs: number[] = [];
    const sparseMs: number[] = [];
    for (let r = 0; r < options.runs; r++) {
      stopIfAborted(signal);
      const i = r % inputs.length;
      // Alternate which path goes first, so neither always runs right after the other warmed the caches.
      const order = r % 2 === 0 ? ['dense', 'sparse'] : ['sparse', 'dense'];
      for (const path of order) {
        if (path === 'sparse' && !sparse) continue;
        const t0 = performance.now();
        if (path === 'dense') dense(i);
        else sparse!.run(inputs[i].pixels);
        (path === 'dense' ? denseMs : sparseMs).push(performance.now() - t0);
      }
    }
    const info = extracted.meta.levels.find((l) => l.index === level);
    const denseLatency = latencyStats(denseMs);
    const sparseLatency = sparse ? latencyStats(sparseMs) : undefined;
    return {
      level,
      targetSparsity: info?.targetSparsity ?? extracted.meta.targets[level - 1] ?? 0,
      sparsity: info?.sparsity ?? NaN,
      isDense: level > extracted.meta.targets.length,
      predictions,
      denseLatency,
      ...(sparseLatency ? { sparseLatency, maxLogitDiff } : { sparseSkipped }),
      picked: sparseLatency && sparseLatency.medianMs < denseLatency.medianMs ? 'sparse' : 'dense',
    };
  } finally {
    tf.dispose(xs);
    model.dispose();
  }
}

/** Every requested level on the inputs, sparsest first. The engine must be initialised (initEngine). */
export async function predictLevels(file: string, levels: number[], inputs: readonly PredictInput[], options: PredictOptions): Promise<LevelSampleResult[]> {
  if (inputs.length === 0) throw new RangeError('predict: no inputs');
  if (!(options.runs >= 1)) throw new RangeError('predict: runs must be at least 1');
  const out: LevelSampleResult[] = [];
  for (const level of levels) {
    stopIfAborted(options.signal);
    const r = await runLevel(file, level, inputs, options);
    out.push(r);
    options.onLevel?.(out.length, levels.length, r);
  }
  return out;
}

/** POSIX shell quoting, only where needed: the command is meant to be pasted. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * `elsa extract` for one level, as src/cli/commands/extract.ts takes it, into `exports/` beside the checkpoint
 * under the name the editor's Extract command suggests.
 */
export function extractCommand(checkpoint: string, level: number): string {
  const stem = path.basename(checkpoint).replace(/(\.elsa)?\.safetensors$/i, '');
  const out = path.join(path.dirname(checkpoint), 'exports', `${stem}-level${level}.safetensors`);
  return `elsa extract ${shellQuote(checkpoint)} --level ${level} --format safetensors --out ${shellQuote(out)}`;
}

/**
 * The sparsest level that is still right — every labelled input predicted correctly (without labels: the dense
 * level's prediction on every input) — and, with `maxMs`, whose picked path's median latency fits the budget.
 */
export function recommendLevel(
  checkpoint: string,
  levels: readonly LevelSampleResult[],
  inputs: readonly PredictInput[],
  maxMs?: number,
): { recommended?: SampleRecommendation; noRecommendation?: string } {
  const labelled = inputs.some((x) => x.label !== undefined);
  const reference = [...levels].sort((a, b) => b.level - a.level)[0];
  const right = (l: LevelSampleResult) =>
    l.predictions.every((p, i) => (labelled ? inputs[i].label === undefined || p.correct === true : p.predicted === reference.predictions[i].predicted));
  const fast = (l: LevelSampleResult) => maxMs === undefined || Math.min(l.denseLatency.medianMs, l.sparseLatency?.medianMs ?? Infinity) <= maxMs;
  const sorted = [...levels].sort((a, b) => a.level - b.level);
  const pick = sorted.find((l) => right(l) && fast(l));
  const what = labelled ? 'is right on every labelled input' : 'predicts what the dense level predicts on every input (no labels)';
  if (!pick) {
    const anyRight = sorted.some(right);
    return { noRecommendation: anyRight ? `no level that ${what} runs within ${maxMs} ms` : `no level ${what}` };
  }
  const budget = maxMs === undefined ? '' : ` and runs within ${maxMs} ms`;
  return { recommended: { level: pick.level, reason: `the sparsest level that ${what}${budget}`, command: extractCommand(checkpoint, pick.level) } };
}
