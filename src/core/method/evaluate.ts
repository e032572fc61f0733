/** Evaluation of a model on a split: accuracy, mean cross-entropy, and optionally the raw logits. */
import * as tf from '@tensorflow/tfjs';
import type { Split } from '../data/dataset';

export interface Evaluation {
  accuracy: number;
  loss: number;
  count: number;
  /** count * numClasses logits, when asked for (exactness tests compare them bit for bit). */
  logits?: Float32Array;
}

export async function evaluateModel(
  model: tf.LayersModel,
  split: Split,
  shape: [number, number, number],
  options: { batchSize?: number; keepLogits?: boolean; numClasses: number; signal?: AbortSignal },
): Promise<Evaluation> {
  const batchSize = options.batchSize ?? 256;
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
