/**
 * `LocallyConnected2D`: a 2-D convolution without weight sharing — every output position has its own kernel.
 * Keras 2 has this layer; TF.js Layers does not, so a Keras model that uses it could not be loaded, and issue
 * 8's freezing experiment could not ask whether sharing one tap across every position of the image is what
 * makes frozen level-1 weights costly in convolutional models. Keras' layout and config, so converted Keras
 * models load as they are:
 *
 * - kernel `[outRows * outCols, kernelRows * kernelCols * inChannels, filters]`, a patch flattened in
 *   (row, column, channel) order; bias `[outRows, outCols, filters]`;
 * - config `filters`, `kernel_size`, `strides`, `padding`, `activation`, `use_bias`, initialisers.
 *
 * One extension: `padding: 'same'` (Keras 2 accepts only `valid`), with TF's split of the padding (the extra
 * row/column at the bottom/right), so that a convolution can be swapped for this layer shape for shape.
 * The call is built from differentiable ops (patches, one batched matMul), so gradients come from TF.js; it
 * is checked against `tf.conv2d` with every position given the same kernel. Patches come from a convolution
 * with a one-hot kernel (native kernels: about 2× faster here than slicing), whose size is the square of the
 * patch length; past `ONE_HOT_PATCH_MAX_VALUES` (a 3×3 kernel over 227 channels) they are cut tap by tap
 * instead, so a large kernel in a loaded model.json cannot make the layer allocate gigabytes.
 */
import * as tf from '@tensorflow/tfjs';
import { spatialPadding } from '../io/onnxGraph';

/** What tfjs' initializer factories return (the class itself is not exported). */
type Initializer = ReturnType<typeof tf.initializers.zeros>;
type Pair = [number, number];
type Padding = 'valid' | 'same';
type Activation = 'linear' | 'relu';

export interface LocallyConnected2DArgs {
  filters: number;
  kernelSize: number | Pair;
  strides?: number | Pair;
  padding?: Padding;
  activation?: Activation;
  useBias?: boolean;
  kernelInitializer?: Initializer;
  biasInitializer?: Initializer;
  name?: string;
  /** Keras: only `channels_last`, as everywhere in the engine. */
  dataFormat?: string;
  /** Keras: 1 is the [positions, patch, filters] kernel stored here; 2 and 3 store other layouts. */
  implementation?: number;
  inputShape?: number[];
  batchInputShape?: (number | null)[];
  trainable?: boolean;
}

const pair = (v: number | number[] | undefined, fallback: number): Pair => {
  if (v === undefined) return [fallback, fallback];
  return typeof v === 'number' ? [v, v] : [v[0], v[1] ?? v[0]];
};

/** The largest one-hot patch kernel (patch length squared, float32 values: 16 MiB) built; past it, slicing. */
export const ONE_HOT_PATCH_MAX_VALUES = 2 ** 22;

/**
 * The patches of `x`, tap by tap: `[batch, rows, cols, kh·kw·channels]`, channel (dy·kw + dx)·channels + c,
 * as the one-hot convolution gives them, from slices, pads and reshapes only (differentiable in TF.js, which
 * has no gradient for strided slices: a stride is a reshape to [rows, stride] and the first of each pair).
 */
export function patchesBySlicing(x: tf.Tensor4D, kernelSize: Pair, strides: Pair, padding: Padding): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, h, w, channels] = x.shape;
    const [kh, kw] = kernelSize;
    const [sh, sw] = strides;
    // TF's own padding (the extra row / column after the image), as conv2d and the ONNX export apply it.
    const { out: rows, begin: top } = spatialPadding(h, kh, sh, 1, padding);
    const { out: cols, begin: left } = spatialPadding(w, kw, sw, 1, padding);
    // Room for the last tap's rows·stride-long slice; rows past TF's own padding are never selected.
    const bottom = Math.max(0, kh - 1 + rows * sh - h - top);
    const right = Math.max(0, kw - 1 + cols * sw - w - left);
    const padded = tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]);
    const taps: tf.Tensor4D[] = [];
    for (let dy = 0; dy < kh; dy++) {
      for (let dx = 0; dx < kw; dx++) {
        const block = tf.slice(padded, [0, dy, dx, 0], [batch, rows * sh, cols * sw, channels]);
        const strided = tf.slice(tf.reshape(block, [batch, rows, sh, cols, sw, channels]), [0, 0, 0, 0, 0, 0], [batch, rows, 1, cols, 1, channels]);
        taps.push(tf.reshape(strided, [batch, rows, cols, channels]));
      }
    }
    return taps.length === 1 ? taps[0] : tf.concat(taps, 3);
  });
}

type SerializedInit = { class_name: string; config: tf.serialization.ConfigDict };

function serializeInit(init: Initializer): SerializedInit {
  return { class_name: init.getClassName(), config: init.getConfig() };
}

const isInitializer = (v: unknown): v is Initializer =>
  typeof v === 'object' && v !== null && typeof (v as { apply?: unknown }).apply === 'function' && typeof (v as { getClassName?: unknown }).getClassName === 'function';

/** An initialiser from its Keras form; unknown names fall back to the default (weights are loaded after). */
function deserializeInit(v: unknown, fallback: () => Initializer): Initializer {
  if (isInitializer(v)) return v;
  const s = v as Partial<SerializedInit> | undefined;
  const entry = s && typeof s.class_name === 'string' ? tf.serialization.SerializationMap.getMap().classNameMap[s.class_name] : undefined;
  if (!entry) return fallback();
  const [cls, fromConfig] = entry;
  return fromConfig(cls, (s!.config ?? {}) as tf.serialization.ConfigDict) as Initializer;
}

