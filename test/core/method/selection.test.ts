/**
 * The selection rules on their own, over random shapes, frozen sets and sparsities: each keeps exactly its
 * count, never drops a frozen weight, and keeps the largest free magnitudes (globally, per layer, or per N:M
 * group). Plus the schedules, the quickselect threshold and level lookup.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveLevel } from '../../../src/core/method/levels';
import { acdcSparsity } from '../../../src/core/method/sparsifiers/acdc';
import { gmpSparsity } from '../../../src/core/method/sparsifiers/gmp';
import { oneShotSparsity } from '../../../src/core/method/sparsifiers/magnitude';
import { kthSmallest, selectGlobalMagnitude, selectLayerMagnitude, selectNM } from '../../../src/core/method/sparsifiers/select';
import type { SparsifiableTensor } from '../../../src/core/method/sparsifiers/types';
import { createRng } from '../../../src/core/random';

type Rng = ReturnType<typeof createRng>;

/** Random tensors (fan-in a multiple of 4) with some exact ties at 0 and a random frozen set of `frozenShare`. */
function randomTensors(rng: Rng, frozenShare: number): SparsifiableTensor[] {
  return Array.from({ length: 1 + rng.int(4) }, (_, t) => {
    const shape = rng.next() < 0.5 ? [4 * (1 + rng.int(12)), 1 + rng.int(9)] : [1 + rng.int(3), 1 + rng.int(3), 4 * (1 + rng.int(3)), 1 + rng.int(6)];
    const size = shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: size }, () => (rng.next() < 0.1 ? 0 : rng.normal()));
    const frozen = Uint8Array.from({ length: size }, () => (rng.next() < frozenShare ? 1 : 0));
    return { name: `w${t}`, shape, values, frozen };
  });
}

/** Kept ⊇ frozen, and no dropped free weight is larger than a kept free one (within `group` of indices). */
function checkCriterion(tensors: SparsifiableTensor[], masks: Uint8Array[], groups: (t: number) => number[][], label: string) {
  tensors.forEach((t, j) => {
    for (let i = 0; i < t.values.length; i++) if (t.frozen[i] && !masks[j][i]) assert.fail(`${label}: frozen ${t.name}[${i}] dropped`);
    for (const g of groups(j)) {
      let minKept = Infinity;
      let maxDropped = -Infinity;
      for (const i of g) {
        if (t.frozen[i]) continue;
        const m = Math.abs(t.values[i]);
        if (masks[j][i]) minKept = Math.min(minKept, m);
        else maxDropped = Math.max(maxDropped, m);
      }
      assert.ok(maxDropped <= minKept, `${label}: ${t.name} dropped ${maxDropped} but kept ${minKept}`);
    }
  });
}

const sum = (a: Uint8Array) => a.reduce((n, v) => n + v, 0);

