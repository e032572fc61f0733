/** Evaluation of a model on a split: accuracy, mean cross-entropy, and optionally the raw logits. */
import * as tf from '@tensorflow/tfjs';
import type { Dataset, Split } from '../data/dataset';
import { modelError } from '../errors';

export interface Evaluation {
  accuracy: number;
  loss: number;
  count: number;
  /** count * numClasses logits, when asked for (exactness tests compare them bit for bit). */
  logits?: Float32Array;
}

/**
 * Whether `model` can be evaluated on `dataset`'s test split: its input must be the dataset's image shape and
 * every label must be one of its classes. A test set may lack the last classes (labels 0..8 for a 10-class
 * model): the model's class count is what to evaluate with, and is returned. One line naming `file` otherwise.
 */
export function evaluationClasses(file: string, model: tf.LayersModel, dataset: Pick<Dataset, 'shape' | 'numClasses'>): number {
  const got = model.inputs[0]?.shape.slice(1) ?? [];
  const flat = got.length === 1 && got[0] === dataset.shape[0] * dataset.shape[1] * dataset.shape[2];
  if (!flat && (got.length !== 3 || got.some((d, i) => d !== null && d !== dataset.shape[i]))) {
    throw modelError(file, `the model takes [${got.map((d) => d ?? '?').join(', ')}] inputs, the dataset's images are [${dataset.shape.join(', ')}]`);
  }
  const out = model.outputs[0]?.shape ?? [];
  const classes = out[out.length - 1];
  if (typeof classes !== 'number' || out.length !== 2) throw modelError(file, `the model's output is [${out.map((d) => d ?? '?').join(', ')}], not one logit per class`);
  if (dataset.numClasses > classes) {
    throw modelError(file, `the model has ${classes} classes, the dataset's labels go up to ${dataset.numClasses - 1}`);
  }
  return classes;
}

/**
 * Images per evaluation batch: 256, fewer for a big model so that one batch stays under ~2^28 weight
 * multiplications. A batch is one call into the kernels that a stop cannot interrupt, so `elsa eval` stops within
 * one batch: 256 images through a 20-million-weight MLP took up to a second on a loaded machine. The built-in
 * models (under 1 M weights) keep 256 (the loss sums in the same order as before).
 */
export function evaluationBatchSize(weights: number): number {
  return Math.max(8, Math.min(256, Math.floor(2 ** 28 / Math.max(1, weights))));
}

export async function evaluateModel(
  model: tf.LayersModel,
  split: Split,
  shape: [number, number, number],
  options: { batchSize?: number; keepLogits?: boolean; numClasses: number; signal?: AbortSignal },
): Promise<Evaluation> {
  const batchSize = options.batchSize ?? evaluationBatchSize(model.countParams());
  const sampleSize = shape[0] * shape[1] * shape[2];
  let correct = 0;
  let lossSum = 0;
  const logitsOut = options.keepLogits ? new Float32Array(split.count * options.numClasses) : undefined;
  for (let start = 0; start < split.count; start += batchSize) {
    // Checked between batches: `elsa eval` stops within a batch of SIGTERM (src/cli/supervisor.ts).
    if (options.signal?.aborted) throw new Error('evaluation interrupted');
    const n = Math.min(batchSize, split.count - start);
    const { c, l, logits } = tf.tidy(() => {
      const x = tf.tensor4d(split.images.subarray(start * sampleSize, (start + n) * sampleSize), [n, ...shape]);
      const y = tf.tensor1d(split.labels.subarray(start, start + n), 'int32');
      const out = model.apply(x, { training: false }) as tf.Tensor2D;
      const right = tf.sum(tf.cast(tf.equal(tf.argMax(out, 1), y), 'float32'));
      const loss = tf.mul(tf.losses.softmaxCrossEntropy(tf.oneHot(y, options.numClasses), out), n);
      const kept: tf.NamedTensorMap = { c: right, l: loss };
      if (logitsOut) kept.logits = out;
      return kept;
    }) as { c: tf.Tensor; l: tf.Tensor; logits?: tf.Tensor };
    correct += (await c.data())[0];
    lossSum += (await l.data())[0];
    if (logits && logitsOut) logitsOut.set((await logits.data()) as Float32Array, start * options.numClasses);
    tf.dispose([c, l]);
    logits?.dispose();
  }
  return { accuracy: correct / split.count, loss: lossSum / split.count, count: split.count, logits: logitsOut };
}
