/**
 * An independent baseline is one sparse network: its checkpoint lists its one level, not a second "dense"
 * level measured at 0 % that is really the same mostly-zero network.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine } from '../../../src/core/engine/backend';
import { loadLevelModel } from '../../../src/core/method/extract';
import { runPaths } from '../../../src/core/run';
import { recordRun } from './recordedRun';

describe('independent baseline checkpoint', () => {
  before(async () => {
    await initEngine('wasm');
  });
  it('has exactly its one level, on target, and no dense level to extract', async () => {
    const run = await recordRun({ levels: [0.9, 0.5], sparsifier: { type: 'magnitude' }, epochs: { warmup: 1, perPhase: 2, dense: 0 } }, 'independent');
    assert.equal(run.meta.kind, 'independent');
    assert.deepEqual(run.meta.targets, [0.9]);
    assert.deepEqual(run.meta.levels.map((l) => [l.index, l.targetSparsity, l.dense ?? false]), [[1, 0.9, false]]);
    assert.ok(Math.abs(run.meta.levels[0].sparsity - 0.9) < 1e-6);
    assert.equal(run.meta.training?.status, 'complete');
    assert.ok(!run.events.some((e) => e.type === 'level-done' && e.level === 2), 'no level 2 event');
    await assert.rejects(() => loadLevelModel(runPaths(run.config).checkpoint, 2), /level 2 does not exist: an independent baseline has one level \(1, 90 % sparse\)/);
  });
});
