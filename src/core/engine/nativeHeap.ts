/**
 * What the native kernel files share: the addon's interface, and in-place access to tensors on the wasm
 * heap (tfjs-backend-wasm internals, not part of its typed API). Kernels fall back to the kernel
 * registered before them for anything they do not handle.
 */
import * as tf from '@tensorflow/tfjs';

type Heap = ArrayBuffer;
export interface NativeAddon {
  conv2d(heap: Heap, ...offsetsAndDims: number[]): void;
  conv2dFilterGrad(heap: Heap, ...offsetsAndDims: number[]): void;
  conv2dInputGrad(heap: Heap, ...offsetsAndDims: number[]): void;
  maxPoolGrad(heap: Heap, ...offsetsAndDims: number[]): void;
  matMul(heap: Heap, ...offsetsAndDims: number[]): void;
  /** Sum or mean over a contiguous block of axes: x as [outer, rows, cols] → [outer, cols], times a factor. */
  reduceMiddle(heap: Heap, ...offsetsDimsAndFactor: number[]): void;
  batchNormTrain(heap: Heap, ...offsetsDimsAndEpsilon: number[]): void;
  batchNormTrainGrad(heap: Heap, ...offsetsDimsAndEpsilon: number[]): void;
  batchNormInfer(heap: Heap, ...offsetsDimsAndEpsilon: number[]): void;
  addRowVector(heap: Heap, ...offsetsAndDims: number[]): void;
  sgdMomentum(heap: Heap, ...offsetsDimsAndHyper: number[]): void;
  adam(heap: Heap, ...offsetsDimsAndHyper: number[]): void;
  setThreads(threads: number): void;
  describe(): { version: number; blas: string; threads: number };
}

/** What the kernels need from tfjs-backend-wasm's BackendWasm (not part of its typed API). */
export interface WasmBackendInternals {
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  wasm: { HEAPU8: Uint8Array };
}

export function internals(backend: unknown): WasmBackendInternals {
  return backend as WasmBackendInternals;
}

export function offsetOf(b: WasmBackendInternals, t: tf.TensorInfo): number {
  const entry = b.dataIdMap.get(t.dataId);
  if (!entry) throw new Error('native kernel: tensor is not on the wasm backend');
  return entry.memoryOffset;
}

/** Heap buffer, read after every allocation: growing wasm memory replaces the ArrayBuffer. */
export function heapOf(b: WasmBackendInternals): ArrayBuffer {
  return b.wasm.HEAPU8.buffer as ArrayBuffer;
}

export function pair(v: unknown): [number, number] {
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return [a[0], a[1] ?? a[0]];
}

/** Both inputs when they exist and are float32 (the only dtype the addon handles). */
export function float32Pair(a: tf.TensorInfo | undefined, b: tf.TensorInfo | undefined): [tf.TensorInfo, tf.TensorInfo] | undefined {
  return a?.dtype === 'float32' && b?.dtype === 'float32' ? [a, b] : undefined;
}

export function withFallback(kernelName: string, native: (args: Parameters<tf.KernelFunc>[0]) => tf.TensorInfo | tf.TensorInfo[] | undefined): tf.KernelFunc {
  const previous = tf.getKernel(kernelName, 'wasm');
  if (!previous) throw new Error(`native kernels: ${kernelName} has no wasm kernel to fall back to`);
  return (args) => native(args) ?? previous.kernelFunc(args);
}

export function replace(kernelName: string, kernelFunc: tf.KernelFunc): void {
  const previous = tf.getKernel(kernelName, 'wasm');
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc, setupFunc: previous?.setupFunc });
}

