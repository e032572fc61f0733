/**
 * "A level on a sample": what `elsa predict --json` prints and the dashboard's sample view draws — every
 * level's prediction on a few inputs, with the batch-1 latency of the engine's dense kernels and of the sparse
 * (CSR) path, and the level to extract. One shape for the CLI, the host and the webview; `isSampleResult`
 * checks it wherever it crosses a process or a postMessage.
 */

export const SAMPLE_FORMAT = 'elsa-predict/1';
/** Most inputs one prediction takes (test indices and an image file's images together). */
export const MAX_SAMPLE_INPUTS = 64;
/** Most timed runs per path and level. */
export const MAX_SAMPLE_RUNS = 10_000;

/** Timed runs of one path at batch 1: the median and the spread (10th / 90th percentile), in milliseconds. */
export interface LatencyStats {
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  runs: number;
}

export interface ClassScore {
  class: number;
  /** Softmax probability. */
  p: number;
}

export interface SamplePrediction {
  predicted: number;
  /** Softmax probability of the predicted class. */
  confidence: number;
  /** The three most probable classes, most probable first. */
  top: ClassScore[];
  /** Against the input's label, when it has one. */
  correct?: boolean;
}

export interface SampleInput {
  /** `test #12`, `shoe.png`, `rows.csv #3`. */
  id: string;
  label?: number;
  /** [H, W, C] of one model input. */
  shape: number[];
  /** The input as 0..255 values (NHWC), for drawing; absent for inputs too large to send. */
  pixels?: number[];
}

export interface LevelSampleResult {
  level: number;
  targetSparsity: number;
  /** Share of zero sparsifiable weights in this level. */
  sparsity: number;
  isDense: boolean;
  /** One per input, in input order (from the dense kernels, the reference). */
  predictions: SamplePrediction[];
  denseLatency: LatencyStats;
  /** Absent when the sparse path cannot run this model (`sparseSkipped` says why). */
  sparseLatency?: LatencyStats;
  sparseSkipped?: string;
  /** Largest |logit difference| between the two paths over the inputs, when both ran. */
  maxLogitDiff?: number;
  /** The faster path by median latency. */
  picked: 'dense' | 'sparse';
}

export interface SampleRecommendation {
  level: number;
  /** Why this level: right on every labelled input (or agreeing with the dense level when none has a label), within the budget. */
  reason: string;
  /** The `elsa extract` command line for it. */
  command: string;
}

export interface SampleResult {
  format: typeof SAMPLE_FORMAT;
  checkpoint: string;
  /** Where the inputs came from: `fashion-mnist-small (embedded) test split`, or the image file. */
  source: string;
  engine: string;
  classNames?: string[];
  /** Timed runs per path and level after `warmup` untimed ones. */
  runs: number;
  warmup: number;
  /** The latency budget asked for (--max-ms), if any. */
  maxMs?: number;
  inputs: SampleInput[];
  levels: LevelSampleResult[];
  /** Absent when no level is right on the inputs (`noRecommendation` says why). */
  recommended?: SampleRecommendation;
  noRecommendation?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isStr = (v: unknown): v is string => typeof v === 'string';
const optional = (v: unknown, check: (x: unknown) => boolean) => v === undefined || check(v);

function isLatency(v: unknown): boolean {
  return isObj(v) && isNum(v.medianMs) && isNum(v.p10Ms) && isNum(v.p90Ms) && isInt(v.runs) && v.runs > 0;
}

function isPrediction(v: unknown): boolean {
  return isObj(v) && isInt(v.predicted) && isNum(v.confidence) && Array.isArray(v.top) && v.top.every((t) => isObj(t) && isInt(t.class) && isNum(t.p))
    && optional(v.correct, (c) => typeof c === 'boolean');
}

function isInput(v: unknown): boolean {
  if (!isObj(v) || !isStr(v.id) || !optional(v.label, isInt) || !Array.isArray(v.shape) || !v.shape.every(isInt)) return false;
  const size = (v.shape as number[]).reduce((a, b) => a * b, 1);
  return v.pixels === undefined || (Array.isArray(v.pixels) && v.pixels.length === size && v.pixels.every((p) => isNum(p) && p >= 0 && p <= 255));
}

function isLevel(v: unknown, inputs: number): boolean {
  return isObj(v) && isInt(v.level) && v.level > 0 && isNum(v.targetSparsity) && isNum(v.sparsity) && typeof v.isDense === 'boolean'
    && Array.isArray(v.predictions) && v.predictions.length === inputs && v.predictions.every(isPrediction)
    && isLatency(v.denseLatency) && optional(v.sparseLatency, isLatency) && optional(v.sparseSkipped, isStr) && optional(v.maxLogitDiff, isNum)
    && (v.picked === 'dense' || v.picked === 'sparse');
}

/** Whether `v` is a complete SampleResult (every field the view indexes into). */
export function isSampleResult(v: unknown): v is SampleResult {
  if (!isObj(v) || v.format !== SAMPLE_FORMAT || !isStr(v.checkpoint) || !isStr(v.source) || !isStr(v.engine)) return false;
  if (!isInt(v.runs) || !isInt(v.warmup) || !optional(v.maxMs, isNum) || !optional(v.classNames, (c) => Array.isArray(c) && c.every(isStr))) return false;
  if (!Array.isArray(v.inputs) || v.inputs.length === 0 || !v.inputs.every(isInput)) return false;
  const n = v.inputs.length;
  if (!Array.isArray(v.levels) || v.levels.length === 0 || !v.levels.every((l) => isLevel(l, n))) return false;
  const r = v.recommended;
  return optional(r, (x) => isObj(x) && isInt(x.level) && isStr(x.reason) && isStr(x.command)) && optional(v.noRecommendation, isStr);
}

/** `elsa predict --json` output as a SampleResult, or an Error saying what is wrong with it. */
export function sampleResultFromJson(stdout: string): SampleResult {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    throw new Error('elsa predict printed no JSON (details in the ELSA log)');
  }
  if (!isSampleResult(value)) throw new Error(`elsa predict printed JSON that is not ${SAMPLE_FORMAT}`);
  return value;
}
