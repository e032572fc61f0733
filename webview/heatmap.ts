/**
 * Pure helpers for the mask-nesting heatmap: level codes -> RGBA pixels (one pixel per cell, scaled up by the
 * canvas), block downsampling of a code grid, display sizing and mapping a pointer back to source weights.
 * The host downsamples big tensors before sending (`getHeatmap(layer, maxCells)`); `downsampleCodes` is the
 * same reduction, used to guard against an oversized answer and to build test fixtures.
 */
import type { Rgba } from './colors';

/**
 * Writes one RGBA pixel per cell. `colorsByCode[code - 1]` is the colour of code `code`; codes outside
 * 1..colorsByCode.length (corrupt or missing data) stay transparent so they read as "no level".
 */
export function paintLevelCodes(codes: ArrayLike<number>, colorsByCode: readonly Rgba[], out?: Uint8ClampedArray): Uint8ClampedArray {
  const pixels = out ?? new Uint8ClampedArray(codes.length * 4);
  if (pixels.length < codes.length * 4) throw new RangeError(`pixel buffer holds ${pixels.length / 4} cells, need ${codes.length}`);
  const table = new Uint8ClampedArray((colorsByCode.length + 1) * 4);
  colorsByCode.forEach((c, i) => table.set([c.r, c.g, c.b, Math.round(c.a * 255)], (i + 1) * 4));
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i];
    const k = Number.isInteger(code) && code >= 1 && code <= colorsByCode.length ? code * 4 : 0;
    pixels[i * 4] = table[k];
    pixels[i * 4 + 1] = table[k + 1];
    pixels[i * 4 + 2] = table[k + 2];
    pixels[i * 4 + 3] = table[k + 3];
  }
  return pixels;
}

export interface CodeGrid {
  rows: number;
  cols: number;
  codes: number[];
}

/** The smallest square block edge whose block grid has at most `maxCells` cells. */
export function blockSize(rows: number, cols: number, maxCells: number): number {
  if (maxCells < 1) throw new RangeError(`maxCells must be at least 1, got ${maxCells}`);
  let s = Math.max(1, Math.floor(Math.sqrt((rows * cols) / maxCells)));
  while (Math.ceil(rows / s) * Math.ceil(cols / s) > maxCells) s++;
  return s;
}

/**
 * Reduces a code grid to at most `maxCells` cells with square blocks (edge cells cover the remainder).
 * `min` keeps the sparsest level present in a block, so a lone level-1 weight stays visible; `mode` keeps the
 * most common code (ties go to the smaller code).
 */
export function downsampleCodes(grid: CodeGrid, maxCells: number, reduction: 'min' | 'mode'): CodeGrid & { block: number } {
  const { rows, cols, codes } = grid;
  if (codes.length !== rows * cols) throw new RangeError(`grid ${rows}x${cols} has ${codes.length} codes`);
  const s = blockSize(rows, cols, maxCells);
  if (s === 1) return { rows, cols, codes: codes.slice(), block: 1 };
  const outRows = Math.ceil(rows / s);
  const outCols = Math.ceil(cols / s);
  const out = new Array<number>(outRows * outCols);
  const counts = new Map<number, number>();
  for (let br = 0; br < outRows; br++) {
    for (let bc = 0; bc < outCols; bc++) {
      let best = Infinity;
      counts.clear();
      for (let r = br * s; r < Math.min(rows, (br + 1) * s); r++) {
        for (let c = bc * s; c < Math.min(cols, (bc + 1) * s); c++) {
          const code = codes[r * cols + c];
          if (reduction === 'min') best = Math.min(best, code);
          else counts.set(code, (counts.get(code) ?? 0) + 1);
        }
      }
      if (reduction === 'mode') {
        let bestCount = -1;
        for (const [code, n] of counts) {
          if (n > bestCount || (n === bestCount && code < best)) {
            best = code;
            bestCount = n;
          }
        }
      }
      out[br * outCols + bc] = best;
    }
  }
  return { rows: outRows, cols: outCols, codes: out, block: s };
}

/** Share of cells per code 1..levelCount (sums to 1 when every code is in range). */
export function codeShare(codes: ArrayLike<number>, levelCount: number): number[] {
  const n = new Array<number>(levelCount).fill(0);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c >= 1 && c <= levelCount) n[c - 1]++;
  }
  return n.map((v) => (codes.length ? v / codes.length : 0));
}

/**
 * CSS size for a rows x cols grid inside a maxWidth x maxHeight box. Cells stay square while the grid's shape
 * is moderate; a very tall or very wide tensor (a 1568 x 128 kernel) is stretched to a width/height ratio
 * inside `aspectRange`, so it stays readable instead of becoming a one-pixel strip.
 */
export function fitGrid(
  rows: number,
  cols: number,
  maxWidth: number,
  maxHeight: number,
  aspectRange: [number, number] = [0.5, 4],
): { width: number; height: number; cellWidth: number; cellHeight: number } {
  if (rows <= 0 || cols <= 0 || maxWidth <= 0 || maxHeight <= 0) return { width: 0, height: 0, cellWidth: 0, cellHeight: 0 };
  const aspect = Math.min(aspectRange[1], Math.max(aspectRange[0], cols / rows));
  let width = maxWidth;
  let height = width / aspect;
  if (height > maxHeight) {
    height = maxHeight;
    width = height * aspect;
  }
  // Small grids: whole-pixel cells, at most 24 px, so the pixelated upscale stays even.
  let cellWidth = width / cols;
  let cellHeight = height / rows;
  if (cellWidth >= 1 && cellHeight >= 1 && Math.abs(cellWidth - cellHeight) < 1e-9) {
    cellWidth = cellHeight = Math.min(24, Math.floor(cellWidth));
  } else {
    cellWidth = Math.min(24, cellWidth);
    cellHeight = Math.min(24, cellHeight);
  }
  return { width: Math.max(1, Math.round(cols * cellWidth)), height: Math.max(1, Math.round(rows * cellHeight)), cellWidth, cellHeight };
}

/** The cell under a point of a grid drawn at width x height, or undefined outside it. */
export function cellAt(x: number, y: number, width: number, height: number, rows: number, cols: number): { row: number; col: number } | undefined {
  if (x < 0 || y < 0 || x >= width || y >= height) return undefined;
  return { row: Math.min(rows - 1, Math.floor((y / height) * rows)), col: Math.min(cols - 1, Math.floor((x / width) * cols)) };
}

/** Block edge, in source weights, of a downsampled grid (the larger of the two axes' ratios, as square blocks). */
export function blockOf(rows: number, cols: number, sourceRows: number, sourceCols: number): number {
  return Math.max(1, Math.ceil(sourceRows / Math.max(1, rows)), Math.ceil(sourceCols / Math.max(1, cols)));
}

/** The source index range [from, to) that cell `index` covers along an axis of `source` weights. */
export function sourceSpan(index: number, block: number, source: number): [number, number] {
  return [Math.min(source, index * block), Math.min(source, (index + 1) * block)];
}
