/**
 * Nesting, on the real trainer's output (not a re-implementation of code assignment): for every sparsifier,
 * each level keeps exactly its count of weights (globally, per layer, or per N:M group), the live network at
 * the end of phase k is zero outside level k and nested in the network of phase k+1, the sparsifier is always
 * given exactly the earlier levels as frozen and keeps them, codes are never reassigned, and each schedule is
 * the one asked for (GMP prunes gradually, one-shot once).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine } from '../../../src/core/engine/backend';
import { gmpSparsity } from '../../../src/core/method/sparsifiers/gmp';
import { finalSelection, recordRun, type RecordedRun } from './recordedRun';

const count = (a: Uint8Array, pred: (v: number) => boolean) => a.reduce((n, v) => n + (pred(v) ? 1 : 0), 0);

function checkLevelCounts(run: RecordedRun, scope: 'global' | 'layer' | 'nm') {
  const { levels } = run.config;
  const total = [...run.codes.values()].reduce((n, c) => n + c.length, 0);
  levels.forEach((s, j) => {
    const k = j + 1;
    if (scope === 'global') {
      const kept = [...run.codes.values()].reduce((n, c) => n + count(c, (v) => v <= k), 0);
      assert.equal(kept, Math.round((1 - s) * total), `level ${k}: ${kept} weights kept of ${total}`);
    } else if (scope === 'layer') {
      for (const [name, c] of run.codes) assert.equal(count(c, (v) => v <= k), Math.round((1 - s) * c.length), `level ${k}, ${name}`);
    } else {
      const m = run.config.sparsifier.m;
      const n = Math.round((1 - s) * m);
      for (const [name, c] of run.codes) {
        const shape = run.shapes.get(name)!;
        const cols = shape[shape.length - 1];
        const rows = c.length / cols;
        assert.equal(rows % m, 0, 'test models have whole groups');
        for (let col = 0; col < cols; col++) {
          for (let r0 = 0; r0 < rows; r0 += m) {
            let inLevel = 0;
            for (let r = r0; r < r0 + m; r++) inLevel += c[r * cols + col] <= k ? 1 : 0;
            if (inLevel !== n) assert.fail(`${name}: group at row ${r0}, column ${col} has ${inLevel} weights in level ${k}, expected ${n}`);
          }
        }
      }
    }
    const measured = run.meta.levels[j].sparsity;
    const exact = [...run.codes.values()].reduce((n, c) => n + count(c, (v) => v > k), 0) / total;
    assert.equal(measured, exact, `level ${k}: reported sparsity ${measured}, codes say ${exact}`);
  });
}

/** Live masks: zero outside level k at the end of phase k, and level k's weights untouched afterwards. */
function checkLiveNesting(run: RecordedRun) {
  const K = run.config.levels.length;
  for (let k = 1; k <= K; k++) {
    const now = run.atPhaseEnd.get(k)!;
    for (const [name, codes] of run.codes) {
      const w = now.get(name)!;
      let support = 0;
      for (let i = 0; i < codes.length; i++) {
        if (codes[i] > k && w[i] !== 0) assert.fail(`${name}[${i}] (code ${codes[i]}) is ${w[i]} at the end of phase ${k}: outside level ${k}`);
        if (codes[i] <= k && w[i] !== 0) support++;
      }
      assert.ok(support > 0, `${name}: level ${k} is empty`);
      for (let later = k + 1; later <= K + 1; later++) {
        const then = run.atPhaseEnd.get(later)!.get(name)!;
        for (let i = 0; i < codes.length; i++) {
          if (codes[i] <= k && !Object.is(w[i], then[i])) assert.fail(`${name}[${i}] of level ${k} changed by phase ${later}: M_${k} ⊄ M_${later}`);
        }
      }
    }
  }
}

