import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ElsaMetadata } from '../../src/protocol/checkpoint';
import {
  buildSummary, codeStatistics, downsampleCodes, heatmapGrid, heatmapOf, levelSparsityFromCounts, magnitudeHistogram, matrixView,
} from '../../src/core/inspectViews';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const int = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

describe('matrixView', () => {
  it('puts a conv kernel [kh,kw,cin,cout] as rows kh*kw*cin, cols cout', () => {
    assert.deepEqual(matrixView([3, 3, 16, 32]), { rows: 144, cols: 32 });
    assert.deepEqual(matrixView([784, 300]), { rows: 784, cols: 300 });
    assert.deepEqual(matrixView([10]), { rows: 1, cols: 10 });
    assert.deepEqual(matrixView([]), { rows: 1, cols: 1 });
  });
});

describe('downsampleCodes', () => {
  it('keeps small matrices exact', () => {
    const codes = [1, 2, 3, 4, 5, 1];
    assert.deepEqual(downsampleCodes(codes, 2, 3, 6), { rows: 2, cols: 3, codes, reduction: 'exact' });
  });

  it('stays within the cell budget and keeps the minimum code of each block (random shapes)', () => {
    const r = rng(7);
    for (let trial = 0; trial < 60; trial++) {
      const rows = int(r, 1, 300);
      const cols = int(r, 1, 300);
      const maxCells = int(r, 1, 2000);
      const codes = Uint8Array.from({ length: rows * cols }, () => int(r, 1, 5));
      const ds = downsampleCodes(codes, rows, cols, maxCells);
      assert.ok(ds.rows * ds.cols <= Math.max(maxCells, 1), `${rows}x${cols} -> ${ds.rows}x${ds.cols} over ${maxCells}`);
      assert.ok(ds.rows >= 1 && ds.cols >= 1 && ds.rows <= rows && ds.cols <= cols);
      // Brute force: every cell is the min over the source entries that map to it.
      const expected = new Array<number>(ds.rows * ds.cols).fill(Infinity);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
        const cell = Math.floor((i * ds.rows) / rows) * ds.cols + Math.floor((j * ds.cols) / cols);
        expected[cell] = Math.min(expected[cell], codes[i * cols + j]);
      }
      assert.deepEqual(ds.codes, expected);
      assert.ok(ds.codes.every((c) => Number.isFinite(c)), 'no empty cells');
    }
  });

  it('never loses the sparsest level present anywhere', () => {
    const codes = new Uint8Array(1000 * 1000).fill(5);
    codes[123456] = 1;
    const ds = downsampleCodes(codes, 1000, 1000, 100);
    assert.equal(Math.min(...ds.codes), 1);
  });

  it('keeps a long row vector wide rather than squaring it', () => {
    assert.deepEqual(heatmapGrid(1, 100000, 1000), { rows: 1, cols: 1000 });
  });
});

describe('code statistics', () => {
  it('level sparsity is the share of codes above the level, ending at 0 for dense', () => {
    const { counts, share, invalid } = codeStatistics([1, 1, 2, 3, 3, 3, 4, 4], 4);
    assert.deepEqual(counts, [2, 1, 3, 2]);
    assert.deepEqual(share, [0.25, 0.125, 0.375, 0.25]);
    assert.equal(invalid, 0);
    assert.deepEqual(levelSparsityFromCounts(counts), [0.75, 0.625, 0.25, 0]);
  });

  it('counts codes outside 1..K+1 as invalid', () => {
    assert.equal(codeStatistics([0, 1, 5, 2], 3).invalid, 2);
  });
});

describe('magnitudeHistogram', () => {
  it('level k counts exactly the weights with code <= k, and rows are nested', () => {
    const r = rng(3);
    for (let trial = 0; trial < 20; trial++) {
      const n = int(r, 1, 500);
      const levels = int(r, 2, 6);
      const weights = Float32Array.from({ length: n }, () => (r() - 0.5) * 4);
      const codes = Uint8Array.from({ length: n }, () => int(r, 1, levels));
      const h = magnitudeHistogram('w', weights, codes, levels, int(r, 1, 30));
      assert.equal(h.counts.length, levels);
      for (let k = 1; k <= levels; k++) {
        const total = h.counts[k - 1].reduce((a, b) => a + b, 0);
        assert.equal(total, codes.filter((c) => c <= k).length);
        if (k > 1) h.counts[k - 1].forEach((c, b) => assert.ok(c >= h.counts[k - 2][b]));
      }
      assert.equal(h.edges.length, h.counts[0].length + 1);
      assert.equal(h.edges.at(-1), Math.max(...Array.from(weights, Math.abs)));
    }
  });

  it('has one row of all weights for files without codes', () => {
    const h = magnitudeHistogram('w', [0, 0.5, -1], undefined, 0, 2);
    assert.deepEqual(h.counts, [[1, 2]]);
    assert.equal(h.levelCount, 1);
  });

  it('handles an all-zero tensor', () => {
    const h = magnitudeHistogram('w', [0, 0], undefined, 0, 4);
    assert.deepEqual(h.counts[0], [2, 0, 0, 0]);
  });
});

function meta(levels: ElsaMetadata['levels'], codes: Record<string, string>): ElsaMetadata {
  return { format: 'elsa/1', levels, targets: [0.75, 0.5], codes, packing: 'bits2' };
}

