/**
 * Training-mode batch norm as one fused op on the wasm backend (docs/benchmarks.md, "Residual CNN").
 *
 * tfjs-layers' BatchNormalization builds training mode from `tf.moments` + `FusedBatchNorm`: 5 kernels
 * forward and ~30 backward (moments' gradient, and FusedBatchNorm's gradient, which tiles 1/√σ² to the
 * full activation: the slowest kernel of the whole residual-CNN step on wasm). Here it is one kernel each
 * way, `ElsaBatchNormTrain` (x, scale, offset → y, batch mean, biased batch variance) and its gradient
 * `ElsaBatchNormTrainGrad`, as tfjs compositions on wasm (below) and natively where the addon is built
 * (nativeKernels.ts). `installFusedLayersBatchNorm` routes the Layers BatchNormalization's training call
 * to it on wasm; every other case (inference, cpu, odd layouts) runs tfjs' own code unchanged.
 */
import * as tf from '@tensorflow/tfjs';

export const BN_TRAIN = 'ElsaBatchNormTrain';
export const BN_TRAIN_GRAD = 'ElsaBatchNormTrainGrad';

function wrap(t: tf.TensorInfo): tf.Tensor {
  tf.backend().incRef(t.dataId);
  return tf.engine().makeTensorFromTensorInfo(t);
}

function input(inputs: tf.NamedTensorInfoMap, name: string): tf.TensorInfo {
  const t = inputs[name];
  if (!t) throw new Error(`${BN_TRAIN}: missing input '${name}'`);
  return t;
}

/** [rows, C] view of a channels-last tensor. */
function rowsOf(t: tf.TensorInfo): [number, number] {
  const c = t.shape[t.shape.length - 1];
  return [c === 0 ? 0 : t.shape.reduce((p, d) => p * d, 1) / c, c];
}

/** Forward as tfjs ops on wasm: moments over all axes but the last, then one affine map. */
const trainComposite: tf.KernelFunc = ({ inputs, attrs = {} }) => {
  const x = input(inputs, 'x');
  const eps = attrs.varianceEpsilon as number;
  return tf.tidy(() => {
    const x2 = wrap(x).reshape(rowsOf(x));
    const mean = tf.mean(x2, 0);
    const centred = tf.sub(x2, mean);
    const variance = tf.mean(tf.square(centred), 0);
    const k = tf.mul(wrap(input(inputs, 'scale')), tf.rsqrt(tf.add(variance, eps)));
    const y = tf.add(tf.mul(centred, k), wrap(input(inputs, 'offset'))).reshape(x.shape);
    return [y, mean, variance];
  });
};

/** Backward as tfjs ops on wasm (formula in native/elsa_norm.c). */
const gradComposite: tf.KernelFunc = ({ inputs, attrs = {} }) => {
  const x = input(inputs, 'x');
  const eps = attrs.varianceEpsilon as number;
  const [rows, c] = rowsOf(x);
  return tf.tidy(() => {
    const dy = wrap(input(inputs, 'dy')).reshape([rows, c]);
    const centred = tf.sub(wrap(x).reshape([rows, c]), wrap(input(inputs, 'mean')));
    const r = tf.rsqrt(tf.add(wrap(input(inputs, 'variance')), eps));
    const xhat = tf.mul(centred, r);
    const sumDy = tf.sum(dy, 0);
    const sumDyXhat = tf.sum(tf.mul(dy, xhat), 0);
    const n = Math.max(rows, 1);
    const k = tf.div(tf.mul(wrap(input(inputs, 'scale')), r), n);
    let dx = tf.mul(tf.sub(tf.sub(tf.mul(dy, n), sumDy), tf.mul(xhat, sumDyXhat)), k);
    const dMean = inputs.dMean;
    const dVariance = inputs.dVariance;
    if (dMean) dx = tf.add(dx, tf.div(wrap(dMean), n));
    if (dVariance) dx = tf.add(dx, tf.mul(centred, tf.div(tf.mul(wrap(dVariance), 2), n)));
    return [dx.reshape(x.shape), sumDyXhat, sumDy];
  });
};

let gradientRegistered = false;

