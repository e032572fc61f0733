/** Heatmap helpers: colouring level codes and values, sizing, hit tests, and the hover text from the host's mapping. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng } from '../../src/core/random';
import type { Rgba } from '../../webview/colors';
import { heatmapOf } from '../../src/core/inspectViews';
import { cellValues } from '../../src/core/heatmapGrid';
import { cellAt, cellRange, codeShare, describeCell, fitGrid, paintLevelCodes, paintValues } from '../../webview/heatmap';

const COLORS: Rgba[] = [
  { r: 255, g: 0, b: 0, a: 1 },
  { r: 0, g: 255, b: 0, a: 1 },
  { r: 0, g: 0, b: 255, a: 0.5 },
];

function randomGrid(seed: number) {
  const rng = createRng(seed);
  const rows = 1 + rng.int(90);
  const cols = 1 + rng.int(90);
  const levels = 2 + rng.int(5);
  const codes = Array.from({ length: rows * cols }, () => 1 + rng.int(levels));
  return { rows, cols, codes, levels, maxCells: 1 + rng.int(600) };
}

describe('heatmap colouring', () => {
  it('writes the colour of each code and leaves codes outside 1..K+1 transparent', () => {
    const px = paintLevelCodes([1, 3, 2, 0, 4, 2.5], COLORS);
    assert.deepEqual([...px.slice(0, 4)], [255, 0, 0, 255]);
    assert.deepEqual([...px.slice(4, 8)], [0, 0, 255, 128]);
    assert.deepEqual([...px.slice(8, 12)], [0, 255, 0, 255]);
    for (const i of [3, 4, 5]) assert.deepEqual([...px.slice(i * 4, i * 4 + 4)], [0, 0, 0, 0], `cell ${i}`);
  });

  it('refuses a pixel buffer too small for the grid', () => {
    assert.throws(() => paintLevelCodes([1, 2, 3], COLORS, new Uint8ClampedArray(8)), RangeError);
  });
});

describe('heatmap code share', () => {
  it('counts the share of each code, summing to 1 when all codes are valid', () => {
    for (let seed = 200; seed < 220; seed++) {
      const g = randomGrid(seed);
      const share = codeShare(g.codes, g.levels);
      assert.equal(share.length, g.levels);
      assert.ok(Math.abs(share.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    }
    assert.deepEqual(codeShare([], 3), [0, 0, 0]);
  });
});

describe('heatmap layout', () => {
  it('fits inside the box, with square whole-pixel cells for small grids', () => {
    const small = fitGrid(10, 20, 400, 300);
    assert.deepEqual(small, { width: 400, height: 200, cellWidth: 20, cellHeight: 20 });
    const tiny = fitGrid(2, 2, 400, 300);
    assert.equal(tiny.cellWidth, 24, 'cells are capped at 24 px');
    for (let seed = 0; seed < 40; seed++) {
      const rng = createRng(seed);
      const rows = 1 + rng.int(3000);
      const cols = 1 + rng.int(3000);
      const size = fitGrid(rows, cols, 560, 360);
      assert.ok(size.width <= 560 && size.height <= 360 && size.width >= 1 && size.height >= 1, `seed ${seed}: ${JSON.stringify(size)}`);
      const aspect = size.width / size.height;
      assert.ok(aspect >= 0.5 - 0.05 && aspect <= 4 + 0.3, `seed ${seed}: aspect ${aspect}`);
    }
  });

  it('maps a pointer to the cell under it and a cell back to the weights it covers', () => {
    assert.deepEqual(cellAt(0, 0, 100, 50, 5, 10), { row: 0, col: 0 });
    assert.deepEqual(cellAt(99.9, 49.9, 100, 50, 5, 10), { row: 4, col: 9 });
    assert.equal(cellAt(100, 10, 100, 50, 5, 10), undefined);
    assert.equal(cellAt(-1, 10, 100, 50, 5, 10), undefined);
  });

  it('hovering cell row 300 of a 784×128 layer names the rows that cell holds (596–597), from the host mapping', () => {
    const codes = Array.from({ length: 784 * 128 }, (_, i) => 1 + (Math.floor(i / 128) % 3));
    const weights = Float32Array.from({ length: 784 * 128 }, (_, i) => (Math.floor(i / 128) - 392) / 100 + (i % 128) / 1e4);
    // 160 × 160 cells, the dashboard's request: 395 × 64 cells, rows 1 or 2 source rows high.
    const hm = heatmapOf('dense1/kernel', [784, 128], codes, 3, 160 * 160);
    hm.values = cellValues(weights, hm.rowStarts, hm.colStarts);
    assert.equal(hm.rows, 395);
    assert.deepEqual(cellRange(hm, 300, 10), { rows: [596, 598], cols: [20, 22] });
    const text = describeCell(hm, 300, 10, (c) => `L${c}`);
    assert.match(text, /^weights \[596–597, 20–21\] \(4\): values 2\.042 … 2\.052, mean 2\.047 · code 1 \(smallest in the cell\): L1$/);
    // The cell's code is the smallest of exactly those rows' codes (596 % 3 = 2 -> code 3, 597 -> code 1).
    assert.equal(hm.codes[300 * hm.cols + 10], 1);
    const exact = heatmapOf('b', [2, 3], [1, 2, 3, 1, 2, 3], 3, 100);
    exact.values = cellValues(Float32Array.of(0.5, -1, 2, 3, 4, 5), exact.rowStarts, exact.colStarts);
    assert.equal(describeCell(exact, 0, 1, (c) => `L${c}`), 'weight [0, 1] = -1 · code 2: L2');
  });
});

describe('value colouring', () => {
  it('maps -scale, 0 and +scale to the three colours and clamps beyond', () => {
    const neg = { r: 0, g: 0, b: 200, a: 1 };
    const mid = { r: 10, g: 10, b: 10, a: 1 };
    const pos = { r: 200, g: 0, b: 0, a: 1 };
    const px = paintValues([-2, -1, 0, 0.5, 1, 5, NaN], 1, neg, mid, pos);
    assert.deepEqual([...px.slice(0, 4)], [0, 0, 200, 255]);
    assert.deepEqual([...px.slice(4, 8)], [0, 0, 200, 255]);
    assert.deepEqual([...px.slice(8, 12)], [10, 10, 10, 255]);
    assert.deepEqual([...px.slice(12, 16)], [105, 5, 5, 255]);
    assert.deepEqual([...px.slice(20, 24)], [200, 0, 0, 255]);
    assert.deepEqual([...px.slice(24, 28)], [10, 10, 10, 255]);
    assert.deepEqual([...paintValues([3], 0, neg, mid, pos)], [10, 10, 10, 255]);
  });
});
