/**
 * Compressed sparse rows for the weights of an extracted level. A kernel is seen as a matrix with one row per
 * input feature (Dense: W[in, out]; Conv2D: one row per (ky, kx, cin) of the [kh, kw, cin, cout] kernel), so
 * a product walks the input once, skips zero activations (ReLU outputs, image background) and touches only
 * the stored nonzeros of the rows it needs. Both the inference path (`sparseModel.ts`) and the benchmark use
 * this one implementation.
 */

export interface Csr {
  rows: number;
  cols: number;
  /** rowStart[r]..rowStart[r+1] index the nonzeros of row r (length rows + 1). */
  rowStart: Int32Array;
  /** Column of each nonzero. */
  colIndex: Int32Array;
  values: Float32Array;
}

/** A row-major dense [rows, cols] matrix in CSR; exact zeros (+0 and -0) are left out. */
export function csrFromDense(w: Float32Array, rows: number, cols: number): Csr {
  if (w.length !== rows * cols) throw new RangeError(`csrFromDense: ${w.length} values for a ${rows}×${cols} matrix`);
  let nnz = 0;
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) nnz++;
  const rowStart = new Int32Array(rows + 1);
  const colIndex = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    rowStart[r] = k;
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = w[base + c];
      if (v !== 0) {
        colIndex[k] = c;
        values[k++] = v;
      }
    }
  }
  rowStart[rows] = k;
  return { rows, cols, rowStart, colIndex, values };
}

export function csrNonzeros(m: Csr): number {
  return m.rowStart[m.rows];
}

/**
 * y[b, :] += x[b, :] · M for b < batch (x is [batch, rows], y is [batch, cols]); the caller initialises y (to
 * the bias, or 0). Zero inputs are skipped, so an all-zero row or input costs one comparison.
 */
export function csrAccumulate(x: Float32Array, batch: number, m: Csr, y: Float32Array): void {
  const { rows, cols, rowStart, colIndex, values } = m;
  for (let b = 0; b < batch; b++) {
    const xo = b * rows;
    const yo = b * cols;
    for (let r = 0; r < rows; r++) {
      const xv = x[xo + r];
      if (xv === 0) continue;
      const end = rowStart[r + 1];
      for (let k = rowStart[r]; k < end; k++) y[yo + colIndex[k]] += xv * values[k];
    }
  }
}

/** y = x · M as a new array (x is [batch, rows]). */
export function csrMatMul(x: Float32Array, batch: number, m: Csr): Float32Array {
  const y = new Float32Array(batch * m.cols);
  csrAccumulate(x, batch, m, y);
  return y;
}
