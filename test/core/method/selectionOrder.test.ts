/**
 * Level k is chosen by the sparsifier's criterion among free weights that have trained in phase k — never by
 * array index. Before the fix, a one-shot or N:M phase k ≥ 2 selected at its first step, when every free
 * weight was the +0 the previous phase left, so the lowest indices won every tie (docs/method.md).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine } from '../../../src/core/engine/backend';
import { correlation, finalSelection, recordRun, type RecordedRun, type RecordedSelection } from './recordedRun';

/** Among the weights free in phase 2, is selection (code 2) related to the flat index? */
function indexStatistics(codes: Uint8Array) {
  const index: number[] = [];
  const chosen: number[] = [];
  for (let i = 0; i < codes.length; i++) {
    if (codes[i] < 2) continue;
    index.push(i);
    chosen.push(codes[i] === 2 ? 1 : 0);
  }
  const level2 = chosen.reduce((n, v) => n + v, 0);
  // Of the level-2 weights, how many are among the `level2` lowest-index free weights (chance: level2 / free).
  const lowest = chosen.slice(0, level2).reduce((n, v) => n + v, 0);
  return { r: correlation(index, chosen), lowestShare: lowest / level2, chance: level2 / chosen.length, level2 };
}

/** The selection's free weights have trained: most are non-zero (at step 0 of phase 2 all were +0), and every kept one outranks every dropped one. */
function checkTrainedAndRanked(sel: RecordedSelection, groups: (shape: number[], size: number) => number[][]) {
  let free = 0;
  let nonZero = 0;
  sel.names.forEach((name, j) => {
    const mag = sel.magnitudes[j];
    for (let i = 0; i < mag.length; i++) {
      if (sel.frozen[j][i]) continue;
      free++;
      if (mag[i] !== 0) nonZero++;
    }
    for (const g of groups(sel.shapes[j], mag.length)) {
      let minKept = Infinity;
      let maxDropped = -Infinity;
      for (const i of g) {
        if (sel.frozen[j][i]) continue;
        if (sel.masks[j][i]) minKept = Math.min(minKept, mag[i]);
        else maxDropped = Math.max(maxDropped, mag[i]);
      }
      if (maxDropped > minKept) assert.fail(`phase ${sel.phase}, ${name}: dropped |w| ${maxDropped} > kept |w| ${minKept}`);
    }
  });
  assert.ok(sel.stepInPhase > 0, `phase ${sel.phase} selected before its first training step`);
  // Not all: weights into or out of a dead ReLU unit get no gradient.
  assert.ok(nonZero > 0.6 * free, `phase ${sel.phase}: only ${nonZero} of ${free} free weights have moved from 0 when selected`);
}

const wholeTensor = (_shape: number[], size: number) => [Array.from({ length: size }, (_, i) => i)];
const nmGroups = (m: number) => (shape: number[], size: number) => {
  const cols = shape[shape.length - 1];
  const out: number[][] = [];
  for (let c = 0; c < cols; c++) for (let r0 = 0; r0 < size / cols; r0 += m) out.push(Array.from({ length: m }, (_, r) => (r0 + r) * cols + c));
  return out;
};

function checkNoIndexOrder(run: RecordedRun, label: string) {
  for (const name of ['dense1/kernel', 'dense2/kernel']) {
    const st = indexStatistics(run.codes.get(name)!);
    assert.ok(st.level2 > 100, `${label}, ${name}: ${st.level2} level-2 weights`);
    assert.ok(Math.abs(st.r) < 0.15, `${label}, ${name}: selection correlates with index, r = ${st.r.toFixed(3)}`);
    assert.ok(st.lowestShare < st.chance + 0.15, `${label}, ${name}: ${(100 * st.lowestShare).toFixed(1)} % of level 2 are the lowest-index free weights (chance ${(100 * st.chance).toFixed(1)} %)`);
  }
}

describe('level selection is by criterion, not by index', () => {
  before(async () => {
    await initEngine('wasm');
  });
  for (const scope of ['global', 'layer'] as const) {
    it(`one-shot magnitude (${scope}), levels 0.9/0.5: level 2 = the largest trained free weights`, async () => {
      const run = await recordRun({ sparsifier: { type: 'magnitude', scope }, levels: [0.9, 0.5] });
      checkNoIndexOrder(run, `one-shot ${scope}`);
      for (const k of [1, 2]) {
        const sel = finalSelection(run, k);
        const all = wholeTensor([0], sel.magnitudes.reduce((n, m) => n + m.length, 0));
        if (scope === 'layer') checkTrainedAndRanked(sel, wholeTensor);
        else {
          // Global ranking: one group over the concatenated tensors.
          const cat = (arrays: ArrayLike<number>[], T: Float32ArrayConstructor | Uint8ArrayConstructor) => {
            const out = new T(all[0].length);
            let o = 0;
            for (const a of arrays) {
              out.set(a, o);
              o += a.length;
            }
            return out;
          };
          checkTrainedAndRanked(
            { ...sel, names: ['all'], shapes: [[all[0].length]], magnitudes: [cat(sel.magnitudes, Float32Array) as Float32Array], frozen: [cat(sel.frozen, Uint8Array) as Uint8Array], masks: [cat(sel.masks, Uint8Array) as Uint8Array] },
            wholeTensor,
          );
        }
      }
    });
  }

  it('N:M 1:4 ⊂ 2:4: the level-2 weight of a group is its largest trained free one, not its first', async () => {
    const run = await recordRun({ sparsifier: { type: 'nm', m: 4 }, levels: [0.75, 0.5] });
    checkNoIndexOrder(run, 'N:M');
    for (const name of ['dense1/kernel', 'dense2/kernel']) {
      const codes = run.codes.get(name)!;
      const cols = run.shapes.get(name)![1];
      let groups = 0;
      let firstFree = 0;
      for (const g of nmGroups(4)([0, cols], codes.length)) {
        const free = g.filter((i) => codes[i] >= 2);
        groups++;
        if (codes[free[0]] === 2) firstFree++;
      }
      // Three free weights per group: chance is 1/3.
      assert.ok(firstFree / groups < 1 / 3 + 0.1, `${name}: the level-2 weight is the lowest-index free one in ${firstFree} of ${groups} groups`);
    }
    for (const k of [1, 2]) checkTrainedAndRanked(finalSelection(run, k), nmGroups(4));
  });

  it('GMP and AC/DC never select before the free weights of a phase have trained', async () => {
    for (const sparsifier of [{ type: 'gmp', pruneEvery: 1 }, { type: 'acdc', rampFraction: 0.9 }]) {
      const run = await recordRun({ sparsifier, levels: [0.9, 0.5], epochs: { warmup: 0, perPhase: 1, dense: 1 } });
      for (const sel of run.selections) assert.ok(sel.stepInPhase > 0, `${sparsifier.type}: phase ${sel.phase} selected at step 0`);
      assert.ok(run.selections.length >= 4, `${sparsifier.type}: ${run.selections.length} selections`);
    }
  });

  it('a one-step phase selects at its end, after its step', async () => {
    const run = await recordRun({ sparsifier: { type: 'magnitude' }, levels: [0.9, 0.5], batchSize: 64, epochs: { warmup: 1, perPhase: 1, dense: 1 } }, 'elsa', 64);
    assert.equal(run.stepsPerEpoch, 1);
    assert.deepEqual(run.selections.map((s) => [s.phase, s.stepInPhase]), [[1, 1], [2, 1]]);
    checkTrainedAndRanked(finalSelection(run, 2), wholeTensor);
  });
});
