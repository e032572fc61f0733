/**
 * The built-in models, as TF.js Layers models with fixed layer names (checkpoint tensors are named
 * `layer/weight`, so names must never come from tfjs' global counters) and seeded initialisers (the same
 * seed builds bit-identical weights). All of them output logits: the trainer applies softmax cross-entropy.
 */
import * as tf from '@tensorflow/tfjs';
import { modelError } from '../errors';
import { createRng, type Rng } from '../random';
import { loadLayersModelFile } from './layersFile';
import { LocallyConnected2D } from './locallyConnected';
import { withoutFinalSoftmax } from './softmax';
import { listModelWeights, modelFromTopology, modelTopology, type LayersTopology } from './weights';

export type BuiltinModelSpec = { type: 'mlp' } | { type: 'cnn' } | { type: 'resnet' };
export type LayersJsonModelSpec = { type: 'layers-json'; path: string };
export type ModelSpec = BuiltinModelSpec | LayersJsonModelSpec;
export const BUILTIN_MODEL_TYPES = ['mlp', 'cnn', 'resnet'] as const;

/** tfjs treats seed 0 as "no seed" (Math.random), so seeds are drawn from 1..2^31-1. */
function nextInitSeed(rng: Rng): number {
  return (rng.seed() % 0x7ffffffe) + 1;
}

/** Keras' default kernel initialiser (Glorot uniform), seeded per layer in build order. */
function kernelInit(rng: Rng): ReturnType<typeof tf.initializers.glorotUniform> {
  return tf.initializers.glorotUniform({ seed: nextInitSeed(rng) });
}

/**
 * He uniform, seeded like `kernelInit`: the same draws scaled by √(1 + fan_out / fan_in), so each kernel is the
 * Glorot one times a per-layer factor. For the convolutions without batch norm (ReLU needs the larger scale to
 * keep the signal from fading); behind batch norm only a kernel's direction matters, so both start alike.
 */
function heKernelInit(rng: Rng): ReturnType<typeof tf.initializers.heUniform> {
  return tf.initializers.heUniform({ seed: nextInitSeed(rng) });
}

/**
 * A fully connected network: flatten → `dense1`… (ReLU, kernels from `hiddenInit`) → `logits` (Glorot). Biases
 * start at zero; the initialisers draw their seeds from `rng` in layer order.
 */
function buildDenseStack(inputShape: [number, number, number], numClasses: number, rng: Rng, hidden: number[], hiddenInit: (rng: Rng) => ReturnType<typeof tf.initializers.glorotUniform>, name: string): tf.LayersModel {
  const input = tf.input({ shape: inputShape, name: 'input' });
  let x = tf.layers.flatten({ name: 'flatten' }).apply(input) as tf.SymbolicTensor;
  hidden.forEach((units, i) => {
    x = tf.layers.dense({ units, activation: 'relu', kernelInitializer: hiddenInit(rng), name: `dense${i + 1}` }).apply(x) as tf.SymbolicTensor;
  });
  const logits = tf.layers.dense({ units: numClasses, kernelInitializer: kernelInit(rng), name: 'logits' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name });
}

/** LeNet-300-100: the classic fully connected network of the pruning literature. */
function buildMlp(inputShape: [number, number, number], numClasses: number, rng: Rng): tf.LayersModel {
  return buildDenseStack(inputShape, numClasses, rng, [300, 100], kernelInit, 'mlp');
}

/** The small CNN the engine is benchmarked on (ENGINE.md). */
function buildCnn(inputShape: [number, number, number], numClasses: number, rng: Rng): tf.LayersModel {
  const input = tf.input({ shape: inputShape, name: 'input' });
  let x = tf.layers
    .conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: kernelInit(rng), name: 'conv1' })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: 'pool1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: kernelInit(rng), name: 'conv2' })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: 'pool2' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: kernelInit(rng), name: 'dense1' }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: numClasses, kernelInitializer: kernelInit(rng), name: 'logits' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: 'cnn' });
}

/** Momentum 0.9 (not Keras' 0.99): runs here are a few hundred steps, the running statistics must keep up. */
function batchNorm(name: string): tf.layers.Layer {
  return tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3, name });
}

