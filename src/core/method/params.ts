/** The trainer's view of a model's weights: stable names, the underlying variables, host reads and writes. */
import * as tf from '@tensorflow/tfjs';
import { listModelWeights } from '../models/weights';

export interface ModelParam {
  name: string;
  variable: tf.Variable;
  shape: number[];
  size: number;
  sparsifiable: boolean;
  trainable: boolean;
}

export function collectParams(model: tf.LayersModel): ModelParam[] {
  return listModelWeights(model).map((w) => ({
    name: w.name,
    // A LayerVariable's read() is its backing tf.Variable: gradients and assignments go straight to it.
    variable: w.variable.read() as tf.Variable,
    shape: w.shape,
    size: w.shape.reduce((a, b) => a * b, 1),
    sparsifiable: w.sparsifiable,
    trainable: w.trainable,
  }));
}

/** A host copy of the parameter's values. */
export function readParam(p: ModelParam): Float32Array {
  return Float32Array.from(p.variable.dataSync() as Float32Array);
}

export function writeParam(p: ModelParam, values: Float32Array): void {
  tf.tidy(() => p.variable.assign(tf.tensor(values, p.shape, 'float32')));
}