/** The gradient of the fused op (backend-neutral: it runs whichever BN_TRAIN_GRAD kernel is registered). */
function registerGradientOnce(): void {
  if (gradientRegistered) return;
  tf.registerGradient({
    kernelName: BN_TRAIN,
    inputsToSave: ['x', 'scale'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      const [dy, dMean, dVariance] = dys as tf.Tensor[];
      const [x, scale, mean, variance] = saved;
      const [dx, dScale, dOffset] = tf.engine().runKernel(
        BN_TRAIN_GRAD, { dy, x, scale, mean, variance, dMean, dVariance } as unknown as tf.NamedTensorMap, attrs,
      ) as tf.Tensor[];
      return { x: () => dx, scale: () => dScale, offset: () => dOffset };
    },
  });
  gradientRegistered = true;
}

/** Registers the composite kernels on wasm (the native ones replace them later, falling back to these). */
export function registerBatchNormWasmKernels(): void {
  registerGradientOnce();
  for (const [kernelName, kernelFunc] of [[BN_TRAIN, trainComposite], [BN_TRAIN_GRAD, gradComposite]] as const) {
    if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
}

/** y, batch mean and biased batch variance over every axis but the last; gradients to x, scale, offset. */
export function batchNormTraining(x: tf.Tensor, scale: tf.Tensor1D, offset: tf.Tensor1D, varianceEpsilon: number): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] {
  return tf.engine().runKernel(BN_TRAIN, { x, scale, offset }, { varianceEpsilon }) as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
}

/** What the patched call needs from tfjs-layers' BatchNormalization (internal, untyped in tfjs' API). */
interface LayerVariableLike {
  read(): tf.Tensor;
  write(value: tf.Tensor): void;
}
interface BatchNormLayerLike {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma?: LayerVariableLike;
  beta?: LayerVariableLike;
  movingMean: LayerVariableLike;
  movingVariance: LayerVariableLike;
}
type CallFn = (this: BatchNormLayerLike, inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }) => tf.Tensor | tf.Tensor[];

/** The fused path applies: training mode on wasm, channels last, γ and β present, float32. */
function fusable(layer: BatchNormLayerLike, x: tf.Tensor, training: boolean | undefined): boolean {
  if (!training || tf.getBackend() !== 'wasm' || !tf.getKernel(BN_TRAIN, 'wasm')) return false;
  const axis = layer.axis < 0 ? layer.axis + x.rank : layer.axis;
  return x.rank >= 2 && axis === x.rank - 1 && x.dtype === 'float32' && layer.center && layer.scale && !!layer.gamma && !!layer.beta;
}

let installed = false;

/**
 * Routes tfjs-layers' BatchNormalization training call to the fused op on wasm, with the same moving
 * average update as tfjs (moving ← moving − (moving − batch)·(1 − momentum), biased batch variance).
 * Returns a reason when the class cannot be found (another tfjs-layers build): the layer then runs as is.
 */
export function installFusedLayersBatchNorm(): string | undefined {
  if (installed) return undefined;
  const registry = tf.serialization.SerializationMap.getMap().classNameMap as Record<string, [{ prototype: { call?: CallFn } }, unknown] | undefined>;
  const proto = registry.BatchNormalization?.[0]?.prototype;
  const original = proto?.call;
  if (!proto || typeof original !== 'function') return 'tfjs-layers BatchNormalization not found';
  proto.call = function fusedCall(this: BatchNormLayerLike, inputs, kwargs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!x || (Array.isArray(inputs) && inputs.length !== 1) || !fusable(this, x, kwargs?.training)) return original.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const [y, mean, variance] = batchNormTraining(x, this.gamma!.read() as tf.Tensor1D, this.beta!.read() as tf.Tensor1D, this.epsilon);
      for (const [moving, batch] of [[this.movingMean, mean], [this.movingVariance, variance]] as const) {
        tf.tidy(() => {
          const old = moving.read();
          moving.write(tf.sub(old, tf.mul(tf.sub(old, batch), 1 - this.momentum)));
        });
      }
      return y;
    });
  };
  installed = true;
  return undefined;
}