export class LocallyConnected2D extends tf.layers.Layer {
  static className = 'LocallyConnected2D';
  readonly filters: number;
  readonly kernelSize: Pair;
  readonly strides: Pair;
  readonly padding: Padding;
  readonly activation: Activation;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  private kernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;
  /** The one-hot kernel that cuts the patches (see `call`), built once with the weights; none past the cap. */
  private patchKernel?: tf.Tensor4D;

  constructor(args: LocallyConnected2DArgs) {
    super(args);
    if (!Number.isInteger(args.filters) || args.filters <= 0) throw new Error(`LocallyConnected2D: filters must be a positive integer, got ${args.filters}`);
    this.filters = args.filters;
    this.kernelSize = pair(args.kernelSize, 1);
    this.strides = pair(args.strides, 1);
    const padding = (args.padding ?? 'valid').toLowerCase();
    if (padding !== 'valid' && padding !== 'same') throw new Error(`LocallyConnected2D: padding must be "valid" or "same", got "${padding}"`);
    this.padding = padding;
    const activation = args.activation ?? 'linear';
    if (activation !== 'linear' && activation !== 'relu') throw new Error(`LocallyConnected2D: activation must be "linear" or "relu", got "${String(activation)}"`);
    this.activation = activation;
    if ([...this.kernelSize, ...this.strides].some((v) => !Number.isInteger(v) || v <= 0)) throw new Error('LocallyConnected2D: kernel_size and strides must be positive integers');
    // TF.js' deserializer turns Keras' `channels_last` into `channelsLast`.
    if (args.dataFormat !== undefined && args.dataFormat !== null && args.dataFormat !== 'channels_last' && args.dataFormat !== 'channelsLast') throw new Error(`LocallyConnected2D: data_format "${args.dataFormat}" is not supported (channels_last only)`);
    if (args.implementation !== undefined && args.implementation !== null && args.implementation !== 1) throw new Error(`LocallyConnected2D: implementation ${args.implementation} stores another kernel layout (only 1 is supported)`);
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = deserializeInit(args.kernelInitializer, () => tf.initializers.glorotUniform({}));
    this.biasInitializer = deserializeInit(args.biasInitializer, () => tf.initializers.zeros());
  }

  private geometry(inputShape: (number | null)[]): { rows: number; cols: number; channels: number } {
    const [, h, w, c] = inputShape;
    if (inputShape.length !== 4 || !h || !w || !c) throw new Error(`LocallyConnected2D "${this.name}" needs a known [height, width, channels] input, got [${inputShape.slice(1).join(', ')}]`);
    const rows = spatialPadding(h, this.kernelSize[0], this.strides[0], 1, this.padding).out;
    const cols = spatialPadding(w, this.kernelSize[1], this.strides[1], 1, this.padding).out;
    if (rows <= 0 || cols <= 0) throw new Error(`LocallyConnected2D "${this.name}": a ${this.kernelSize.join('x')} kernel does not fit a ${h}x${w} input`);
    return { rows, cols, channels: c };
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (number | null)[];
    const { rows, cols, channels } = this.geometry(shape);
    const [kh, kw] = this.kernelSize;
    const patch = kh * kw * channels;
    this.kernel = this.addWeight('kernel', [rows * cols, patch, this.filters], 'float32', this.kernelInitializer);
    if (this.useBias) this.bias = this.addWeight('bias', [rows, cols, this.filters], 'float32', this.biasInitializer);
    // Output channel (dy·kw + dx)·channels + c is input channel c at tap (dy, dx): each position's patch in
    // Keras' (row, column, channel) order.
    if (patch * patch <= ONE_HOT_PATCH_MAX_VALUES) {
      this.patchKernel = tf.keep(tf.tidy(() => tf.reshape(tf.oneHot(tf.range(0, patch, 1, 'int32'), patch).toFloat(), [kh, kw, channels, patch]) as tf.Tensor4D));
    }
    this.built = true;
  }

  override dispose(): ReturnType<tf.layers.Layer['dispose']> {
    const result = super.dispose();
    if (result.refCountAfterDispose === 0) {
      this.patchKernel?.dispose();
      this.patchKernel = undefined;
    }
    return result;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (number | null)[];
    const { rows, cols } = this.geometry(shape);
    return [shape[0], rows, cols, this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const { rows, cols } = this.geometry(x.shape);
      // Patches by a convolution with the one-hot kernel, with conv2d's own padding and strides (faster here than
      // slicing the taps: the conv kernels are native); tap by tap where that kernel would be too large.
      const kernel = this.kernel!.read() as tf.Tensor3D;
      const patch = kernel.shape[1];
      const patches = this.patchKernel ? tf.conv2d(x, this.patchKernel, this.strides, this.padding) : patchesBySlicing(x, this.kernelSize, this.strides, this.padding);
      const batch = x.shape[0];
      const positions = rows * cols;
      const byPosition = tf.transpose(tf.reshape(patches, [batch, positions, patch]), [1, 0, 2]);
      const out = tf.matMul(byPosition, kernel); // [positions, batch, filters]
      let y = tf.reshape(tf.transpose(out, [1, 0, 2]), [batch, rows, cols, this.filters]);
      if (this.bias) y = tf.add(y, this.bias.read());
      return this.activation === 'relu' ? tf.relu(y) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dataFormat: 'channels_last',
      implementation: 1,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: serializeInit(this.kernelInitializer),
      biasInitializer: serializeInit(this.biasInitializer),
    };
  }
}

tf.serialization.registerClass(LocallyConnected2D);
