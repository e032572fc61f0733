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

const ADDON_FILE = 'elsa_native.node';
const ADDON_VERSION = 5;

type Heap = ArrayBuffer;
export interface NativeAddon {
  conv2d(heap: Heap, ...offsetsAndDims: number[]): void;
  conv2dFilterGrad(heap: Heap, ...offsetsAndDims: number[]): void;
  conv2dInputGrad(heap: Heap, ...offsetsAndDims: number[]): void;
  maxPoolGrad(heap: Heap, ...offsetsAndDims: number[]): void;
  matMul(heap: Heap, ...offsetsAndDims: number[]): void;
  sumRows(heap: Heap, ...offsetsAndDims: number[]): void;
  addRowVector(heap: Heap, ...offsetsAndDims: number[]): void;
  sgdMomentum(heap: Heap, ...offsetsDimsAndHyper: number[]): void;
  adam(heap: Heap, ...offsetsDimsAndHyper: number[]): void;
  setThreads(threads: number): void;
  describe(): { version: number; blas: string; threads: number };
}

/** What the kernels need from tfjs-backend-wasm's BackendWasm (not part of its typed API). */
interface WasmBackendInternals {
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  wasm: { HEAPU8: Uint8Array };
}

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

function internals(backend: unknown): WasmBackendInternals {
  return backend as WasmBackendInternals;
}

function offsetOf(b: WasmBackendInternals, t: tf.TensorInfo): number {
  const entry = b.dataIdMap.get(t.dataId);
  if (!entry) throw new Error('native kernel: tensor is not on the wasm backend');
  return entry.memoryOffset;
}

/** Heap buffer, read after every allocation: growing wasm memory replaces the ArrayBuffer. */
function heapOf(b: WasmBackendInternals): ArrayBuffer {
  return b.wasm.HEAPU8.buffer as ArrayBuffer;
}

function pair(v: unknown): [number, number] {
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return [a[0], a[1] ?? a[0]];
}

/** Both inputs when they exist and are float32 (the only dtype the addon handles). */
function float32Pair(a: tf.TensorInfo | undefined, b: tf.TensorInfo | undefined): [tf.TensorInfo, tf.TensorInfo] | undefined {
  return a?.dtype === 'float32' && b?.dtype === 'float32' ? [a, b] : undefined;
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

function withFallback(kernelName: string, native: (args: Parameters<tf.KernelFunc>[0]) => tf.TensorInfo | undefined): tf.KernelFunc {
  const previous = tf.getKernel(kernelName, 'wasm');
  if (!previous) throw new Error(`native kernels: ${kernelName} has no wasm kernel to fall back to`);
  return (args) => native(args) ?? previous.kernelFunc(args);
}

function replace(kernelName: string, kernelFunc: tf.KernelFunc): void {
  const previous = tf.getKernel(kernelName, 'wasm');
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc, setupFunc: previous?.setupFunc });
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
 * Forward conv as im2col + sgemm where the patch is long enough for OpenBLAS to win (measured 1.3 ms vs
 * XNNPACK's 2.7 ms on 3×3×16→32); short patches (first layers, K < 32) stay with XNNPACK.
 */
function conv2dKernel(addon: NativeAddon): tf.KernelFunc {
  return withFallback('Conv2D', ({ inputs, attrs = {}, backend }) => {
    const pair2 = float32Pair(inputs.x, inputs.filter);
    if (!pair2 || !isNhwc(attrs)) return undefined;
    const [x, filter] = pair2;
    if (filter.shape[0] * filter.shape[1] * filter.shape[2] < 32) return undefined;
    const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, pair(attrs.strides),
      pair(attrs.dilations ?? 1), attrs.pad as 'same', attrs.dimRoundingMode as 'floor' | undefined);
    const b = internals(backend);
    const out = b.makeOutput(info.outShape, 'float32');
    addon.conv2d(heapOf(b), offsetOf(b, x), offsetOf(b, filter), offsetOf(b, out), ...convDims(info));
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

/** Sum over every axis but the last (bias gradients); wasm's reduction is ~5× slower on these shapes. */
function sumKernel(addon: NativeAddon): tf.KernelFunc {
  return withFallback('Sum', ({ inputs, attrs = {}, backend }) => {
    const x = inputs.x;
    if (x?.dtype !== 'float32' || x.shape.length < 2) return undefined;
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape).sort((p, q) => p - q);
    if (axes.length !== rank - 1 || axes.some((a, i) => a !== i)) return undefined;
    const cols = x.shape[rank - 1];
    const rows = x.shape.slice(0, -1).reduce((p, d) => p * d, 1);
    const b = internals(backend);
    const out = b.makeOutput(attrs.keepDims ? [...Array(rank - 1).fill(1), cols] : [cols], 'float32');
    addon.sumRows(heapOf(b), offsetOf(b, x), offsetOf(b, out), rows, cols);
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
  replace('Sum', sumKernel(addon));
  replace('Add', biasAddKernel(addon));
  registered = addon;
  return undefined;
}
