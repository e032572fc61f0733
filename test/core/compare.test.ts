/**
 * core/compare.ts on tiny hand-made checkpoints whose Jaccard indices and difference histograms are worked out
 * by hand below, plus a property test against a brute-force set computation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareStores, compareTensors, diffBin } from '../../src/core/compare';
import { isElsaError } from '../../src/core/errors';
import { memoryByteSource } from '../../src/core/io/byteSource';
import { encodeSafetensors } from '../../src/core/io/safetensors';
import { openSafetensorsStore, type TensorStore } from '../../src/core/tensorStore';
import { isCompareResult } from '../../src/protocol/compare';
import { concat, elsaStore, f32, plainStore } from '../helpers/compareFixture';
import { seededRandom } from './io/ioTestUtil';

describe('compare: hand-computed cases', () => {
  it('level 1 vs level 2 of one checkpoint: nested masks, frozen weights differ by exactly 0', async () => {
    const store = await elsaStore();
    const r = await compareStores({ store, level: 1 }, { store, level: 2 }, { bins: 4 });
    assert.ok(isCompareResult(r));
    const d = r.layers.find((l) => l.name === 'd/kernel')!;
    // |A| = 2, |B| = 4, A∩B = {0, 3}, A∪B = {0, 1, 3, 5}: J = 2/4.
    assert.deepEqual([d.keptA, d.keptB, d.intersection, d.union], [2, 4, 2, 4]);
    assert.equal(d.jaccard, 0.5);
    assert.equal(d.sharedOfA, 1);
    assert.equal(d.sharedOfB, 0.5);
    assert.equal(d.sparsityA, 0.75);
    assert.equal(d.sparsityB, 0.5);
    // Random masks of densities 1/4 and 1/2: (1/8) / (1/4 + 1/2 − 1/8) = 0.2.
    assert.ok(Math.abs(d.jaccardIfRandom - 0.2) < 1e-12);
    // Δw over the union: 0, 0 (kept by both, same value), −0.25 and −1 (kept by B only: w_B − 0).
    assert.equal(d.diff.range, 1);
    assert.deepEqual(d.diff.edges, [-1, -0.5, 0, 0.5, 1]);
    assert.deepEqual(d.diff.onlyB, [1, 1, 0, 0]);
    assert.deepEqual(d.diff.both, [0, 0, 0, 0]);
    assert.deepEqual(d.diff.onlyA, [0, 0, 0, 0]);
    assert.deepEqual([d.diff.zero, d.diff.nonFinite, d.diff.total], [2, 0, 4]);
    // The sides: accuracy, epochs (warm-up 1 + k × 2), test size from the provenance line.
    assert.deepEqual([r.a.level, r.a.accuracy, r.a.epochs, r.a.testCount, r.a.kind], [1, 0.5, 3, 20, 'elsa']);
    assert.deepEqual([r.b.level, r.b.accuracy, r.b.loss, r.b.epochs], [2, 0.6, 1.25, 5]);
    // Totals over both layers (c/kernel: level 1 keeps 2 of 6, level 2 keeps 4 of 6, nested).
    assert.deepEqual([r.total.size, r.total.keptA, r.total.keptB, r.total.intersection, r.total.union], [14, 4, 8, 4, 8]);
    assert.equal(r.total.jaccard, 0.5);
    // Random masks within each layer: expected |A∩B| = 2·4/8 + 2·4/6, |A∪B| = (2 + 4 − 1) + (2 + 4 − 4/3).
    assert.ok(Math.abs(r.total.jaccardIfRandom - (1 + 4 / 3) / (5 + 14 / 3)) < 1e-12);
    assert.deepEqual([r.onlyInA, r.onlyInB, r.shapeMismatch], [[], [], []]);
    await store.close();
  });

  it('an ELSA level against a plain file: nonzero mask, odd bins, unmatched and mismatched layers reported', async () => {
    const a = await elsaStore();
    const b = await plainStore();
    const r = await compareStores({ store: a, level: 2 }, { store: b }, { bins: 3 });
    assert.ok(isCompareResult(r));
    assert.equal(r.layers.length, 1);
    const d = r.layers[0];
    // A = {0, 1, 3, 5}, B = {1, 3, 5, 6}: A∩B = {1, 3, 5}, A∪B = {0, 1, 3, 5, 6}: J = 3/5.
    assert.deepEqual([d.keptA, d.keptB, d.intersection, d.union], [4, 4, 3, 5]);
    assert.equal(d.jaccard, 0.6);
    assert.equal(d.sharedOfA, 0.75);
    // Δw: i0 −0.5 (A only), i1 0.75, i3 0.5, i5 0 (both), i6 +0.125 (B only); range 0.75, bins of width 0.5.
    assert.equal(d.diff.range, 0.75);
    assert.deepEqual(d.diff.edges, [-0.75, -0.25, 0.25, 0.75]);
    assert.deepEqual(d.diff.onlyA, [1, 0, 0]);
    assert.deepEqual(d.diff.both, [0, 0, 2]);
    assert.deepEqual(d.diff.onlyB, [0, 1, 0]);
    assert.deepEqual([d.diff.zero, d.diff.total], [1, 5]);
    assert.deepEqual(r.b, { file: 'other.safetensors', kind: 'plain', levels: [], levelTargets: [], sparsity: 0.5 });
    assert.deepEqual([r.a.levels, r.a.levelTargets], [[1, 2, 3], [0.75, 0.5, 0]]);
    // The bias is no layer (rank 1); x/kernel exists only in B; c/kernel has another shape.
    assert.deepEqual(r.onlyInA, []);
    assert.deepEqual(r.onlyInB, ['x/kernel']);
    assert.deepEqual(r.shapeMismatch, [{ name: 'c/kernel', shapeA: [2, 3], shapeB: [3, 2] }]);
  });

  it('two empty masks have Jaccard 1 and no shares; NaN and infinite differences are counted apart', () => {
    const empty = compareTensors('e', [2], { values: [0, 0] }, undefined, { values: [0, 0] }, undefined, 4);
    assert.deepEqual([empty.union, empty.jaccard, empty.sharedOfA, empty.sharedOfB, empty.diff.range, empty.diff.total], [0, 1, null, null, 0, 0]);
    const odd = compareTensors('n', [3], { values: [NaN, 1, 2] }, undefined, { values: [1, Infinity, 3] }, undefined, 2);
    assert.deepEqual([odd.diff.nonFinite, odd.diff.zero, odd.diff.range, odd.diff.onlyA.concat(odd.diff.both, odd.diff.onlyB)], [2, 0, 1, [0, 0, 0, 1, 0, 0]]);
    assert.equal(odd.diff.total, 3);
  });

  it('puts a tiny negative difference below zero, and ±range in the outer bins', () => {
    assert.equal(diffBin(-1e-300, 1, 4), 1);
    assert.equal(diffBin(1e-300, 1, 4), 2);
    assert.equal(diffBin(-1, 1, 4), 0);
    assert.equal(diffBin(1, 1, 4), 3);
    assert.equal(diffBin(0.5, 1, 5), 3);
  });

  it('reads each tensor once when both sides are levels of one file', async () => {
    const store = await elsaStore();
    let reads = 0;
    const counting: TensorStore = { ...store, readValues: (n) => { reads++; return store.readValues(n); } };
    await compareStores({ store: counting, level: 1 }, { store: counting, level: 3 });
    assert.equal(reads, 2);
  });

  it('refuses what it cannot compare with one line naming the file', async () => {
    const a = await elsaStore();
    const b = await plainStore();
    const line = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        assert.ok(isElsaError(e), String(e));
        return e.message;
      }
      assert.fail('expected an error');
    };
    assert.match(await line(compareStores({ store: a }, { store: b })), /^run\.elsa\.safetensors: holds 3 levels: name one, e\.g\. run\.elsa\.safetensors@1/);
    assert.match(await line(compareStores({ store: a, level: 1 }, { store: b, level: 2 })), /^other\.safetensors: a plain safetensors file has no levels/);
    assert.match(await line(compareStores({ store: a, level: 7 }, { store: b })), /^run\.elsa\.safetensors: level 7 does not exist/);
    assert.match(await line(compareStores({ store: a, level: 1 }, { store: b }, { bins: 1 })), /bins must be an integer/);
    const lone = await openSafetensorsStore(memoryByteSource(concat(encodeSafetensors({ 'z/kernel': f32([1, 2], [1, 2]) })), 'lone.safetensors'));
    assert.match(await line(compareStores({ store: a, level: 1 }, { store: lone })), /no weight tensor to compare with lone\.safetensors/);
  });
});

describe('compare: property', () => {
  it('matches a brute-force set computation on random masks and values', () => {
    const rand = seededRandom(11);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rand() * 60);
      const codesA = Uint8Array.from({ length: n }, () => 1 + Math.floor(rand() * 4));
      const valuesA = Array.from({ length: n }, () => (rand() < 0.2 ? 0 : rand() * 2 - 1));
      const valuesB = Array.from({ length: n }, () => (rand() < 0.5 ? 0 : rand() * 2 - 1));
      const level = 1 + Math.floor(rand() * 4);
      const bins = 2 + Math.floor(rand() * 9);
      const r = compareTensors('t', [n], { values: valuesA, codes: codesA }, level, { values: valuesB }, undefined, bins);
      const A = new Set([...codesA.keys()].filter((i) => codesA[i] <= level));
      const B = new Set([...valuesB.keys()].filter((i) => valuesB[i] !== 0));
      const inter = [...A].filter((i) => B.has(i)).length;
      const union = new Set([...A, ...B]).size;
      assert.equal(r.intersection, inter);
      assert.equal(r.union, union);
      assert.equal(r.jaccard, union === 0 ? 1 : inter / union);
      const diffs = [...new Set([...A, ...B])].map((i) => (B.has(i) ? valuesB[i] : 0) - (A.has(i) ? valuesA[i] : 0));
      assert.equal(r.diff.zero, diffs.filter((d) => d === 0).length);
      const binned = [...r.diff.both, ...r.diff.onlyA, ...r.diff.onlyB].reduce((s, c) => s + c, 0);
      assert.equal(binned + r.diff.zero, union);
      // Every binned difference lies within its bin's edges.
      for (const d of diffs.filter((x) => x !== 0)) {
        const b = diffBin(d, r.diff.range, bins);
        assert.ok(d >= r.diff.edges[b] - 1e-12 && d <= r.diff.edges[b + 1] + 1e-12, `${d} in bin ${b} [${r.diff.edges[b]}, ${r.diff.edges[b + 1]}]`);
      }
    }
  });
});