/** What varies between the residual CNN and its probe variant (see `buildResnetWithoutBatchNorm`). */
interface ResnetOptions {
  /** Batch norm after every convolution (the built-in type); without it the convolutions get biases. */
  batchNorm: boolean;
  /** Every convolution a LocallyConnected2D of the same shape (no weight sharing across positions). */
  locallyConnected?: boolean;
  /** Filters of every convolution × this (default 1): k× the filters is about k²× the weights and the compute. */
  widthFactor?: number;
}

/**
 * A LocallyConnected2D in place of a conv2d: each position's kernel drawn independently from the conv's own
 * Glorot-uniform range (fans of the [k, k, in, filters] kernel). Glorot on the [positions, patch, filters]
 * kernel itself would count every position in the fans and start the layer √positions too small.
 */
function locallyConnectedLike(x: tf.SymbolicTensor, filters: number, kernelSize: number, strides: number, useBias: boolean, name: string, rng: Rng): tf.SymbolicTensor {
  const inChannels = x.shape[x.shape.length - 1] as number;
  const limit = Math.sqrt(6 / (kernelSize * kernelSize * (inChannels + filters)));
  const kernelInitializer = tf.initializers.randomUniform({ minval: -limit, maxval: limit, seed: nextInitSeed(rng) });
  return new LocallyConnected2D({ filters, kernelSize, strides, padding: 'same', useBias, kernelInitializer, name }).apply(x) as tf.SymbolicTensor;
}

function convBn(x: tf.SymbolicTensor, filters: number, kernelSize: number, strides: number, name: string, rng: Rng, opts: ResnetOptions): tf.SymbolicTensor {
  const y = opts.locallyConnected
    ? locallyConnectedLike(x, filters, kernelSize, strides, !opts.batchNorm, `${name}_conv`, rng)
    : (tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: !opts.batchNorm, kernelInitializer: opts.batchNorm ? kernelInit(rng) : heKernelInit(rng), name: `${name}_conv` }).apply(x) as tf.SymbolicTensor);
  return opts.batchNorm ? (batchNorm(`${name}_bn`).apply(y) as tf.SymbolicTensor) : y;
}

/** A basic residual block (two 3x3 conv+BN); a 1x1 conv+BN projection when the shape changes. */
function residualBlock(x: tf.SymbolicTensor, filters: number, strides: number, name: string, rng: Rng, opts: ResnetOptions): tf.SymbolicTensor {
  const inFilters = x.shape[x.shape.length - 1];
  let y = convBn(x, filters, 3, strides, `${name}_a`, rng, opts);
  y = tf.layers.reLU({ name: `${name}_a_relu` }).apply(y) as tf.SymbolicTensor;
  y = convBn(y, filters, 3, 1, `${name}_b`, rng, opts);
  const shortcut = strides !== 1 || inFilters !== filters ? convBn(x, filters, 1, strides, `${name}_proj`, rng, opts) : x;
  const sum = tf.layers.add({ name: `${name}_add` }).apply([y, shortcut]) as tf.SymbolicTensor;
  return tf.layers.reLU({ name: `${name}_relu` }).apply(sum) as tf.SymbolicTensor;
}

/**
 * A small ResNet: stem conv 16 → block 16 (stride 2, projection) → block 32 (stride 2, projection) →
 * block 32 → global average pool → dense. About 2.7M multiply-adds per 28x28 image, twice the CNN.
 */
function buildResnet(inputShape: [number, number, number], numClasses: number, rng: Rng, opts: ResnetOptions = { batchNorm: true }): tf.LayersModel {
  const input = tf.input({ shape: inputShape, name: 'input' });
  const k = opts.widthFactor ?? 1;
  let x = convBn(input, 16 * k, 3, 1, 'stem', rng, opts);
  x = tf.layers.reLU({ name: 'stem_relu' }).apply(x) as tf.SymbolicTensor;
  x = residualBlock(x, 16 * k, 2, 'block1', rng, opts);
  x = residualBlock(x, 32 * k, 2, 'block2', rng, opts);
  x = residualBlock(x, 32 * k, 1, 'block3', rng, opts);
  x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: numClasses, kernelInitializer: kernelInit(rng), name: 'logits' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: 'resnet' });
}

