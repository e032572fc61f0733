/**
 * Masked optimizer updates as one call per parameter. With the native kernels loaded (wasm backend) the
 * whole update is one pass over the weights; elsewhere it is the tfjs ops below. Both compute the same
 * float32 operations in the same order, so they agree bit for bit, and where the mask is 0 the weight is
 * selected, never recomputed: it holds exactly even when the update is huge or NaN, and its optimizer
 * state is zeroed. A per-parameter update of ~9 tfjs ops costs ~1–3 ms per step on the small models;
 * the fused one ~0.1 ms (docs/benchmarks.md).
 */
import * as tf from '@tensorflow/tfjs';
import { activeNativeAddon, nativeOutput, nativeTensorOffset } from './nativeKernels';

export interface SgdHyper {
  learningRate: number;
  /** 0 = plain SGD (no velocity state). */
  momentum: number;
  /** Added to the gradient as decay·w (0 = none). */
  weightDecay: number;
}

export interface AdamHyper {
  /** The bias-corrected step size lr·√(1−β2^t)/(1−β1^t). */
  stepSize: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export interface SgdResult {
  next: tf.Tensor;
  /** The new velocity; undefined when momentum is 0. */
  velocity?: tf.Tensor;
}

export interface AdamResult {
  next: tf.Tensor;
  first: tf.Tensor;
  second: tf.Tensor;
}

/** The update as tfjs ops (every backend); callers run it inside a tidy. */
export function sgdUpdateOps(w: tf.Tensor, velocity: tf.Tensor | undefined, grad: tf.Tensor, mask: tf.Tensor | null, h: SgdHyper): SgdResult {
  const g = h.weightDecay > 0 ? tf.add(grad, tf.mul(w, h.weightDecay)) : grad;
  let first = h.momentum > 0 && velocity ? tf.add(tf.mul(velocity, h.momentum), g) : g;
  let next = tf.sub(w, tf.mul(first, h.learningRate));
  if (mask) {
    next = tf.where(mask, next, w);
    first = tf.where(mask, first, tf.zerosLike(first));
  }
  return { next, velocity: h.momentum > 0 ? first : undefined };
}

export function adamUpdateOps(w: tf.Tensor, m: tf.Tensor, v: tf.Tensor, grad: tf.Tensor, mask: tf.Tensor | null, h: AdamHyper): AdamResult {
  const g = h.weightDecay > 0 ? tf.add(grad, tf.mul(w, h.weightDecay)) : grad;
  let first = tf.add(tf.mul(m, h.beta1), tf.mul(g, 1 - h.beta1));
  let second = tf.add(tf.mul(v, h.beta2), tf.mul(tf.square(g), 1 - h.beta2));
  let next = tf.sub(w, tf.div(tf.mul(first, h.stepSize), tf.add(tf.sqrt(second), h.epsilon)));
  if (mask) {
    next = tf.where(mask, next, w);
    const zeros = tf.zerosLike(first);
    first = tf.where(mask, first, zeros);
    second = tf.where(mask, second, zeros);
  }
  return { next, first, second };
}

function nativeCompatible(mask: tf.Tensor | null, ...ts: (tf.Tensor | undefined)[]): boolean {
  return (mask === null || mask.dtype === 'bool') && ts.every((t) => t === undefined || t.dtype === 'float32');
}

/** SGD (momentum, decay) with an optional bool update mask; fused when the native kernels run. */
export function sgdMomentumUpdate(w: tf.Tensor, velocity: tf.Tensor | undefined, grad: tf.Tensor, mask: tf.Tensor | null, h: SgdHyper): SgdResult {
  const addon = activeNativeAddon();
  const hasVelocity = h.momentum > 0 && velocity !== undefined;
  if (!addon || !nativeCompatible(mask, w, velocity, grad)) return sgdUpdateOps(w, velocity, grad, mask, h);
  const next = nativeOutput(w.shape);
  const vel = hasVelocity ? nativeOutput(w.shape) : undefined;
  addon.call.sgdMomentum(addon.heap(), nativeTensorOffset(w), velocity && hasVelocity ? nativeTensorOffset(velocity) : 0,
    nativeTensorOffset(grad), mask ? nativeTensorOffset(mask) : 0, nativeTensorOffset(next), vel ? nativeTensorOffset(vel) : 0,
    w.size, mask ? 1 : 0, hasVelocity ? 1 : 0, h.learningRate, h.momentum, h.weightDecay);
  return { next, velocity: vel };
}

/** Adam with an optional bool update mask; fused when the native kernels run. */
export function adamUpdate(w: tf.Tensor, m: tf.Tensor, v: tf.Tensor, grad: tf.Tensor, mask: tf.Tensor | null, h: AdamHyper): AdamResult {
  const addon = activeNativeAddon();
  if (!addon || !nativeCompatible(mask, w, m, v, grad)) return adamUpdateOps(w, m, v, grad, mask, h);
  const next = nativeOutput(w.shape);
  const first = nativeOutput(w.shape);
  const second = nativeOutput(w.shape);
  // hyper-parameters are rounded to float32 exactly as tfjs rounds its scalar operands
  const f32 = (x: number) => Math.fround(x);
  addon.call.adam(addon.heap(), nativeTensorOffset(w), nativeTensorOffset(m), nativeTensorOffset(v), nativeTensorOffset(grad),
    mask ? nativeTensorOffset(mask) : 0, nativeTensorOffset(next), nativeTensorOffset(first), nativeTensorOffset(second), w.size,
    mask ? 1 : 0, f32(h.stepSize), f32(h.beta1), f32(1 - h.beta1), f32(h.beta2), f32(1 - h.beta2), f32(h.epsilon), f32(h.weightDecay));
  return { next, first, second };
}
