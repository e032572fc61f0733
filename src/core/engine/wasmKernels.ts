/**
 * Registers our gradient kernels on the tfjs `wasm` backend (tfjs 4.22): Conv2DBackpropFilter and the
 * depthwise backprops (missing in wasm), and faster replacements for Conv2DBackpropInput, BatchMatMul
 * with transposes, MaxPoolGrad, and Identity and same-dtype Cast (share memory instead of copying). Each was measured on a whole training step (ENGINE.md,
 * docs/benchmarks.md) and is checked against the `cpu` backend in test/core/engine/gradients.test.ts.
 *
 * Inside a kernelFunc the inputs are TensorInfo, not Tensors. To run ops on them we wrap them with
 * `makeTensorFromTensorInfo`, which does not take a reference but disposing the wrapper drops one:
 * `incRef` first, or the caller's tensor is freed early. Wrappers live inside a tidy; the result is
 * returned as a Tensor, which the engine adopts as the kernel's output as-is.
 */
import * as tf from '@tensorflow/tfjs';
import {
  conv2dFilterGrad,
  conv2dInputGrad,
  depthwiseFilterGrad,
  depthwiseInputGrad,
  maxPool2x2Grad,
  maxPoolGradByTaps,
  type ConvGeometry,
} from './convGradients';

type Shape4 = [number, number, number, number];

/** The kernels wasm shipped with, saved before we replace them (so re-registering never recurses). */
const originalKernels = new Map<string, tf.KernelConfig | undefined>();

function wrap(t: tf.TensorInfo): tf.Tensor {
  tf.backend().incRef(t.dataId);
  return tf.engine().makeTensorFromTensorInfo(t);
}

function wrap4(t: tf.TensorInfo): tf.Tensor4D {
  return wrap(t) as tf.Tensor4D;
}

function input(inputs: tf.NamedTensorInfoMap, name: string): tf.TensorInfo {
  const t = inputs[name];
  if (!t) throw new Error(`wasm gradient kernel: missing input '${name}'`);
  return t;
}

function original(kernelName: string): tf.KernelConfig | undefined {
  if (!originalKernels.has(kernelName)) originalKernels.set(kernelName, tf.getKernel(kernelName, 'wasm'));
  return originalKernels.get(kernelName);
}

function register(kernelName: string, kernelFunc: tf.KernelFunc): void {
  const orig = original(kernelName);
  if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
  // keep the original setup (it binds wasm exports) in case the backend is ever initialised again
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc, setupFunc: orig?.setupFunc });
}

function pair(v: number | number[]): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1] ?? v[0]];
}

function geometry(attrs: tf.NamedAttrMap): ConvGeometry {
  return {
    strides: pair(attrs.strides as number | number[]),
    pad: attrs.pad as ConvGeometry['pad'],
    dimRoundingMode: attrs.dimRoundingMode as ConvGeometry['dimRoundingMode'],
    dilations: attrs.dilations === undefined ? 1 : pair(attrs.dilations as number | number[]),
  };
}

function requireNhwc(kernelName: string, attrs: tf.NamedAttrMap): void {
  const format = attrs.dataFormat as string | undefined;
  if (format !== undefined && format !== 'NHWC' && format !== 'channelsLast') {
    throw new Error(`${kernelName} on wasm: only NHWC is supported, got ${format}`);
  }
}

const conv2dBackpropFilter: tf.KernelFunc = ({ inputs, attrs = {} }) => {
  requireNhwc('Conv2DBackpropFilter', attrs);
  const g = geometry(attrs);
  return tf.tidy(() => conv2dFilterGrad(wrap4(input(inputs, 'x')), wrap4(input(inputs, 'dy')), attrs.filterShape as Shape4, g));
};

const conv2dBackpropInput: tf.KernelFunc = ({ inputs, attrs = {} }) => {
  requireNhwc('Conv2DBackpropInput', attrs);
  const g = geometry(attrs);
  return tf.tidy(() => conv2dInputGrad(wrap4(input(inputs, 'dy')), wrap4(input(inputs, 'filter')), attrs.inputShape as Shape4, g));
};

const depthwiseBackpropFilter: tf.KernelFunc = ({ inputs, attrs = {} }) => {
  const g = geometry(attrs);
  return tf.tidy(() => depthwiseFilterGrad(wrap4(input(inputs, 'x')), wrap4(input(inputs, 'dy')), attrs.filterShape as Shape4, g));
};

