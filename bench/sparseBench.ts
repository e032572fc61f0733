/**
 * Is a sparse kernel for an extracted level faster than the dense one? Inference of one dense layer
 * y = x·W at 90/95/99% weight sparsity: the engine's dense matMul (tfjs wasm XNNPACK, or OpenBLAS when
 * the native kernels are loaded) against a CSR kernel in plain JavaScript that also skips zero inputs.
 */
import * as tf from '@tensorflow/tfjs';
import { csrAccumulate, csrFromDense, type Csr } from '../src/core/sparse/csr';
import { median } from './stats';

export interface SparseRow {
  layer: string;
  batch: number;
  sparsity: number;
  denseMs: number;
  /** The same dense product as a plain JavaScript loop (skips zero inputs too): separates op overhead from sparsity. */
  denseJsMs: number;
  csrMs: number;
  speedup: number;
}

export { csrFromDense, type Csr };

/**
 * y[B, out] = x[B, in] · W with W in CSR: the one CSR kernel (src/core/sparse/csr.ts), the one `elsa predict`
 * times; zero activations (after ReLU, image background) are skipped.
 */
export function csrMatMul(x: Float32Array, batch: number, inDim: number, w: Csr, outDim: number, y: Float32Array): void {
  if (w.rows !== inDim || w.cols !== outDim) throw new RangeError(`csrMatMul: a ${w.rows}×${w.cols} matrix for ${inDim}→${outDim}`);
  y.fill(0);
  csrAccumulate(x, batch, w, y);
}

/** y = x·W with W dense [in, out], in plain JavaScript, skipping zero inputs like csrMatMul. */
export function denseJsMatMul(x: Float32Array, batch: number, inDim: number, w: Float32Array, outDim: number, y: Float32Array): void {
  y.fill(0);
  for (let b = 0; b < batch; b++) {
    const yo = b * outDim;
    for (let i = 0; i < inDim; i++) {
      const xv = x[b * inDim + i];
      if (xv === 0) continue;
      const wo = i * outDim;
      for (let o = 0; o < outDim; o++) y[yo + o] += xv * w[wo + o];
    }
  }
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function timeMs(f: () => void, minMs = 150): number {
  f();
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < minMs / 5) {
      f();
      n++;
    }
    runs.push((performance.now() - t0) / n);
  }
  return median(runs);
}

/** `inputs` supplies real activations when given (e.g. Fashion-MNIST pixels for the first layer). */
export function runSparseBench(
  layers: { name: string; inDim: number; outDim: number; inputs?: Float32Array }[],
  sparsities = [0.9, 0.95, 0.99],
  batches = [1, 64],
): SparseRow[] {
  const rows: SparseRow[] = [];
  for (const layer of layers) {
    const { inDim, outDim } = layer;
    const rnd = lcg(inDim * 31 + outDim);
    const dense = Float32Array.from({ length: inDim * outDim }, () => rnd() - 0.5);
    for (const batch of batches) {
      // inputs: real ones if given, else ReLU-like (half zeros)
      const x = layer.inputs
        ? layer.inputs.subarray(0, batch * inDim)
        : Float32Array.from({ length: batch * inDim }, () => Math.max(0, rnd() - 0.5));
      for (const sparsity of sparsities) {
        // magnitude pruning at this sparsity: keep the largest |w|
        const threshold = [...dense].map(Math.abs).sort((a, b) => a - b)[Math.floor(sparsity * dense.length)];
        const w = dense.map((v) => (Math.abs(v) >= threshold ? v : 0));
        const csr = csrFromDense(w, inDim, outDim);
        const y = new Float32Array(batch * outDim);
        const xT = tf.tensor2d(x, [batch, inDim]);
        const wT = tf.tensor2d(w, [inDim, outDim]);
        const denseMs = timeMs(() => tf.matMul(xT, wT).dispose());
        const csrMs = timeMs(() => csrMatMul(x, batch, inDim, csr, outDim, y));
        const denseJsMs = timeMs(() => denseJsMatMul(x, batch, inDim, w, outDim, y));
        tf.dispose([xT, wT]);
        rows.push({ layer: layer.name, batch, sparsity, denseMs, denseJsMs, csrMs, speedup: denseMs / csrMs });
      }
    }
  }
  return rows;
}
