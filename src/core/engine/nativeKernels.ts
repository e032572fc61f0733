/**
 * Optional native kernels (src/core/engine/native/elsa_native.c, OpenBLAS sgemm) for the wasm backend.
 * They read and write tensors in place on the wasm heap, so a kernel costs one N-API call and no copy.
 * Loaded only when the addon was built at install time (`dist/elsa_native.node`) and ELSA_NATIVE is not
 * `0`; anything unusual (dtype, layout, broadcasting) falls back to the kernel registered before.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { float32Pair, heapOf, internals, offsetOf, pair, replace, withFallback, type NativeAddon } from './nativeHeap';
import { pinBlasCore } from './blasCore';
import { registerNativeNormKernels } from './nativeNormKernels';

export type { NativeAddon } from './nativeHeap';

const ADDON_FILE = 'elsa_native.node';
const ADDON_VERSION = 6;

function hereDir(): string {
  return typeof __dirname === 'string' ? __dirname : process.cwd();
}

/** dist/elsa_native.node beside the bundle, or in dist/ of the package when running from source. */
export function findNativeAddon(): string | undefined {
  const candidates = [path.join(hereDir(), ADDON_FILE)];
  for (let dir = hereDir(); ; dir = path.dirname(dir)) {
    candidates.push(path.join(dir, 'dist', ADDON_FILE));
    if (path.dirname(dir) === dir) break;
  }
  return candidates.find((f) => existsSync(f));
}

/** CPU flags the addon was compiled for (build.mjs's sidecar) that this CPU lacks: loading it would crash. */
function missingCpuFlags(addonFile: string): string[] {
  const sidecar = addonFile.replace(/\.node$/, '.json');
  if (!existsSync(sidecar)) return ['(no elsa_native.json beside the addon: rebuild it)'];
  const required = (JSON.parse(readFileSync(sidecar, 'utf8')) as { requiresCpuFlags?: string[] }).requiresCpuFlags ?? [];
  if (required.length === 0) return [];
  const info = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const have = new Set((/^flags\s*:(.*)$/m.exec(info)?.[1] ?? '').trim().split(/\s+/));
  return required.filter((f) => !have.has(f));
}

