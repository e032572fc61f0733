/**
 * Extraction of one level (docs/architecture.md §1): `W ⊙ [code <= k]` for sparsifiable weights, the level's own copy of the
 * non-sparsified parameters, everything else as stored. One pass over the weights, no training. Zeros are
 * written as +0 from the host, exactly as the trainer zeroes pruned weights, so the extracted network's
 * predictions are bit-identical to the sparse network at the end of its phase.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ElsaMetadata } from '../../protocol/checkpoint';
import { checkpointError } from '../errors';
import type { HostTensor } from '../io/dtype';
import { extractLevelWeights, readElsaCheckpoint } from '../io/elsaCheckpoint';
import { withoutFinalSoftmax } from '../models/softmax';
import { modelFromTopology, type LayersTopology } from '../models/weights';
import { levelFromRequest } from './levels';

export interface ExtractedLevel {
  level: number;
  meta: ElsaMetadata;
  /** Model weights by stable name, in file order. */
  weights: Record<string, HostTensor>;
  /** The sparsifiable tensor names. */
  sparseNames: string[];
}

// The rule lives beside resolveLevel (pure, no TF.js), so the extension host can use it too (core/compare.ts).
export { levelFromRequest } from './levels';

/** `signal` is checked between tensors, so a stop request ends a long extraction at the next one. */
export async function extractLevel(file: string, request: number, signal?: AbortSignal): Promise<ExtractedLevel> {
  const ckpt = await readElsaCheckpoint(file);
  try {
    const level = levelFromRequest(request, ckpt.meta, file);
    const small = await ckpt.readLevelParams(level);
    const weights: Record<string, HostTensor> = {};
    for (const name of ckpt.weightNames) {
      if (signal?.aborted) throw new Error('extraction interrupted');
      const stored = await ckpt.readWeight(name);
      if (ckpt.meta.codes[name]) {
        const codes = await ckpt.readCodes(name);
        weights[name] = { dtype: 'F32', shape: stored.shape, data: extractLevelWeights(stored.data as Float32Array, codes, level) };
      } else {
        weights[name] = small[name] ?? stored;
      }
    }
    return { level, meta: ckpt.meta, weights, sparseNames: ckpt.sparseWeightNames };
  } finally {
    await ckpt.close();
  }
}

/**
 * The TF.js model of one level, ready to predict: as trained and exported, or with `logits` its final softmax
 * (if any) left out, for a loss on logits like the trainer's.
 */
export async function loadLevelModel(
  file: string,
  request: number,
  options: { signal?: AbortSignal; logits?: boolean } = {},
): Promise<{ model: tf.LayersModel; extracted: ExtractedLevel }> {
  const { signal } = options;
  const extracted = await extractLevel(file, request, signal);
  if (signal?.aborted) throw new Error('extraction interrupted');
  if (!extracted.meta.topology) throw checkpointError(file, 'the checkpoint has no model topology');
  const floats: Record<string, Float32Array> = {};
  for (const [name, t] of Object.entries(extracted.weights)) floats[name] = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as Float64Array);
  const stored = extracted.meta.topology as LayersTopology;
  const topology = (options.logits && withoutFinalSoftmax(stored)) || stored;
  const shapes = Object.fromEntries(Object.entries(extracted.weights).map(([name, t]) => [name, t.shape]));
  const model = await modelFromTopology(topology, floats, file, shapes);
  return { model, extracted };
}
