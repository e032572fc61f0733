/**
 * Training throughput of our engine through the project's own training code: a built-in Layers model,
 * the masked optimizer (SGD momentum 0.9), `createTrainStep`, and `BatchIterator` batches, with the same
 * per-step work as the trainer's loop (tensors from the batch views, on-device loss/accuracy sums).
 */
import * as tf from '@tensorflow/tfjs';
import { BatchIterator } from '../src/core/data/batches';
import type { Dataset } from '../src/core/data/dataset';
import { buildBuiltinModel } from '../src/core/models/builders';
import { MaskedOptimizer } from '../src/core/method/optimizer';
import { collectParams } from '../src/core/method/params';
import { createTrainStep } from '../src/core/method/trainStep';

export type BenchModel = 'cnn' | 'mlp' | 'resnet';

export interface Trainer {
  /** Runs `steps` training steps and waits for the device; returns the seconds taken. */
  run(steps: number): number;
  /** One pass over the whole training split: seconds, samples and the mean training loss. */
  epoch(): { seconds: number; samples: number; meanLoss: number };
  dispose(): void;
}

export function createBenchTrainer(dataset: Dataset, model: BenchModel, batchSize: number, seed = 1): Trainer {
  const layers = buildBuiltinModel({ type: model }, dataset.shape, dataset.numClasses, seed);
  const params = collectParams(layers).filter((p) => p.trainable);
  const optimizer = new MaskedOptimizer(
    { type: 'sgd', learningRate: 0.01, momentum: 0.9, weightDecay: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    params.map((p) => ({ name: p.name, variable: p.variable, decay: p.sparsifiable })),
  );
  const step = createTrainStep(layers, optimizer, dataset.numClasses);
  const batches = new BatchIterator(dataset.train, { batchSize, seed, dropLast: true });
  let epochIndex = 0;
  let iterator = batches.epoch(epochIndex);

  const nextBatch = () => {
    let r = iterator.next();
    if (r.done) {
      iterator = batches.epoch(++epochIndex);
      r = iterator.next();
    }
    if (r.done) throw new Error('empty training split');
    return r.value;
  };

  /** The trainer's per-step work; returns the running loss sum (kept on the device). */
  const trainOn = (images: Float32Array, labels: Int32Array, size: number, lossSum: tf.Scalar): tf.Scalar => {
    const x = tf.tensor4d(images, [size, ...dataset.shape]);
    const y = tf.tensor1d(labels, 'int32');
    const { loss, correct } = step(x, y);
    const next = tf.tidy(() => tf.add(lossSum, tf.mul(loss, size)) as tf.Scalar);
    tf.dispose([x, y, loss, correct, lossSum]);
    return next;
  };

  return {
    run(steps) {
      const t0 = performance.now();
      let sum = tf.scalar(0);
      for (let i = 0; i < steps; i++) {
        const b = nextBatch();
        sum = trainOn(b.images, b.labels, b.size, sum);
      }
      sum.dataSync();
      sum.dispose();
      return (performance.now() - t0) / 1000;
    },
    epoch() {
      const t0 = performance.now();
      let sum = tf.scalar(0);
      let samples = 0;
      for (const b of batches.epoch(1000)) {
        sum = trainOn(b.images, b.labels, b.size, sum);
        samples += b.size;
      }
      const total = sum.dataSync()[0];
      sum.dispose();
      return { seconds: (performance.now() - t0) / 1000, samples, meanLoss: total / Math.max(samples, 1) };
    },
    dispose() {
      optimizer.dispose();
      layers.dispose();
    },
  };
}