describe('selection rules', () => {
  it('global magnitude: exact count over all tensors, frozen kept, largest free kept (300 random cases)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rng = createRng(seed);
      const tensors = randomTensors(rng, rng.next() * 0.3);
      const s = rng.next();
      const masks = selectGlobalMagnitude(tensors, s);
      const total = tensors.reduce((n, t) => n + t.values.length, 0);
      const frozen = tensors.reduce((n, t) => n + sum(t.frozen), 0);
      assert.equal(masks.reduce((n, m) => n + sum(m), 0), Math.max(frozen, Math.round((1 - s) * total)), `seed ${seed}`);
      // Global: one group spanning every tensor.
      const flat: SparsifiableTensor = { name: 'all', shape: [total], values: new Float32Array(total), frozen: new Uint8Array(total) };
      let o = 0;
      const flatMask = new Uint8Array(total);
      tensors.forEach((t, j) => {
        flat.values.set(t.values, o);
        flat.frozen.set(t.frozen, o);
        flatMask.set(masks[j], o);
        o += t.values.length;
      });
      checkCriterion([flat], [flatMask], () => [Array.from(flat.values.keys())], `seed ${seed}`);
    }
  });

  it('layer-wise magnitude: exact count per tensor, frozen kept, largest free kept (300 random cases)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rng = createRng(seed);
      const tensors = randomTensors(rng, rng.next() * 0.3);
      const s = rng.next();
      const masks = selectLayerMagnitude(tensors, s);
      tensors.forEach((t, j) => assert.equal(sum(masks[j]), Math.max(sum(t.frozen), Math.round((1 - s) * t.values.length)), `seed ${seed}, ${t.name}`));
      checkCriterion(tensors, masks, (j) => [Array.from(tensors[j].values.keys())], `seed ${seed}`);
    }
  });

  it('N:M: n per group of m fan-in weights, frozen ones count towards n, largest free kept (200 random cases)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rng = createRng(seed);
      const tensors = randomTensors(rng, 0);
      const m = 4;
      // Frozen: at most `f` per group, as an earlier N:M level leaves them.
      const f = rng.int(3);
      const n = f + 1 + rng.int(m - f - 1);
      const groupsOf = (t: SparsifiableTensor) => {
        const cols = t.shape[t.shape.length - 1];
        const rows = t.values.length / cols;
        const out: number[][] = [];
        for (let c = 0; c < cols; c++) for (let r0 = 0; r0 < rows; r0 += m) out.push(Array.from({ length: m }, (_, r) => (r0 + r) * cols + c));
        return out;
      };
      for (const t of tensors) {
        for (const g of groupsOf(t)) {
          const offset = rng.int(m);
          for (let r = 0; r < f; r++) t.frozen[g[(r + offset) % m]] = 1;
        }
      }
      const masks = selectNM(tensors, n, m);
      tensors.forEach((t, j) => {
        for (const g of groupsOf(t)) {
          const kept = g.reduce((k, i) => k + masks[j][i], 0);
          const frozen = g.reduce((k, i) => k + t.frozen[i], 0);
          assert.equal(kept, Math.max(n, frozen), `seed ${seed}: group ${g[0]} of ${t.name}`);
        }
      });
      checkCriterion(tensors, masks, (j) => groupsOf(tensors[j]), `seed ${seed}`);
    }
  });

  it('kthSmallest agrees with a sort for random arrays with ties', () => {
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

describe('schedules', () => {
  it('GMP: cubic from start to target, then flat', () => {
    assert.equal(gmpSparsity(0, 0, 0.9, 0.75), 0);
    assert.equal(gmpSparsity(0.75, 0, 0.9, 0.75), 0.9);
    assert.equal(gmpSparsity(1, 0, 0.9, 0.75), 0.9);
    let prev = -1;
    for (let p = 0; p <= 1; p += 0.01) {
      const s = gmpSparsity(p, 0, 0.9, 0.75);
      assert.ok(s >= prev, 'monotone');
      prev = s;
    }
    assert.ok(gmpSparsity(0.25, 0, 0.9, 0.75) > 0.9 * 0.6, 'cubic: most pruning happens early');
  });

  it('one-shot: dense until rampFraction, the target from there on', () => {
    assert.equal(oneShotSparsity(0, 0, 0.9, 0.5), 0);
    assert.equal(oneShotSparsity(0.49, 0, 0.9, 0.5), 0);
    assert.equal(oneShotSparsity(0.5, 0, 0.9, 0.5), 0.9);
    assert.equal(oneShotSparsity(0.99, 0, 0.9, 0.5), 0.9);
  });

  it('AC/DC: dense start, alternating stretches, compressed from rampFraction on', () => {
    assert.equal(acdcSparsity(0, 0, 0.8, 0.75), 0);
    const seen = new Set<number>();
    for (let p = 0.075; p < 0.75; p += 0.01) seen.add(acdcSparsity(p, 0, 0.8, 0.75));
    assert.deepEqual([...seen].sort(), [0, 0.8]);
    assert.equal(acdcSparsity(0.8, 0, 0.8, 0.75), 0.8);
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
