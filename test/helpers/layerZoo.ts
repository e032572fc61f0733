/**
 * The "layer zoo": one functional TF.js model over [9, 9, 2] images with every supported layer besides the
 * built-in models' own (padding, depthwise/separable/dilated convolutions, concatenate, batch norm on images and
 * vectors, leaky ReLU, both poolings and global poolings, multiply/add, dropout, reshape, softmax), with random
 * weights written into it. The ONNX export test and the sparse path test both check their output against it.
 */
import * as tf from '@tensorflow/tfjs';
import { LocallyConnected2D } from '../../src/core/models/locallyConnected';
import { listModelWeights } from '../../src/core/models/weights';
import { createRng } from '../../src/core/random';

export type ZooWeights = Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>;

export interface ZooOptions {
  /** Also a global-average branch into a gelu Dense, and a softplus Dense on the reshaped [2, 4] (rank-3 Dense). */
  extraHeads?: boolean;
  /** Share of kernel entries set to zero (sparse weights); 0 keeps every weight. */
  kernelZeros?: number;
}

export const ZOO_SHAPE = [9, 9, 2];

/** The zoo model and its weights by stable name (seeded, so both tests see the same numbers run to run). */
export function buildLayerZoo(options: ZooOptions = {}): { model: tf.LayersModel; weights: ZooWeights } {
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;
  const input = tf.input({ shape: ZOO_SHAPE, name: 'image' });
  let x = apply(tf.layers.zeroPadding2d({ padding: [[1, 0], [0, 2]], name: 'pad' }), input);
  x = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', activation: 'relu6', name: 'dw' }), x);
  const a = apply(tf.layers.separableConv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'elu', name: 'sep' }), x);
  const b = apply(tf.layers.conv2d({ filters: 3, kernelSize: 2, dilationRate: 2, padding: 'same', activation: 'tanh', name: 'dil' }), x);
  x = apply(tf.layers.concatenate({ name: 'cat' }), [a, b]);
  x = apply(tf.layers.batchNormalization({ name: 'bn' }), x);
  x = apply(tf.layers.leakyReLU({ alpha: 0.1, name: 'leaky' }), x);
  const p1 = apply(tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'avg' }), x);
  const p2 = apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'max' }), x);
  x = apply(tf.layers.multiply({ name: 'mul' }), [p1, p2]);
  const g = apply(tf.layers.globalMaxPooling2d({ name: 'gmax' }), x);
  const ga = options.extraHeads ? apply(tf.layers.globalAveragePooling2d({ name: 'gavg' }), x) : undefined;
  let f = apply(tf.layers.flatten({ name: 'flat' }), x);
  f = apply(tf.layers.dropout({ rate: 0.5, name: 'drop' }), f);
  f = apply(tf.layers.dense({ units: 8, activation: 'swish', name: 'd1' }), f);
  const h = apply(tf.layers.dense({ units: 8, activation: 'sigmoid', name: 'd2' }), g);
  const k = ga ? apply(tf.layers.dense({ units: 8, activation: 'gelu', name: 'd3' }), ga) : undefined;
  x = apply(tf.layers.add({ name: 'sum' }), k ? [f, h, k] : [f, h]);
  x = apply(tf.layers.batchNormalization({ name: 'bn1d' }), x);
  x = apply(tf.layers.reshape({ targetShape: [2, 4], name: 'rs' }), x);
  if (options.extraHeads) x = apply(tf.layers.dense({ units: 3, activation: 'softplus', name: 'd4' }), x);
  x = apply(tf.layers.softmax({ axis: -1, name: 'sm' }), x);
  x = apply(tf.layers.flatten({ name: 'flat2' }), x);
  const model = tf.model({ inputs: input, outputs: x, name: 'zoo' });

  return { model, weights: randomizeWeights(model, 3, options.kernelZeros ?? 0) };
}

/**
 * Writes seeded random weights into `model` and returns them by stable name: variances in [0.5, 1.5), the
 * rest N(0, 0.25); kernels lose `zeros` of their entries (drawn before the value, as a mask).
 */
export function randomizeWeights(model: tf.LayersModel, seed: number, zeros = 0): ZooWeights {
  const rng = createRng(seed);
  const weights: ZooWeights = {};
  for (const w of listModelWeights(model)) {
    const kernel = /kernel$/.test(w.name);
    const data = Float32Array.from({ length: w.shape.reduce((p, q) => p * q, 1) }, () =>
      w.name.endsWith('variance') ? 0.5 + rng.next() : zeros > 0 && kernel && rng.next() < zeros ? 0 : rng.normal() * 0.5);
    w.variable.write(tf.tensor(data, w.shape));
    weights[w.name] = { dtype: 'F32', shape: w.shape, data };
  }
  return weights;
}

export const LOCALLY_CONNECTED_SHAPE = [9, 8, 2];

/**
 * `LocallyConnected2D` three ways over [9, 8, 2] images — `same` with stride 2 and relu, `valid` with a 2×3
 * kernel and no bias, a 1×1 kernel with strides [1, 2] — into a Dense; random weights, biases included (one
 * per position and filter, so their layout is checked). ONNX export and sparse path tests use it.
 */
export function buildLocallyConnectedZoo(zeros = 0): { model: tf.LayersModel; weights: ZooWeights } {
  const input = tf.input({ shape: LOCALLY_CONNECTED_SHAPE, name: 'x' });
  let y = new LocallyConnected2D({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'lc1' }).apply(input) as tf.SymbolicTensor;
  y = new LocallyConnected2D({ filters: 4, kernelSize: [2, 3], padding: 'valid', useBias: false, name: 'lc2' }).apply(y) as tf.SymbolicTensor;
  y = new LocallyConnected2D({ filters: 2, kernelSize: 1, strides: [1, 2], padding: 'same', name: 'lc3' }).apply(y) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 5, name: 'd' }).apply(tf.layers.flatten({ name: 'f' }).apply(y) as tf.SymbolicTensor) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  return { model, weights: randomizeWeights(model, 12, zeros) };
}