/** The addon, or a reason it is not used. */
export function loadNativeAddon(): NativeAddon | string {
  if (process.env.ELSA_NATIVE === '0') return 'disabled by ELSA_NATIVE=0';
  const file = findNativeAddon();
  if (!file) return 'not built (needs gcc and libopenblas-dev at install)';
  const missing = missingCpuFlags(file);
  if (missing.length > 0) return `${file} was built for another CPU (missing ${missing.join(' ')}): rebuild it`;
  pinBlasCore();
  try {
    const addon = createRequire(path.join(hereDir(), 'noop.js'))(file) as NativeAddon;
    const { version } = addon.describe();
    if (version !== ADDON_VERSION) return `${file} is version ${version}, expected ${ADDON_VERSION}: rebuild it`;
    // one core of compute on typical machines: extra BLAS threads only contend (docs/benchmarks.md)
    if (!process.env.OPENBLAS_NUM_THREADS) addon.setThreads(1);
    return addon;
  } catch (e) {
    return `${file} failed to load (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
  }
}

function isNhwc(attrs: tf.NamedAttrMap): boolean {
  const f = attrs.dataFormat as string | undefined;
  return f === undefined || f === 'NHWC' || f === 'channelsLast';
}

type Shape4 = [number, number, number, number];

function convDims(info: tf.backend_util.Conv2DInfo): number[] {
  return [
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
    info.padInfo.top, info.padInfo.left,
  ];
}

function filterGradKernel(addon: NativeAddon): tf.KernelFunc {
  return withFallback('Conv2DBackpropFilter', ({ inputs, attrs = {}, backend }) => {
    const pair2 = float32Pair(inputs.x, inputs.dy);
    if (!pair2 || !isNhwc(attrs)) return undefined;
    const [x, dy] = pair2;
    const filterShape = attrs.filterShape as Shape4;
    const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filterShape, pair(attrs.strides), 1,
      attrs.pad as 'same', attrs.dimRoundingMode as 'floor' | undefined);
    const b = internals(backend);
    const out = b.makeOutput(filterShape, 'float32');
    addon.conv2dFilterGrad(heapOf(b), offsetOf(b, x), offsetOf(b, dy), offsetOf(b, out), ...convDims(info));
    return out;
  });
}

/**
 * Where the native forward conv beats XNNPACK: im2col + sgemm for patches of 32 or more, and the direct
 * kernel (native/elsa_direct_conv.c, the same rule as conv_direct_fits) for shorter patches with Cout a
 * multiple of 8 up to 64 (the residual CNN's stem: 0.6 vs 3.1 ms).
 */
function nativeConvWins(filterShape: number[]): boolean {
  const [kh, kw, cin, cout] = filterShape;
  return kh * kw * cin >= 32 || (cout % 8 === 0 && cout >= 8 && cout <= 64);
}

/**
 * Forward conv as im2col + sgemm where the patch is long enough for OpenBLAS to win (measured 1.3 ms vs
 * XNNPACK's 2.7 ms on 3×3×16→32); short patches (first layers, K < 32) stay with XNNPACK.
 */
function conv2dKernel(addon: NativeAddon): tf.KernelFunc {
  return withFallback('Conv2D', ({ inputs, attrs = {}, backend }) => {
    const pair2 = float32Pair(inputs.x, inputs.filter);
    if (!pair2 || !isNhwc(attrs)) return undefined;
    const [x, filter] = pair2;
    if (!nativeConvWins(filter.shape)) return undefined;
    const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, pair(attrs.strides),
      pair(attrs.dilations ?? 1), attrs.pad as 'same', attrs.dimRoundingMode as 'floor' | undefined);
    const b = internals(backend);
    const out = b.makeOutput(info.outShape, 'float32');
    addon.conv2d(heapOf(b), offsetOf(b, x), offsetOf(b, filter), offsetOf(b, out), ...convDims(info));
    return out;
  });
}

/**
 * FusedConv2D (tfjs-layers' conv with a linear activation, e.g. conv + batch norm) as conv2dKernel, plus the
 * bias in place; other activations and PReLU weights stay with XNNPACK.
 */
function fusedConv2dKernel(addon: NativeAddon): tf.KernelFunc {
  return withFallback('FusedConv2D', ({ inputs, attrs = {}, backend }) => {
    const pair2 = float32Pair(inputs.x, inputs.filter);
    const bias = inputs.bias;
    if (!pair2 || !isNhwc(attrs) || (attrs.activation ?? 'linear') !== 'linear' || inputs.preluActivationWeights) return undefined;
    const [x, filter] = pair2;
    if (!nativeConvWins(filter.shape)) return undefined;
    if (bias && (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== filter.shape[3])) return undefined;
    const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, pair(attrs.strides),
      pair(attrs.dilations ?? 1), attrs.pad as 'same', attrs.dimRoundingMode as 'floor' | undefined);
    const b = internals(backend);
    const out = b.makeOutput(info.outShape, 'float32');
    addon.conv2d(heapOf(b), offsetOf(b, x), offsetOf(b, filter), offsetOf(b, out), ...convDims(info));
    if (bias) {
      const rows = info.batchSize * info.outHeight * info.outWidth;
      addon.addRowVector(heapOf(b), offsetOf(b, out), offsetOf(b, bias), offsetOf(b, out), rows, info.outChannels);
    }
    return out;
  });
}

function inputGradKernel(addon: NativeAddon): tf.KernelFunc {
  return withFallback('Conv2DBackpropInput', ({ inputs, attrs = {}, backend }) => {
    const pair2 = float32Pair(inputs.dy, inputs.filter);
    if (!pair2 || !isNhwc(attrs)) return undefined;
    const [dy, filter] = pair2;
    const inputShape = attrs.inputShape as Shape4;
    const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as Shape4, pair(attrs.strides), 1,
      attrs.pad as 'same', attrs.dimRoundingMode as 'floor' | undefined);
    const b = internals(backend);
    const out = b.makeOutput(inputShape, 'float32');
    addon.conv2dInputGrad(heapOf(b), offsetOf(b, dy), offsetOf(b, filter), offsetOf(b, out), ...convDims(info));
    return out;
  });
}

function maxPoolGradKernel(addon: NativeAddon): tf.KernelFunc {
  return withFallback('MaxPoolGrad', ({ inputs, attrs = {}, backend }) => {
    const pair2 = float32Pair(inputs.dy, inputs.input);
    if (!pair2) return undefined;
    const [dy, input] = pair2;
    const info = tf.backend_util.computePool2DInfo(input.shape as Shape4, pair(attrs.filterSize), pair(attrs.strides), 1,
      attrs.pad as 'same', attrs.dimRoundingMode as 'floor' | undefined);
    const b = internals(backend);
    const out = b.makeOutput(input.shape, 'float32');
    addon.maxPoolGrad(heapOf(b), offsetOf(b, input), offsetOf(b, dy), offsetOf(b, out), info.batchSize, info.inHeight,
      info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.filterHeight, info.filterWidth,
      info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left);
    return out;
  });
}

function matMulKernel(addon: NativeAddon): tf.KernelFunc {
  return withFallback('BatchMatMul', ({ inputs, attrs = {}, backend }) => {
    const pair2 = float32Pair(inputs.a, inputs.b);
    if (!pair2) return undefined;
    const [a, bm] = pair2;
    if (a.shape.length < 2 || bm.shape.length < 2) return undefined;
    const ta = Boolean(attrs.transposeA);
    const tb = Boolean(attrs.transposeB);
    const ra = a.shape.length;
    const rb = bm.shape.length;
    const [m, k] = ta ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
    const [k2, n] = tb ? [bm.shape[rb - 1], bm.shape[rb - 2]] : [bm.shape[rb - 2], bm.shape[rb - 1]];
    if (k !== k2) return undefined;
    const batchA = a.shape.slice(0, -2);
    const batchB = bm.shape.slice(0, -2);
    const sizeA = batchA.reduce((p, d) => p * d, 1);
    const sizeB = batchB.reduce((p, d) => p * d, 1);
    let outBatch: number[];
    try {
      outBatch = tf.backend_util.assertAndGetBroadcastShape(batchA, batchB);
    } catch {
      return undefined;
    }
    const batch = outBatch.reduce((p, d) => p * d, 1);
    // each side either spans the whole batch (same layout) or is one matrix for all; else wasm broadcasts
    if ((sizeA !== 1 && sizeA !== batch) || (sizeB !== 1 && sizeB !== batch)) return undefined;
    const be = internals(backend);
    const out = be.makeOutput([...outBatch, m, n], 'float32');
    addon.matMul(heapOf(be), offsetOf(be, a), offsetOf(be, bm), offsetOf(be, out), batch, m, n, k, ta ? 1 : 0, tb ? 1 : 0,
      sizeA > 1 ? 1 : 0, sizeB > 1 ? 1 : 0);
    return out;
  });
}

/** x + bias with bias a vector along the last axis (the Layers bias add); wasm's broadcasting add is ~5× slower. */
function biasAddKernel(addon: NativeAddon): tf.KernelFunc {
  return withFallback('Add', ({ inputs, backend }) => {
    const pair2 = float32Pair(inputs.a, inputs.b);
    if (!pair2) return undefined;
    const [a, b] = pair2;
    const [x, bias] = b.shape.length === 1 && a.shape.length >= 2 ? [a, b] : a.shape.length === 1 && b.shape.length >= 2 ? [b, a] : [];
    if (!x || !bias) return undefined;
    const cols = x.shape[x.shape.length - 1];
    if (bias.shape[0] !== cols || cols === 0) return undefined;
    const rows = x.shape.slice(0, -1).reduce((p, d) => p * d, 1);
    // small tensors: the N-API call costs more than wasm's add
    if (rows * cols < 4096) return undefined;
    const be = internals(backend);
    const out = be.makeOutput(x.shape, 'float32');
    addon.addRowVector(heapOf(be), offsetOf(be, x), offsetOf(be, bias), offsetOf(be, out), rows, cols);
    return out;
  });
}

let registered: NativeAddon | undefined;

/** The addon when its kernels are registered and wasm is the active backend (for fused updates). */
export function activeNativeAddon(): { call: NativeAddon; heap: () => ArrayBuffer } | undefined {
  if (!registered || tf.getBackend() !== 'wasm') return undefined;
  const b = internals(tf.backend());
  return { call: registered, heap: () => heapOf(b) };
}

/** A new float32 tensor on the wasm heap for a native kernel to fill (owned by the caller). */
export function nativeOutput(shape: number[]): tf.Tensor {
  return tf.engine().makeTensorFromTensorInfo(internals(tf.backend()).makeOutput(shape, 'float32'));
}

export function nativeTensorOffset(t: tf.Tensor): number {
  return offsetOf(internals(tf.backend()), t);
}

/**
 * Replaces the slow wasm training kernels with native ones, each falling back to the kernel registered
 * before it. Call after registerWasmGradKernels (whose kernels become the fallbacks). Returns a reason
 * instead when the wasm heap is not a plain ArrayBuffer (threaded wasm shares its memory; N-API cannot
 * address a SharedArrayBuffer).
 */
export function registerNativeKernels(addon: NativeAddon): string | undefined {
  if (tf.getBackend() !== 'wasm' || !(internals(tf.backend()).wasm.HEAPU8.buffer instanceof ArrayBuffer)) {
    return 'the wasm heap is shared (threaded wasm), which native code cannot address';
  }
  replace('Conv2D', conv2dKernel(addon));
  replace('Conv2DBackpropFilter', filterGradKernel(addon));
  replace('Conv2DBackpropInput', inputGradKernel(addon));
  replace('MaxPoolGrad', maxPoolGradKernel(addon));
  replace('BatchMatMul', matMulKernel(addon));
  replace('FusedConv2D', fusedConv2dKernel(addon));
  replace('Add', biasAddKernel(addon));
  registerNativeNormKernels(addon);
  registered = addon;
  return undefined;
}
