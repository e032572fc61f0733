/**
 * One training step: forward in training mode (batch norm updates its running statistics), softmax
 * cross-entropy on the model's logits (an imported model that ends in softmax trains with that softmax split
 * off, models/softmax.ts, so it is never applied twice), gradients of the still-trainable variables, masked
 * optimizer update. Loss and the number of correct predictions stay on the device as scalars; the caller
 * accumulates them and reads them once per epoch, so the loop has no host round trip per step.
 */
import * as tf from '@tensorflow/tfjs';
import type { MaskedOptimizer } from './optimizer';

export interface StepResult {
  loss: tf.Scalar;
  correct: tf.Scalar;
}

export type TrainStep = (images: tf.Tensor, labels: tf.Tensor1D) => StepResult;

export function createTrainStep(model: tf.LayersModel, optimizer: MaskedOptimizer, numClasses: number): TrainStep {
  return (images, labels) => {
    const vars = optimizer.trainableVariables();
    let correct: tf.Scalar | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(images, { training: true }) as tf.Tensor2D;
      correct = tf.keep(tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')) as tf.Scalar));
      return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, numClasses), logits) as tf.Scalar;
    }, vars);
    optimizer.applyGradients(grads);
    tf.dispose(grads);
    return { loss: value, correct: correct as tf.Scalar };
  };
}
