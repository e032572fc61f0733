/**
 * Nesting over random shapes, levels and seeds: running each sparsifier's selection phase after phase (with
 * the earlier levels frozen) gives codes whose masks are nested, hit their sparsity, and never drop a frozen
 * weight.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeStatistics, levelSparsityFromCounts } from '../../../src/core/inspectViews';
import { resolveLevel, totalSparsity } from '../../../src/core/method/levels';
import { createSparsifier } from '../../../src/core/method/sparsifiers';
import { gmpSparsity } from '../../../src/core/method/sparsifiers/gmp';
import type { SparsifiableTensor } from '../../../src/core/method/sparsifiers/types';
import { createRng } from '../../../src/core/random';

function randomTensors(seed: number): SparsifiableTensor[] {
  const rng = createRng(seed);
  const count = 1 + rng.int(4);
  return Array.from({ length: count }, (_, t) => {
    const shape = rng.next() < 0.5 ? [4 * (1 + rng.int(12)), 1 + rng.int(9)] : [1 + rng.int(3), 1 + rng.int(3), 4 * (1 + rng.int(3)), 1 + rng.int(6)];
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = rng.normal() * (rng.next() < 0.1 ? 0 : 1); // some exact ties at 0
    return { name: `w${t}`, shape, values, frozen: new Uint8Array(size) };
  });
}

function randomLevels(rng: ReturnType<typeof createRng>, quantum?: number): number[] {
  const K = 1 + rng.int(5);
  const set = new Set<number>();
  while (set.size < K) set.add(quantum ? (1 + rng.int(quantum - 1)) / quantum : Math.round((0.05 + 0.9 * rng.next()) * 1000) / 1000);
  return [...set].sort((a, b) => b - a);
}

/** Runs phases 1..K with selection only; returns codes per tensor. */
function assignCodes(tensors: SparsifiableTensor[], levels: number[], type: 'gmp' | 'magnitude' | 'nm' | 'acdc', scope: 'global' | 'layer', seed: number) {
  const rng = createRng(seed);
  const sparsifier = createSparsifier({ type, scope, m: 4, pruneEvery: 5, rampFraction: 0.75 });
  const K = levels.length;
  const codes = tensors.map((t) => new Uint8Array(t.values.length).fill(K + 1));
  levels.forEach((s, k) => {
    for (const [j, t] of tensors.entries()) {
      for (let i = 0; i < t.values.length; i++) {
        t.frozen[i] = codes[j][i] <= k ? 1 : 0;
        // Free weights move between phases (training), frozen ones never do.
        if (!t.frozen[i]) t.values[i] += 0.3 * rng.normal();
      }
    }
    const masks = sparsifier.select({ tensors, sparsity: s });
    masks.forEach((mask, j) => {
      for (let i = 0; i < mask.length; i++) {
        if (tensors[j].frozen[i]) assert.equal(mask[i], 1, 'a frozen weight was dropped');
        if (mask[i] && codes[j][i] === K + 1) codes[j][i] = k + 1;
      }
    });
  });
  return codes;
}

describe('nested masks', () => {
  for (const [type, scope] of [['gmp', 'global'], ['gmp', 'layer'], ['magnitude', 'global'], ['acdc', 'layer']] as const) {
    it(`${type} (${scope}): nested, on target, over 60 random cases`, () => {
      for (let seed = 1; seed <= 60; seed++) {
        const rng = createRng(seed * 7919);
        const tensors = randomTensors(seed);
        const levels = randomLevels(rng);
        const codes = assignCodes(tensors, levels, type, scope, seed);
        const total = tensors.reduce((n, t) => n + t.values.length, 0);
        levels.forEach((s, k) => {
          const measured = totalSparsity(codes, k + 1);
          // Global: exact up to rounding one weight; layer-wise: one weight per tensor.
          const slack = (scope === 'global' ? 1 : tensors.length) / total + 1e-12;
          assert.ok(Math.abs(measured - s) <= Math.max(slack, 0), `seed ${seed} level ${k + 1}: sparsity ${measured} vs ${s}`);
        });
        for (const c of codes) {
          const sp = levelSparsityFromCounts(codeStatistics(c, levels.length + 1).counts);
          for (let k = 1; k < sp.length; k++) assert.ok(sp[k] <= sp[k - 1], `seed ${seed}: level ${k + 1} sparser than level ${k}`);
          assert.equal(sp[sp.length - 1], 0);
        }
      }
    });
  }

  it('N:M: every group of 4 keeps exactly N per level, groups nested (1:4 ⊂ 2:4 ⊂ 3:4)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const tensors = randomTensors(seed).map((t) => ({ ...t, shape: [8 * (1 + (seed % 5)), t.shape[t.shape.length - 1]], values: t.values.subarray(0, 0) }));
      for (const t of tensors) {
        const rng = createRng(seed);
        t.values = Float32Array.from({ length: t.shape[0] * t.shape[1] }, () => rng.normal());
        t.frozen = new Uint8Array(t.values.length);
      }
      const codes = assignCodes(tensors, [0.75, 0.5, 0.25], 'nm', 'layer', seed);
      tensors.forEach((t, j) => {
        const cols = t.shape[1];
        for (let c = 0; c < cols; c++) {
          for (let r0 = 0; r0 < t.shape[0]; r0 += 4) {
            for (let level = 1; level <= 3; level++) {
              let n = 0;
              for (let r = r0; r < r0 + 4; r++) if (codes[j][r * cols + c] <= level) n++;
              assert.equal(n, level, `seed ${seed}: group at row ${r0}, col ${c} keeps ${n} at level ${level}`);
            }
          }
        }
      });
    }
  });

  it('GMP cubic schedule goes from start to target and stays there after the ramp', () => {
    assert.equal(gmpSparsity(0, 0, 0.9, 0.75), 0);
    assert.equal(gmpSparsity(0.75, 0, 0.9, 0.75), 0.9);
    assert.equal(gmpSparsity(1, 0, 0.9, 0.75), 0.9);
    let prev = -1;
    for (let p = 0; p <= 1; p += 0.01) {
      const s = gmpSparsity(p, 0, 0.9, 0.75);
      assert.ok(s >= prev, 'monotone');
      prev = s;
    }
    // Cubic: most pruning happens early.
    assert.ok(gmpSparsity(0.25, 0, 0.9, 0.75) > 0.9 * 0.6);
  });

  it('resolves levels by index or by target sparsity', () => {
    const targets = [0.95, 0.9, 0.75, 0.5];
    assert.equal(resolveLevel(2, targets), 2);
    assert.equal(resolveLevel(0.75, targets), 3);
    assert.equal(resolveLevel(0, targets), 5);
    assert.throws(() => resolveLevel(6, targets), /does not exist/);
    assert.throws(() => resolveLevel(0.6, targets), /no level with sparsity/);
  });
});

describe('selection threshold', () => {
  it('kthSmallest agrees with a sort for random arrays with ties', async () => {
    const { kthSmallest } = await import('../../../src/core/method/sparsifiers/select');
    for (let seed = 1; seed <= 200; seed++) {
      const rng = createRng(seed);
      const n = 1 + rng.int(300);
      const a = Float32Array.from({ length: n }, () => (rng.next() < 0.3 ? rng.int(4) : rng.normal()));
      const sorted = Float32Array.from(a).sort();
      const k = rng.int(n);
      assert.equal(kthSmallest(Float32Array.from(a), k), sorted[k], `seed ${seed}, k ${k}`);
    }
  });
});
