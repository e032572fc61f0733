/**
 * The heatmap's cell <-> weight mapping: the starts the host sends are exactly the inverse of the downsampling
 * (every weight lies in the range of the cell it was counted in), the downsampled codes and the value
 * statistics are those of exactly those ranges, and the 784×128 case the old webview maths got wrong.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cellContaining, cellOf, cellStarts, cellValues } from '../../src/core/heatmapGrid';
import { heatmapOf } from '../../src/core/inspectViews';
import { createRng } from '../../src/core/random';

describe('heatmap grid mapping', () => {
  it('starts invert the downsampling map on every axis (random sizes)', () => {
    const rng = createRng(1);
    for (let t = 0; t < 300; t++) {
      const source = 1 + rng.int(3000);
      const cells = 1 + rng.int(source);
      const starts = cellStarts(cells, source);
      assert.equal(starts[0], 0);
      assert.equal(starts[cells], source);
      for (let i = 0; i < cells; i++) assert.ok(starts[i + 1] > starts[i], `empty cell ${i} of ${cells} over ${source}`);
      for (let r = 0; r < source; r++) {
        const c = cellOf(r, cells, source);
        assert.ok(starts[c] <= r && r < starts[c + 1], `${source}->${cells}: index ${r} in cell ${c} [${starts[c]}, ${starts[c + 1]})`);
        if (r % 7 === 0) assert.equal(cellContaining(starts, r), c);
      }
    }
    assert.equal(cellContaining([0, 2, 4], 4), -1);
  });

  it('a downsampled cell holds the smallest code of exactly its weight ranges, and values their statistics', () => {
    const rng = createRng(2);
    for (let t = 0; t < 40; t++) {
      const rows = 1 + rng.int(120);
      const cols = 1 + rng.int(120);
      const codes = Array.from({ length: rows * cols }, () => 1 + rng.int(4));
      const values = Float32Array.from({ length: rows * cols }, () => rng.normal());
      const hm = heatmapOf('w', [rows, cols], codes, 4, 1 + rng.int(400));
      const v = cellValues(values, hm.rowStarts, hm.colStarts);
      for (let r = 0; r < hm.rows; r++) {
        for (let c = 0; c < hm.cols; c++) {
          let minCode = Infinity;
          let lo = Infinity;
          let hi = -Infinity;
          let sum = 0;
          let n = 0;
          for (let i = hm.rowStarts[r]; i < hm.rowStarts[r + 1]; i++) {
            for (let j = hm.colStarts[c]; j < hm.colStarts[c + 1]; j++) {
              minCode = Math.min(minCode, codes[i * cols + j]);
              lo = Math.min(lo, values[i * cols + j]);
              hi = Math.max(hi, values[i * cols + j]);
              sum += values[i * cols + j];
              n++;
            }
          }
          const cell = r * hm.cols + c;
          assert.equal(hm.codes[cell], minCode, `t ${t} cell ${r},${c}`);
          assert.ok(Math.abs(v.min[cell] - lo) <= 1e-5 * Math.abs(lo) + 1e-12 && Math.abs(v.max[cell] - hi) <= 1e-5 * Math.abs(hi) + 1e-12);
          assert.ok(Math.abs(v.mean[cell] - sum / n) <= 1e-5 * Math.abs(sum / n) + 1e-9);
        }
      }
      // The colour scale: 98 % of the cells' |mean| at or below it, it being one of them.
      const mags = v.mean.map(Math.abs);
      assert.ok(mags.includes(v.scale));
      assert.ok(mags.filter((m) => m <= v.scale).length >= 0.98 * (mags.length - 1));
    }
  });

  it('784×128 at 160×160 cells: cell row 300 holds rows 596–597 (a fixed 2-row block would say 600–601)', () => {
    const hm = heatmapOf('dense1/kernel', [784, 128], new Uint8Array(784 * 128).fill(1), 2, 160 * 160);
    assert.deepEqual([hm.rows, hm.cols], [395, 64]);
    assert.deepEqual(hm.rowStarts.slice(300, 302), [596, 598]);
    assert.equal(cellOf(596, 395, 784), 300);
    assert.equal(cellOf(597, 395, 784), 300);
    assert.equal(cellOf(600, 395, 784), 302);
  });
});
