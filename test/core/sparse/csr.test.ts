/** The CSR kernel against a plain dense product, on random sparse matrices and the corner cases. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csrAccumulate, csrFromDense, csrMatMul, csrNonzeros } from '../../../src/core/sparse/csr';
import { createRng } from '../../../src/core/random';

function denseMatMul(x: Float32Array, batch: number, w: Float32Array, rows: number, cols: number): Float64Array {
  const y = new Float64Array(batch * cols);
  for (let b = 0; b < batch; b++) for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) y[b * cols + c] += x[b * rows + r] * w[r * cols + c];
  return y;
}

function randomSparse(rng: ReturnType<typeof createRng>, rows: number, cols: number, sparsity: number): Float32Array {
  return Float32Array.from({ length: rows * cols }, () => (rng.next() < sparsity ? 0 : rng.normal()));
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('CSR kernel', () => {
  it('equals the dense product on random sparse matrices (0–99 % sparse, batches 1 and 3)', () => {
    const rng = createRng(5);
    for (const [rows, cols] of [[1, 1], [7, 3], [64, 17], [300, 100]]) {
      for (const sparsity of [0, 0.5, 0.9, 0.99]) {
        for (const batch of [1, 3]) {
          const w = randomSparse(rng, rows, cols, sparsity);
          // Inputs with zeros (as after a ReLU): the kernel skips them, the answer must not change.
          const x = Float32Array.from({ length: batch * rows }, () => (rng.next() < 0.4 ? 0 : rng.normal()));
          const m = csrFromDense(w, rows, cols);
          assert.equal(csrNonzeros(m), w.filter((v) => v !== 0).length);
          const d = maxDiff(csrMatMul(x, batch, m), denseMatMul(x, batch, w, rows, cols));
          assert.ok(d < 1e-4, `${rows}×${cols} at ${sparsity}, batch ${batch}: max diff ${d}`);
        }
      }
    }
  });

  it('handles empty rows, an all-zero matrix, and -0 as a zero', () => {
    // rows 0 and 2 empty, row 1 full, row 3 one value
    const w = Float32Array.from([0, 0, 0, 1, 2, 3, -0, 0, 0, 0, 0, 4]);
    const m = csrFromDense(w, 4, 3);
    assert.deepEqual([...m.rowStart], [0, 0, 3, 3, 4]);
    assert.deepEqual([...m.colIndex], [0, 1, 2, 2]);
    assert.deepEqual([...m.values], [1, 2, 3, 4]);
    assert.deepEqual([...csrMatMul(Float32Array.from([5, 1, 7, 2]), 1, m)], [1, 2, 3 + 8]);
    const zero = csrFromDense(new Float32Array(12), 4, 3);
    assert.equal(csrNonzeros(zero), 0);
    assert.deepEqual([...csrMatMul(Float32Array.from([1, 2, 3, 4]), 1, zero)], [0, 0, 0]);
    // accumulate adds to what is there (the bias)
    const y = Float32Array.from([10, 20, 30]);
    csrAccumulate(Float32Array.from([0, 1, 0, 0]), 1, m, y);
    assert.deepEqual([...y], [11, 22, 33]);
  });

  it('refuses a matrix whose size does not match', () => {
    assert.throws(() => csrFromDense(new Float32Array(5), 2, 3), /5 values for a 2×3 matrix/);
  });
});