/**
 * The residual CNN without batch norm: its convolutions get biases and He-scaled initial kernels (the
 * built-in's Glorot kernels times a per-layer factor); same layers and names otherwise. Not a built-in type: issue 8's freezing experiment saves it as a TF.js Layers model and trains
 * it as `layers-json`, to test whether batch norm is what makes frozen level-1 weights costly.
 */
export function buildResnetWithoutBatchNorm(inputShape: [number, number, number], numClasses: number, seed: number): tf.LayersModel {
  checkArgs(inputShape, numClasses, seed);
  return buildResnet(inputShape, numClasses, createRng(seed), { batchNorm: false });
}

/**
 * The residual CNN with every convolution replaced by a LocallyConnected2D of the same kernel size, stride and
 * filters (batch norm kept): the same network without weight sharing, 2.7M prunable weights instead of 38k. Not a
 * built-in type: issue 8's freezing experiment asks with it whether sharing a tap across every position of the
 * image is what makes frozen level-1 weights costly in convolutional models.
 */
export function buildResnetLocallyConnected(inputShape: [number, number, number], numClasses: number, seed: number): tf.LayersModel {
  checkArgs(inputShape, numClasses, seed);
  return buildResnet(inputShape, numClasses, createRng(seed), { batchNorm: true, locallyConnected: true });
}

/**
 * The residual CNN with `factor`× the filters in every convolution (batch norm kept): about factor²× the weights.
 * Not a built-in type: issue 8's control for the locally connected probe, which has 70× the weights — does
 * freezing cost a larger convolutional network less?
 */
export function buildWideResnet(inputShape: [number, number, number], numClasses: number, seed: number, factor: number): tf.LayersModel {
  checkArgs(inputShape, numClasses, seed);
  if (!Number.isInteger(factor) || factor < 1) throw modelError(undefined, `width factor must be an integer >= 1, got ${factor}`);
  return buildResnet(inputShape, numClasses, createRng(seed), { batchNorm: true, widthFactor: factor });
}

/**
 * A plain MLP with the given hidden widths (ReLU, He-uniform kernels, zero biases; layers `dense1`…, `logits`).
 * Not a built-in type: issue 8's depth probe (a fully connected network as deep as the residual CNN) saves it as
 * a TF.js Layers model and trains it as `layers-json`.
 */
export function buildDeepMlp(inputShape: [number, number, number], numClasses: number, seed: number, hidden: number[]): tf.LayersModel {
  checkArgs(inputShape, numClasses, seed);
  if (!hidden.length || hidden.some((h) => !Number.isInteger(h) || h <= 0)) throw modelError(undefined, `hidden widths must be positive integers, got [${hidden.join(', ')}]`);
  return buildDenseStack(inputShape, numClasses, createRng(seed), hidden, heKernelInit, 'mlp_deep');
}

function checkArgs(inputShape: [number, number, number], numClasses: number, seed: number): void {
  if (inputShape.length !== 3 || inputShape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw modelError(undefined, `input shape must be [height, width, channels] of positive integers, got [${inputShape.join(', ')}]`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 2) throw modelError(undefined, `numClasses must be an integer >= 2, got ${numClasses}`);
  if (!Number.isFinite(seed)) throw modelError(undefined, `seed must be a finite number, got ${seed}`);
}

/** Checks that an imported model takes our images and returns one logit per class. */
function checkImported(model: tf.LayersModel, file: string, inputShape: [number, number, number], numClasses: number): void {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw modelError(file, `expected one input and one output, the model has ${model.inputs.length} and ${model.outputs.length}`);
  }
  const got = model.inputs[0].shape.slice(1);
  if (got.length !== 3 || got.some((d, i) => d !== null && d !== inputShape[i])) {
    throw modelError(file, `model input is [${got.map((d) => d ?? '?').join(', ')}], the dataset's images are [${inputShape.join(', ')}]`);
  }
  const out = model.outputs[0].shape;
  if (out.length !== 2 || out[1] !== numClasses) {
    throw modelError(file, `model output is [${out.map((d) => d ?? '?').join(', ')}], expected [?, ${numClasses}] (one logit per class)`);
  }
}