/** Every selection sees exactly the earlier levels as frozen and keeps them; level k is what phase k added. */
function checkFrozenSets(run: RecordedRun) {
  const K = run.config.levels.length;
  for (const sel of run.selections) {
    sel.names.forEach((name, j) => {
      const codes = run.codes.get(name)!;
      for (let i = 0; i < codes.length; i++) {
        const shouldFreeze = codes[i] <= sel.phase - 1 ? 1 : 0;
        if (sel.frozen[j][i] !== shouldFreeze) assert.fail(`phase ${sel.phase}, step ${sel.stepInPhase}: ${name}[${i}] (code ${codes[i]}) passed as frozen=${sel.frozen[j][i]}`);
        if (shouldFreeze && !sel.masks[j][i]) assert.fail(`phase ${sel.phase}: the sparsifier dropped frozen ${name}[${i}]`);
      }
    });
  }
  for (let k = 1; k <= K; k++) {
    const sel = finalSelection(run, k);
    sel.names.forEach((name, j) => {
      const codes = run.codes.get(name)!;
      for (let i = 0; i < codes.length; i++) {
        const added = sel.masks[j][i] === 1 && sel.frozen[j][i] === 0;
        if (added !== (codes[i] === k)) assert.fail(`${name}[${i}]: selected=${added} at the end of phase ${k} but code ${codes[i]}`);
      }
    });
  }
}

const SPARSIFIERS = [
  { label: 'GMP, global', scope: 'global', overrides: { sparsifier: { type: 'gmp', scope: 'global', pruneEvery: 3 } } },
  { label: 'GMP, layer-wise', scope: 'layer', overrides: { sparsifier: { type: 'gmp', scope: 'layer', pruneEvery: 2 } } },
  { label: 'one-shot magnitude, global', scope: 'global', overrides: { sparsifier: { type: 'magnitude', scope: 'global' } } },
  { label: 'one-shot magnitude, layer-wise', scope: 'layer', overrides: { sparsifier: { type: 'magnitude', scope: 'layer' } } },
  { label: 'N:M 1:4 ⊂ 2:4 ⊂ 3:4', scope: 'nm', overrides: { sparsifier: { type: 'nm', m: 4 }, levels: [0.75, 0.5, 0.25] } },
  { label: 'AC/DC, layer-wise', scope: 'layer', overrides: { sparsifier: { type: 'acdc', scope: 'layer' } } },
] as const;

describe('nesting on the real trainer', () => {
  before(async () => {
    await initEngine('wasm');
  });
  for (const { label, scope, overrides } of SPARSIFIERS) {
    it(`${label}: exact counts per level, nested live masks, frozen sets exact and kept`, async () => {
      const run = await recordRun({ levels: [0.9, 0.6, 0.3], ...overrides });
      assert.equal(run.meta.levels.length, run.config.levels.length + 1);
      checkLevelCounts(run, scope);
      checkLiveNesting(run);
      checkFrozenSets(run);
    });
  }

  it('GMP follows its cubic schedule inside every phase (it is not a one-shot)', async () => {
    const run = await recordRun({ sparsifier: { type: 'gmp', scope: 'global', pruneEvery: 2 }, levels: [0.9, 0.5], epochs: { warmup: 1, perPhase: 2, dense: 1 } });
    const steps = 2 * run.stepsPerEpoch;
    for (const [k, target] of run.config.levels.map((s, j) => [j + 1, s])) {
      const sels = run.selections.filter((s) => s.phase === k);
      assert.ok(sels.length >= 4, `phase ${k}: ${sels.length} mask updates`);
      for (const s of sels) {
        const expected = s.stepInPhase >= steps - 1 ? target : gmpSparsity(s.stepInPhase / steps, 0, target, run.config.sparsifier.rampFraction);
        assert.equal(s.sparsity, expected, `phase ${k}, step ${s.stepInPhase}`);
        assert.equal(s.stepInPhase % 2 === 0 || s.stepInPhase >= steps - 1, true, `phase ${k}: update at step ${s.stepInPhase}, not every 2 steps`);
      }
      for (let i = 1; i < sels.length; i++) assert.ok(sels[i].sparsity > sels[i - 1].sparsity, `phase ${k}: sparsity must rise gradually`);
      assert.ok(sels[0].sparsity < 0.6 * target, `phase ${k}: first update already at ${sels[0].sparsity}`);
    }
  });

  for (const type of ['magnitude', 'nm'] as const) {
    it(`${type}: one selection per phase, after training the free weights for rampFraction of it`, async () => {
      const run = await recordRun({ sparsifier: { type, scope: 'global', m: 4, rampFraction: 0.5 }, levels: [0.75, 0.5], epochs: { warmup: 1, perPhase: 2, dense: 1 } });
      const steps = 2 * run.stepsPerEpoch;
      for (const k of [1, 2]) {
        const sels = run.selections.filter((s) => s.phase === k);
        assert.deepEqual(sels.map((s) => [s.stepInPhase, s.sparsity]), [[steps / 2, run.config.levels[k - 1]]], `phase ${k}`);
      }
    });
  }
});
