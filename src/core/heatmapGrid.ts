/**
 * The one definition of the heatmap grid's cell <-> weight mapping. Downsampling (inspectViews.ts) puts
 * source row r into cell floor(r · cells / source); so cell i holds the rows r with
 * i ≤ r · cells / source < i + 1, i.e. [ceil(i · source / cells), ceil((i + 1) · source / cells)). The host
 * sends these starts with every heatmap, and the webview reads index ranges from them instead of guessing a
 * block size (cells are 1 or 2 rows high when 784 rows go into 395 cells, never a fixed block of 2).
 */
import type { CellValues } from '../protocol/webview';

/** The cell that source index `index` falls in, along an axis of `source` indices shown in `cells` cells. */
export function cellOf(index: number, cells: number, source: number): number {
  return Math.floor((index * cells) / source);
}

/** Start of every cell along an axis, plus the end: cell i covers [starts[i], starts[i + 1]). */
export function cellStarts(cells: number, source: number): number[] {
  const starts = new Array<number>(cells + 1);
  // Integer ceil(i · source / cells): exact for any size a heatmap can have (products stay below 2^53).
  for (let i = 0; i <= cells; i++) starts[i] = Math.floor((i * source + cells - 1) / cells);
  return starts;
}

/** Index of the cell whose range holds `index` (binary search over `starts`), or -1 outside the axis. */
export function cellContaining(starts: readonly number[], index: number): number {
  if (index < starts[0] || index >= starts[starts.length - 1]) return -1;
  let lo = 0;
  let hi = starts.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

// Six significant digits: the hover reads as exact, and a 160 × 160 grid stays a few hundred kilobytes.
const short = (x: number): number => (Number.isFinite(x) ? Number(x.toPrecision(6)) : 0);

/**
 * Mean, min and max of the stored weights in every cell of the grid given by `rowStarts` × `colStarts`,
 * over a row-major `sourceRows × sourceCols` matrix. One pass over the weights.
 */
export function cellValues(values: ArrayLike<number>, rowStarts: readonly number[], colStarts: readonly number[]): CellValues {
  const sourceRows = rowStarts[rowStarts.length - 1];
  const sourceCols = colStarts[colStarts.length - 1];
  if (values.length !== sourceRows * sourceCols) throw new RangeError(`${values.length} values for a ${sourceRows} × ${sourceCols} grid`);
  const acc = new CellAccumulator(rowStarts, colStarts);
  acc.add(0, values);
  return acc.values();
}

/**
 * Per-cell sums, extremes and zero counts of a row-major matrix fed in chunks of consecutive elements (in any
 * order, each element once): memory is the grid's, not the tensor's, so a multi-gigabyte layer streams
 * through it (inspectStore.ts). `cellValues` is this with one chunk.
 */
export class CellAccumulator {
  private readonly rows: number;
  private readonly cols: number;
  private readonly sourceCols: number;
  private readonly sum: Float64Array;
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  /** Exact zeros per cell (the zero pattern's picture). */
  readonly zeros: Float64Array;
  /** Largest |w| of every non-NaN weight, infinities included (the histogram's range, inspectViews.maxAbs). */
  maxAbs = 0;
  private readonly rowCell: Int32Array;
  private readonly colCell: Int32Array;

  constructor(private readonly rowStarts: readonly number[], private readonly colStarts: readonly number[]) {
    this.rows = rowStarts.length - 1;
    this.cols = colStarts.length - 1;
    this.sourceCols = colStarts[this.cols];
    const cells = this.rows * this.cols;
    this.sum = new Float64Array(cells);
    this.min = new Float64Array(cells).fill(Number.POSITIVE_INFINITY);
    this.max = new Float64Array(cells).fill(Number.NEGATIVE_INFINITY);
    this.zeros = new Float64Array(cells);
    this.colCell = new Int32Array(this.sourceCols);
    for (let c = 0; c < this.cols; c++) for (let j = colStarts[c]; j < colStarts[c + 1]; j++) this.colCell[j] = c;
    this.rowCell = new Int32Array(rowStarts[this.rows]);
    for (let r = 0; r < this.rows; r++) for (let i = rowStarts[r]; i < rowStarts[r + 1]; i++) this.rowCell[i] = r;
  }

  /** Elements [start, start + data.length) of the row-major matrix. */
  add(start: number, data: ArrayLike<number>): void {
    const { sourceCols, colCell, rowCell, sum, min, max, zeros, cols } = this;
    let row = Math.floor(start / sourceCols);
    let j = start - row * sourceCols;
    let base = rowCell[row] * cols;
    let maxAbs = this.maxAbs;
    for (let k = 0; k < data.length; k++) {
      const v = data[k];
      const a = v < 0 ? -v : v;
      if (a > maxAbs) maxAbs = a;
      if (a < Number.POSITIVE_INFINITY) {
        const cell = base + colCell[j];
        sum[cell] += v;
        if (v < min[cell]) min[cell] = v;
        if (v > max[cell]) max[cell] = v;
        if (v === 0) zeros[cell]++;
      }
      if (++j === sourceCols) {
        j = 0;
        if (++row < rowCell.length) base = rowCell[row] * cols;
      }
    }
    this.maxAbs = maxAbs;
  }

  /** Weights in cell (r, c). */
  size(r: number, c: number): number {
    return (this.rowStarts[r + 1] - this.rowStarts[r]) * (this.colStarts[c + 1] - this.colStarts[c]);
  }

  values(): CellValues {
    const cells = this.rows * this.cols;
    const out: CellValues = { mean: new Array(cells), min: new Array(cells), max: new Array(cells), scale: 0 };
    for (let r = 0; r < this.rows; r++) {
      for (let c = 0; c < this.cols; c++) {
        const cell = r * this.cols + c;
        out.mean[cell] = short(this.sum[cell] / this.size(r, c));
        out.min[cell] = short(this.min[cell]);
        out.max[cell] = short(this.max[cell]);
      }
    }
    out.scale = colourScale(out.mean);
    return out;
  }
}

/**
 * The end of the diverging colour scale: the 98th percentile of |cell mean|. The largest mean would let a few
 * outlier cells wash every other cell out to the background colour.
 */
export function colourScale(means: readonly number[]): number {
  if (means.length === 0) return 0;
  const mags = Float64Array.from(means, Math.abs).sort();
  return mags[Math.min(mags.length - 1, Math.floor(0.98 * (mags.length - 1)))];
}