const depthwiseBackpropInput: tf.KernelFunc = ({ inputs, attrs = {} }) => {
  const g = geometry(attrs);
  return tf.tidy(() => depthwiseInputGrad(wrap4(input(inputs, 'dy')), wrap4(input(inputs, 'filter')), attrs.inputShape as Shape4, g));
};

/** wasm's BatchMatMul with transposeA/B runs ~10× slower than an explicit Transpose + the plain kernel. */
function batchMatMulWithoutTransposeFlags(orig: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const a = input(args.inputs, 'a');
    const b = input(args.inputs, 'b');
    const attrs = args.attrs ?? {};
    if (!attrs.transposeA && !attrs.transposeB) return orig.kernelFunc(args);
    const swapLast = (rank: number) => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
    const aT = attrs.transposeA ? tf.tidy(() => tf.transpose(wrap(a), swapLast(a.shape.length))) : undefined;
    const bT = attrs.transposeB ? tf.tidy(() => tf.transpose(wrap(b), swapLast(b.shape.length))) : undefined;
    try {
      return orig.kernelFunc({
        ...args,
        inputs: { a: aT ?? a, b: bT ?? b },
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      aT?.dispose();
      bT?.dispose();
    }
  };
}

function maxPoolGradComposite(): tf.KernelFunc {
  return (args) => {
    const dy = input(args.inputs, 'dy');
    const x = input(args.inputs, 'input');
    const attrs = args.attrs ?? {};
    const [fh, fw] = pair(attrs.filterSize as number | number[]);
    const [sh, sw] = pair(attrs.strides as number | number[]);
    if (!(fh === 2 && fw === 2 && sh === 2 && sw === 2 && attrs.pad === 'valid')) {
      const g = geometry(attrs);
      return tf.tidy(() => maxPoolGradByTaps(wrap4(x), wrap4(dy), [fh, fw], g));
    }
    // an odd last row/column is never read by a valid 2×2/s2 pool: crop it, and give it zero gradient
    const [n, h, w, c] = x.shape;
    const [eh, ew] = [h - (h % 2), w - (w % 2)];
    return tf.tidy(() => {
      const xs = wrap4(x);
      const even = eh === h && ew === w ? xs : xs.slice([0, 0, 0, 0], [n, eh, ew, c]);
      const g = maxPool2x2Grad(even, wrap4(dy));
      return eh === h && ew === w ? g : tf.pad(g, [[0, 0], [0, h - eh], [0, w - ew], [0, 0]]);
    });
  };
}

/**
 * Identity shares the input's memory (one more reference), as Reshape already does on wasm and Identity
 * does on cpu: tensors are immutable, so the copy wasm makes (3 MB, 0.3 ms per CNN activation) buys nothing.
 */
function identitySharingMemory(orig: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const x = input(args.inputs, 'x');
    if (x.dtype === 'string') return orig.kernelFunc(args);
    (args.backend as tf.KernelBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/** Cast to the tensor's own dtype shares its memory too (the cpu backend does the same); real casts convert. */
function castSharingMemory(orig: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const x = input(args.inputs, 'x');
    if (x.dtype === 'string' || args.attrs?.dtype !== x.dtype) return orig.kernelFunc(args);
    (args.backend as tf.KernelBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

let registered = false;

/** Installs the kernels once; call after `tf.setBackend('wasm')` has resolved. */
export function registerWasmGradKernels(): void {
  if (registered) return;
  register('Conv2DBackpropFilter', conv2dBackpropFilter);
  register('Conv2DBackpropInput', conv2dBackpropInput);
  register('DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter);
  register('DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput);
  const matMul = original('BatchMatMul');
  if (matMul) register('BatchMatMul', batchMatMulWithoutTransposeFlags(matMul));
  register('MaxPoolGrad', maxPoolGradComposite());
  const identity = original('Identity');
  if (identity) register('Identity', identitySharingMemory(identity));
  const cast = original('Cast');
  if (cast) register('Cast', castSharingMemory(cast));
  registered = true;
}

/** Names of the kernels registerWasmGradKernels installs (for tests and the benchmark report). */
export const WASM_GRAD_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'BatchMatMul',
  'MaxPoolGrad',
  'Identity',
  'Cast',
] as const;
