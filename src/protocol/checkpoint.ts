/**
 * The checkpoint contract (docs/format.md): what `__metadata__["elsa"]` of a `*.elsa.safetensors` holds.
 * Other tools and our tests rely on these names; change them only with a new `format`.
 */

export const ELSA_FORMAT = 'elsa/1';

/** Level codes run 1..K+1: the index of the sparsest level that contains a weight (K+1: dense only). */
export type CodePacking = 'u8' | `bits${number}`;

export interface LevelMetrics {
  /** Top-1 accuracy on the evaluation split, 0..1. */
  accuracy?: number;
  /** Mean cross-entropy on the evaluation split. */
  loss?: number;
  [name: string]: number | undefined;
}

export interface LevelInfo {
  /** 1..K for sparse levels, K+1 for the dense network. */
  index: number;
  /** The sparsity the run aimed at (0 for the dense level). */
  targetSparsity: number;
  /** Measured over all sparsifiable weights: share of weights whose code is > index. */
  sparsity: number;
  /** True for level K+1. */
  dense?: boolean;
  metrics: LevelMetrics;
  /** Per sparsifiable weight tensor, the sparsity of this level in that tensor. */
  layerSparsity?: Record<string, number>;
}

export interface SmallParamsInfo {
  /** `perLevel`: each level stores its own copy; `frozen`: frozen after phase 1, one copy serves all levels. */
  mode: 'perLevel' | 'frozen';
  /** Non-sparsified tensor name -> tensor name holding its value for level index i (array position i-1). */
  perLevel: Record<string, string[]>;
}

export interface Provenance {
  tool: string;
  version: string;
  backend: string;
  createdAt: string;
  dataset?: string;
  seed?: number;
}

export interface TrainingState {
  /** `training` while phases remain (the file is then a resumable snapshot), `complete` at the end. */
  status: 'training' | 'complete';
  /** Last finished phase (1..K+1, 0 = dense warm-up only) and epoch within the phase in progress. */
  phase: number;
  epoch: number;
  step: number;
}

export interface ElsaMetadata {
  format: typeof ELSA_FORMAT;
  /** Levels finished so far, sparsest first; a complete run has K+1 entries (the last is dense). */
  levels: LevelInfo[];
  /** The planned sparsities s_1 > … > s_K. */
  targets: number[];
  /** Sparsifiable weight tensor -> its level-code tensor. */
  codes: Record<string, string>;
  packing: CodePacking;
  smallParams?: SmallParamsInfo;
  /** TF.js Layers model JSON (the `modelTopology` of a model.json). */
  topology?: unknown;
  /** The run config this checkpoint came from. */
  config?: unknown;
  provenance?: Provenance;
  training?: TrainingState;
  /** Kind of run: ELSA (nested levels) or one independently trained network (baseline). */
  kind?: 'elsa' | 'independent' | 'dense';
  /** Present while `training.status` is `training`: what a resumed run needs besides the tensors. */
  resume?: ResumeInfo;
}

export interface ResumeInfo {
  /** Sparsity the current phase's mask was last set to. */
  appliedSparsity: number;
  /** Optimizer steps taken in the current phase (Adam's bias correction). */
  optimizerStep: number;
  /** Epochs run so far over all phases (the data order of an epoch depends on it). */
  globalEpoch: number;
}

/** Safetensors dtypes this project reads and writes. */
export type DType = 'F32' | 'F16' | 'F64' | 'I32' | 'I64' | 'U8' | 'I8' | 'U16' | 'I16' | 'U32' | 'BOOL' | 'BF16';

export interface TensorEntry {
  dtype: DType;
  shape: number[];
  /** Byte range [begin, end) relative to the start of the data section. */
  offsets: [number, number];
}
