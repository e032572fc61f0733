/** Heatmap helpers: colouring level codes, block downsampling (bounded size, min/mode exact), sizing, hit tests. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng } from '../../src/core/random';
import type { Rgba } from '../../webview/colors';
import { blockOf, blockSize, cellAt, codeShare, downsampleCodes, fitGrid, paintLevelCodes, sourceSpan } from '../../webview/heatmap';

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

describe('heatmap downsampling', () => {
  it('never exceeds maxCells, and each min cell is the smallest code of its block (random shapes)', () => {
    for (let seed = 0; seed < 60; seed++) {
      const g = randomGrid(seed);
      const out = downsampleCodes(g, g.maxCells, 'min');
      assert.ok(out.rows * out.cols <= g.maxCells, `seed ${seed}: ${out.rows}x${out.cols} > ${g.maxCells}`);
      assert.equal(out.codes.length, out.rows * out.cols);
      assert.equal(out.rows, Math.ceil(g.rows / out.block));
      assert.equal(out.cols, Math.ceil(g.cols / out.block));
      for (let r = 0; r < out.rows; r++) {
        for (let c = 0; c < out.cols; c++) {
          let min = Infinity;
          for (let y = r * out.block; y < Math.min(g.rows, (r + 1) * out.block); y++) {
            for (let x = c * out.block; x < Math.min(g.cols, (c + 1) * out.block); x++) min = Math.min(min, g.codes[y * g.cols + x]);
          }
          assert.equal(out.codes[r * out.cols + c], min, `seed ${seed} cell ${r},${c}`);
        }
      }
    }
  });

  it('uses the smallest block that fits (one step smaller would not)', () => {
    for (let seed = 100; seed < 160; seed++) {
      const g = randomGrid(seed);
      const s = blockSize(g.rows, g.cols, g.maxCells);
      assert.ok(Math.ceil(g.rows / s) * Math.ceil(g.cols / s) <= g.maxCells);
      if (s > 1) assert.ok(Math.ceil(g.rows / (s - 1)) * Math.ceil(g.cols / (s - 1)) > g.maxCells, `seed ${seed}: block ${s} not minimal`);
    }
  });

  it('keeps a grid that fits as it is, and mode picks the most common code (ties to the smaller)', () => {
    const exact = downsampleCodes({ rows: 2, cols: 2, codes: [1, 2, 3, 4] }, 4, 'min');
    assert.deepEqual(exact, { rows: 2, cols: 2, codes: [1, 2, 3, 4], block: 1 });
    const mode = downsampleCodes({ rows: 2, cols: 4, codes: [3, 3, 2, 1, 1, 3, 1, 2] }, 2, 'mode');
    assert.deepEqual(mode.codes, [3, 1]);
    assert.deepEqual(downsampleCodes({ rows: 1, cols: 2, codes: [4, 2] }, 1, 'mode').codes, [2]);
  });

  it('rejects a code array that does not match its shape', () => {
    assert.throws(() => downsampleCodes({ rows: 2, cols: 2, codes: [1, 2, 3] }, 4, 'min'), RangeError);
  });

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
    const block = blockOf(523, 43, 1568, 128);
    assert.equal(block, 3);
    assert.deepEqual(sourceSpan(522, block, 1568), [1566, 1568]);
    assert.deepEqual(sourceSpan(0, 1, 10), [0, 1]);
  });
});