describe('buildSummary', () => {
  const codes = Uint8Array.from([1, 2, 2, 3, 3, 3, 3, 3]);
  const good = meta([
    { index: 1, targetSparsity: 0.75, sparsity: 0.875, metrics: { accuracy: 0.8 }, layerSparsity: { w: 0.875 } },
    { index: 2, targetSparsity: 0.5, sparsity: 0.625, metrics: {}, layerSparsity: { w: 0.625 } },
    { index: 3, targetSparsity: 0, sparsity: 0, dense: true, metrics: {} },
  ], { w: 'elsa.codes/w' });

  it('measures per-layer level sparsity and code shares, and passes the nesting check', () => {
    const s = buildSummary({ uri: 'file:///a', fileName: 'a.elsa.safetensors', fileSize: 10, meta: good, layers: [{ name: 'w', shape: [2, 4], codes }] });
    assert.equal(s.levelCount, 3);
    assert.deepEqual(s.layers[0].levelSparsity, [0.875, 0.625, 0]);
    assert.deepEqual(s.layers[0].codeShare, [0.125, 0.25, 0.625]);
    assert.equal(s.layers[0].params, 8);
    assert.equal(s.nestingOk, true);
    assert.equal(s.nestingProblems, undefined);
  });

  it('fails the check when the metadata disagrees with the codes', () => {
    const bad = meta([{ index: 1, targetSparsity: 0.75, sparsity: 0.5, metrics: {}, layerSparsity: { w: 0.5 } }], { w: 'elsa.codes/w' });
    const s = buildSummary({ uri: 'u', fileName: 'f', fileSize: 1, meta: bad, layers: [{ name: 'w', shape: [8], codes }] });
    assert.equal(s.nestingOk, false);
    assert.ok(s.nestingProblems!.some((p) => p.includes('w: level 1 sparsity')));
  });

  it('fails the check on codes outside 1..K+1', () => {
    const s = buildSummary({ uri: 'u', fileName: 'f', fileSize: 1, meta: good, layers: [{ name: 'w', shape: [8], codes: Uint8Array.from([1, 2, 9, 3, 3, 3, 3, 3]) }] });
    assert.equal(s.nestingOk, false);
  });

  it('reports foreign files with their zero share and no levels', () => {
    const s = buildSummary({ uri: 'u', fileName: 'f.safetensors', fileSize: 1, layers: [{ name: 'x', shape: [4, 4], zeroShare: 0.5 }] });
    assert.equal(s.levelCount, 0);
    assert.deepEqual(s.layers[0].levelSparsity, [0.5]);
    assert.equal(s.nestingOk, true);
  });
});

describe('heatmapOf', () => {
  it('reports the source view, shares and the reduction used', () => {
    const codes = Uint8Array.from({ length: 3 * 3 * 4 * 8 }, (_, i) => 1 + (i % 3));
    const h = heatmapOf('conv/kernel', [3, 3, 4, 8], codes, 3, 64);
    assert.equal(h.sourceRows, 36);
    assert.equal(h.sourceCols, 8);
    assert.ok(h.rows * h.cols <= 64);
    assert.equal(h.reduction, 'min');
    assert.equal(h.codes.length, h.rows * h.cols);
    assert.ok(Math.abs(h.codeShare.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  });
});

describe('summary of layers too large to read', () => {
  it('derives code shares from the recorded per-level sparsity', () => {
    const m: ElsaMetadata = {
      format: 'elsa/1', targets: [0.9, 0.5], codes: { big: 'elsa.codes/big' }, packing: 'bits2',
      levels: [
        { index: 1, targetSparsity: 0.9, sparsity: 0.9, metrics: {}, layerSparsity: { big: 0.9 } },
        { index: 2, targetSparsity: 0.5, sparsity: 0.5, metrics: {}, layerSparsity: { big: 0.5 } },
        { index: 3, targetSparsity: 0, sparsity: 0, dense: true, metrics: {}, layerSparsity: { big: 0 } },
      ],
    };
    const s = buildSummary({ uri: 'u', fileName: 'f', fileSize: 1, meta: m, layers: [{ name: 'big', shape: [100000, 10000], recordedLevelSparsity: [0.9, 0.5, 0] }] });
    assert.deepEqual(s.layers[0].levelSparsity, [0.9, 0.5, 0]);
    assert.deepEqual(s.layers[0].codeShare.map((x) => Number(x.toFixed(12))), [0.1, 0.4, 0.5]);
    assert.equal(s.nestingOk, true);
  });
});

describe('zero-pattern downsampling', () => {
  it('uses the most common of zero and nonzero per block, not "nonzero if any"', async () => {
    const { downsampleCodes } = await import('../../src/core/inspectViews');
    // 4x4 -> 2x2: top-left block one nonzero of four, others all zero except bottom-right all nonzero.
    const codes = [1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 2, 2, 1, 1];
    assert.deepEqual(downsampleCodes(codes, 4, 4, 4, 'mode').codes, [2, 2, 2, 1]);
    assert.deepEqual(downsampleCodes(codes, 4, 4, 4, 'min').codes, [1, 2, 2, 1]);
  });
});
