/**
 * Native batch norm and reductions for the wasm backend (native/elsa_norm.c), in place on the wasm heap:
 * the fused training-mode batch norm and its gradient (batchNorm.ts), FusedBatchNorm with given (moving)
 * statistics, and Sum / Mean over a contiguous block of axes that leaves the last axis (bias gradients,
 * global average pooling; wasm transposes such inputs first). Anything else falls back to wasm.
 */
import * as tf from '@tensorflow/tfjs';
import { BN_TRAIN, BN_TRAIN_GRAD } from './batchNorm';
import { heapOf, internals, offsetOf, replace, withFallback, type NativeAddon } from './nativeHeap';

/** The channel count when `t` is a float32 vector of it. */
function isChannelVector(t: tf.TensorInfo | undefined, c: number): t is tf.TensorInfo {
  return t !== undefined && t.dtype === 'float32' && t.shape.length === 1 && t.shape[0] === c;
}

/** A float32 channels-last tensor of rank ≥ 2, as [rows, C]. */
function channels(x: tf.TensorInfo | undefined): { x: tf.TensorInfo; rows: number; c: number } | undefined {
  if (x?.dtype !== 'float32' || x.shape.length < 2) return undefined;
  const c = x.shape[x.shape.length - 1];
  return c > 0 ? { x, rows: x.shape.reduce((p, d) => p * d, 1) / c, c } : undefined;
}

function reduceKernel(addon: NativeAddon, kernelName: 'Sum' | 'Mean'): tf.KernelFunc {
  return withFallback(kernelName, ({ inputs, attrs = {}, backend }) => {
    const x = inputs.x;
    if (x?.dtype !== 'float32' || x.shape.length < 2) return undefined;
    const shape = x.shape;
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], shape).sort((p, q) => p - q);
    if (axes.length === 0 || axes.some((a, i) => a !== axes[0] + i) || axes[axes.length - 1] === shape.length - 1) return undefined;
    const prod = (ds: number[]) => ds.reduce((p, d) => p * d, 1);
    const first = axes[0];
    const last = axes[axes.length - 1];
    const [outer, rows, cols] = [prod(shape.slice(0, first)), prod(shape.slice(first, last + 1)), prod(shape.slice(last + 1))];
    const outShape = attrs.keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
    const b = internals(backend);
    const out = b.makeOutput(outShape, 'float32');
    addon.reduceMiddle(heapOf(b), offsetOf(b, x), offsetOf(b, out), outer, rows, cols, kernelName === 'Mean' ? 1 / rows : 1);
    return out;
  });
}

/** FusedBatchNorm with per-channel statistics, scale and offset (the Layers inference path). */
function inferKernel(addon: NativeAddon): tf.KernelFunc {
  return withFallback('FusedBatchNorm', ({ inputs, attrs = {}, backend }) => {
    const dims = channels(inputs.x);
    if (!dims) return undefined;
    const { x } = dims;
    const { mean, variance, scale, offset } = inputs;
    if (!isChannelVector(mean, dims.c) || !isChannelVector(variance, dims.c)) return undefined;
    if ((scale && !isChannelVector(scale, dims.c)) || (offset && !isChannelVector(offset, dims.c))) return undefined;
    const b = internals(backend);
    const y = b.makeOutput(x.shape, 'float32');
    addon.batchNormInfer(heapOf(b), offsetOf(b, x), offsetOf(b, mean), offsetOf(b, variance), scale ? offsetOf(b, scale) : 0,
      offset ? offsetOf(b, offset) : 0, offsetOf(b, y), dims.rows, dims.c, scale ? 1 : 0, offset ? 1 : 0, attrs.varianceEpsilon as number);
    return y;
  });
}

function trainKernel(addon: NativeAddon): tf.KernelFunc {
  return withFallback(BN_TRAIN, ({ inputs, attrs = {}, backend }) => {
    const dims = channels(inputs.x);
    if (!dims || dims.rows === 0) return undefined;
    const { x } = dims;
    const { scale, offset } = inputs;
    if (!isChannelVector(scale, dims.c) || !isChannelVector(offset, dims.c)) return undefined;
    const b = internals(backend);
    const y = b.makeOutput(x.shape, 'float32');
    const mean = b.makeOutput([dims.c], 'float32');
    const variance = b.makeOutput([dims.c], 'float32');
    addon.batchNormTrain(heapOf(b), offsetOf(b, x), offsetOf(b, scale), offsetOf(b, offset), offsetOf(b, y), offsetOf(b, mean),
      offsetOf(b, variance), dims.rows, dims.c, attrs.varianceEpsilon as number);
    return [y, mean, variance];
  });
}

function trainGradKernel(addon: NativeAddon): tf.KernelFunc {
  return withFallback(BN_TRAIN_GRAD, ({ inputs, attrs = {}, backend }) => {
    const dims = channels(inputs.x);
    const { dy, scale, mean, variance, dMean, dVariance } = inputs;
    if (!dims || dims.rows === 0 || dy?.dtype !== 'float32' || !tf.util.arraysEqual(dy.shape, dims.x.shape)) return undefined;
    const { x } = dims;
    if (!isChannelVector(scale, dims.c) || !isChannelVector(mean, dims.c) || !isChannelVector(variance, dims.c)) return undefined;
    if ((dMean && !isChannelVector(dMean, dims.c)) || (dVariance && !isChannelVector(dVariance, dims.c))) return undefined;
    const b = internals(backend);
    const dx = b.makeOutput(x.shape, 'float32');
    const dScale = b.makeOutput([dims.c], 'float32');
    const dOffset = b.makeOutput([dims.c], 'float32');
    addon.batchNormTrainGrad(heapOf(b), offsetOf(b, dy), offsetOf(b, x), offsetOf(b, scale), offsetOf(b, mean), offsetOf(b, variance),
      dMean ? offsetOf(b, dMean) : 0, dVariance ? offsetOf(b, dVariance) : 0, offsetOf(b, dx), offsetOf(b, dScale), offsetOf(b, dOffset),
      dims.rows, dims.c, dMean ? 1 : 0, dVariance ? 1 : 0, attrs.varianceEpsilon as number);
    return [dx, dScale, dOffset];
  });
}

/** Call from registerNativeKernels, after the wasm composites (batchNorm.ts) are registered. */
export function registerNativeNormKernels(addon: NativeAddon): void {
  replace('Sum', reduceKernel(addon, 'Sum'));
  replace('Mean', reduceKernel(addon, 'Mean'));
  replace('FusedBatchNorm', inferKernel(addon));
  replace(BN_TRAIN, trainKernel(addon));
  replace(BN_TRAIN_GRAD, trainGradKernel(addon));
}
