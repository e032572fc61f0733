/**
 * Pure helpers for the layer heatmaps: level codes and signed weight values -> RGBA pixels (one pixel per cell,
 * scaled up by the canvas), display sizing, and a pointer back to the weights. The host downsamples and sends
 * the cell -> weight mapping with the grid (`rowStarts`/`colStarts`); nothing here recomputes it.
 */
import type { HeatmapData } from '../src/protocol/webview';
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

/** The source rows and columns [from, to) of a cell, from the mapping the host computed (src/core/heatmapGrid.ts). */
export function cellRange(hm: Pick<HeatmapData, 'rowStarts' | 'colStarts'>, row: number, col: number): { rows: [number, number]; cols: [number, number] } {
  return { rows: [hm.rowStarts[row], hm.rowStarts[row + 1]], cols: [hm.colStarts[col], hm.colStarts[col + 1]] };
}

const num = (v: number): string => (v === 0 ? '0' : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? String(Number(v.toPrecision(4))) : v.toExponential(3));

/**
 * What the pointer names over cell (row, col): the exact weight index range, the value range of the stored
 * weights there (when the host sent values) and the cell's level code.
 */
export function describeCell(hm: HeatmapData, row: number, col: number, codeLabel: (code: number) => string): string {
  const { rows, cols } = cellRange(hm, row, col);
  const n = (rows[1] - rows[0]) * (cols[1] - cols[0]);
  const span = (a: [number, number]) => (a[1] - a[0] === 1 ? String(a[0]) : `${a[0]}–${a[1] - 1}`);
  const where = n === 1 ? `weight [${rows[0]}, ${cols[0]}]` : `weights [${span(rows)}, ${span(cols)}] (${n.toLocaleString('en-US')})`;
  const cell = row * hm.cols + col;
  const v = hm.values;
  const value = !v ? '' : n === 1 ? ` = ${num(v.mean[cell])}` : `: values ${num(v.min[cell])} … ${num(v.max[cell])}, mean ${num(v.mean[cell])}`;
  const code = hm.codes[cell];
  const codeText = hm.reduction === 'exact' || n === 1 ? `code ${code}` : `code ${code} (${hm.reduction === 'min' ? 'smallest in the cell' : 'most common'})`;
  return `${where}${value} · ${codeText}: ${codeLabel(code)}`;
}

/**
 * Diverging colours for signed values: `negative` at -scale, `middle` at 0, `positive` at +scale (clamped),
 * linear in between; one RGBA pixel per value.
 */
export function paintValues(values: ArrayLike<number>, scale: number, negative: Rgba, middle: Rgba, positive: Rgba, out?: Uint8ClampedArray): Uint8ClampedArray {
  const pixels = out ?? new Uint8ClampedArray(values.length * 4);
  if (pixels.length < values.length * 4) throw new RangeError(`pixel buffer holds ${pixels.length / 4} cells, need ${values.length}`);
  for (let i = 0; i < values.length; i++) {
    const t = scale > 0 && Number.isFinite(values[i]) ? Math.max(-1, Math.min(1, values[i] / scale)) : 0;
    const end = t < 0 ? negative : positive;
    const a = Math.abs(t);
    pixels[i * 4] = Math.round(middle.r + (end.r - middle.r) * a);
    pixels[i * 4 + 1] = Math.round(middle.g + (end.g - middle.g) * a);
    pixels[i * 4 + 2] = Math.round(middle.b + (end.b - middle.b) * a);
    pixels[i * 4 + 3] = 255;
  }
  return pixels;
}
