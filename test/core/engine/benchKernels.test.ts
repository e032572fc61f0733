/**
 * Protects the honesty of `npm run bench`: the CSR kernel it times against dense matMul computes the same
 * x·W (zero inputs skipped, any sparsity), and its summary statistic is a true median.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { csrFromDense, csrMatMul, denseJsMatMul } from '../../../bench/sparseBench';
import { median } from '../../../bench/stats';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

it('CSR and dense-loop x·W equal the reference product for random shapes, sparsities and zero inputs', () => {
  const r = lcg(7);
  for (let trial = 0; trial < 20; trial++) {
    const batch = 1 + Math.floor((r() + 0.5) * 5);
    const inDim = 1 + Math.floor((r() + 0.5) * 40);
    const outDim = 1 + Math.floor((r() + 0.5) * 30);
    const keep = r() + 0.5;
    const w = Float32Array.from({ length: inDim * outDim }, () => (r() + 0.5 < keep ? r() : 0));
    const x = Float32Array.from({ length: batch * inDim }, () => Math.max(0, r()));
    const y = new Float32Array(batch * outDim).fill(123);
    csrMatMul(x, batch, inDim, csrFromDense(w, inDim, outDim), outDim, y);
    const yDense = new Float32Array(batch * outDim).fill(-7);
    denseJsMatMul(x, batch, inDim, w, outDim, yDense);
    for (let b = 0; b < batch; b++) {
      for (let o = 0; o < outDim; o++) {
        let expected = 0;
        for (let i = 0; i < inDim; i++) expected += x[b * inDim + i] * w[i * outDim + o];
        assert.ok(Math.abs(y[b * outDim + o] - expected) <= 1e-5 * Math.max(1, Math.abs(expected)), `trial ${trial} y[${b},${o}]`);
        assert.ok(Math.abs(yDense[b * outDim + o] - expected) <= 1e-5 * Math.max(1, Math.abs(expected)), `trial ${trial} dense y[${b},${o}]`);
      }
    }
  }
});

it('median of odd and even lists, unsorted input', () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]));
});