export function buildBuiltinModel(spec: BuiltinModelSpec, inputShape: [number, number, number], numClasses: number, seed: number): tf.LayersModel {
  checkArgs(inputShape, numClasses, seed);
  const rng = createRng(seed);
  const build = (): tf.LayersModel => {
    switch (spec.type) {
      case 'mlp':
        return buildMlp(inputShape, numClasses, rng);
      case 'cnn':
        return buildCnn(inputShape, numClasses, rng);
      case 'resnet':
        return buildResnet(inputShape, numClasses, rng);
      default: {
        const unknown: { type?: unknown } = spec;
        throw modelError(undefined, `unknown model type ${JSON.stringify(unknown.type)} (known: ${BUILTIN_MODEL_TYPES.join(', ')}, layers-json)`);
      }
    }
  };
  const model = build();
  checkNoEmptyLayer(model, `the ${spec.type} model`, inputShape);
  return model;
}

/**
 * Refuses a model in which some layer's output has a dimension of 0: images too small for its pooling (the
 * small CNN halves 3×3 images twice, to 0×0). TF.js builds such a model, and the wasm kernels then read out of
 * bounds on the first batch ("memory access out of bounds"), after the run folder was written.
 */
export function checkNoEmptyLayer(model: tf.LayersModel, what: string, inputShape: readonly number[], file?: string): void {
  for (const layer of model.layers) {
    const shapes = (Array.isArray(layer.outputShape[0]) || layer.outputShape.length === 0 ? layer.outputShape : [layer.outputShape]) as (number | null)[][];
    for (const shape of shapes) {
      if (shape.some((d) => d === 0)) {
        model.dispose();
        throw modelError(file, `${what} cannot take ${inputShape.join('×')} images: its layer "${layer.name}" would output [${shape.map((d) => d ?? '?').join(', ')}] (the images are too small for it)`);
      }
    }
  }
}

/** The topology to store with a model whose final softmax was split off for training (see below). */
const exportTopologies = new WeakMap<tf.LayersModel, LayersTopology>();

/**
 * The topology a checkpoint stores for `model`: the imported one, final softmax included, when the model
 * trains on logits with its softmax split off; otherwise the model's own.
 */
export function exportTopology(model: tf.LayersModel): LayersTopology {
  return exportTopologies.get(model) ?? modelTopology(model);
}

/** Whether the model was imported with a final softmax that training leaves out (it outputs logits). */
export function hasSplitSoftmax(model: tf.LayersModel): boolean {
  return exportTopologies.has(model);
}

async function buildLayersJsonModel(spec: LayersJsonModelSpec, inputShape: [number, number, number], numClasses: number): Promise<tf.LayersModel> {
  const model = await loadLayersModelFile(spec.path);
  checkImported(model, spec.path, inputShape, numClasses);
  checkNoEmptyLayer(model, 'the model', inputShape, spec.path);
  const original = modelTopology(model);
  const logits = withoutFinalSoftmax(original);
  if (!logits) return model;
  // A Keras classifier usually ends in softmax; the trainer's softmax cross-entropy expects logits, and
  // applying softmax twice caps how far the loss can fall. Train the same layers without the final softmax
  // (same weights, same names) and keep the original topology for the checkpoint and every export.
  const weights = Object.fromEntries(listModelWeights(model).map((w) => [w.name, w.variable.read().dataSync() as Float32Array]));
  model.dispose();
  const split = await modelFromTopology(logits, weights, spec.path);
  exportTopologies.set(split, original);
  return split;
}

/**
 * Builds a model. Built-in types return the model directly; `layers-json` loads a TF.js Layers model.json
 * (with its weights) and returns a promise — `await buildModel(...)` works for every spec.
 */
export function buildModel(spec: BuiltinModelSpec, inputShape: [number, number, number], numClasses: number, seed: number): tf.LayersModel;
export function buildModel(spec: ModelSpec, inputShape: [number, number, number], numClasses: number, seed: number): tf.LayersModel | Promise<tf.LayersModel>;
export function buildModel(spec: ModelSpec, inputShape: [number, number, number], numClasses: number, seed: number): tf.LayersModel | Promise<tf.LayersModel> {
  if (spec.type === 'layers-json') {
    checkArgs(inputShape, numClasses, seed);
    return buildLayersJsonModel(spec, inputShape, numClasses);
  }
  return buildBuiltinModel(spec, inputShape, numClasses, seed);
}
