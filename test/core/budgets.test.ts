/** Fair budgets: the epochs behind every ELSA level and every baseline a run config calls for. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baselineJobs, datasetCounts, selectBaselineJobs } from '../../src/core/budgets';
import { epochsBehind } from '../../src/protocol/levels';
import { resolveRunConfig } from '../../src/core/config';

describe('budgets', () => {
  const config = resolveRunConfig(
    { name: 'x', levels: [0.95, 0.9, 0.75, 0.5], epochs: { warmup: 1, perPhase: 2, dense: 1 }, lrSchedule: { type: 'cosine' }, optimizer: { type: 'adam' } },
    '/w/x.elsa.json',
  );

  it('counts the epochs each ELSA level has seen', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map((k) => epochsBehind(config.epochs, 4, k)), [3, 5, 7, 9, 10]);
  });

  it('trains the dense baseline as long as the dense level, and each independent network at the strict and the cheap budget', () => {
    const jobs = baselineJobs(config);
    const summary = jobs.map((j) => [j.kind, j.targets[0] ?? 0, j.budgets.join('+'), j.totalEpochs, j.file]);
    assert.deepEqual(summary, [
      ['independent', 0.95, 'cheap+strict', 3, 'independent-95-cheap-strict-3ep.safetensors'],
      ['independent', 0.9, 'strict', 5, 'independent-90-strict-5ep.safetensors'],
      ['independent', 0.9, 'cheap', 3, 'independent-90-cheap-3ep.safetensors'],
      ['independent', 0.75, 'strict', 7, 'independent-75-strict-7ep.safetensors'],
      ['independent', 0.75, 'cheap', 3, 'independent-75-cheap-3ep.safetensors'],
      ['independent', 0.5, 'strict', 9, 'independent-50-strict-9ep.safetensors'],
      ['independent', 0.5, 'cheap', 3, 'independent-50-cheap-3ep.safetensors'],
      ['dense', 0, 'strict', 10, 'dense-10ep.safetensors'],
    ]);
    for (const j of jobs) {
      // What a baseline checkpoint stores lets the report recompute its epochs; optimizer and schedule are the run's.
      assert.equal(epochsBehind(j.config.epochs, j.targets.length, 1), j.totalEpochs, j.file);
      assert.deepEqual(j.config.optimizer, config.optimizer);
      assert.deepEqual(j.config.lrSchedule, config.lrSchedule);
      assert.equal(j.config.seed, config.seed);
    }
    const strict = jobs.filter((j) => j.budgets.includes('strict') && j.kind === 'independent');
    assert.deepEqual(strict.map((j) => j.totalEpochs), [1, 2, 3, 4].map((k) => epochsBehind(config.epochs, 4, k)));
  });

  it('--only: words of one kind add up, kinds narrow each other, dense only when named, unknown words refused', () => {
    const pick = (only?: string) => selectBaselineJobs(baselineJobs(config), only).map((j) => j.file.replace(/\.safetensors$/, ''));
    assert.equal(pick().length, 8);
    assert.deepEqual(pick('0.9,strict'), ['independent-90-strict-5ep']);
    assert.deepEqual(pick('0.75,0.5,strict,dense'), ['independent-75-strict-7ep', 'independent-50-strict-9ep', 'dense-10ep']);
    assert.deepEqual(pick('dense,0.9'), ['independent-90-strict-5ep', 'independent-90-cheap-3ep', 'dense-10ep']);
    assert.deepEqual(pick('strict'), ['independent-95-cheap-strict-3ep', 'independent-90-strict-5ep', 'independent-75-strict-7ep', 'independent-50-strict-9ep']);
    assert.deepEqual(pick('cheap, 0.95'), ['independent-95-cheap-strict-3ep']);
    assert.deepEqual(pick('dense'), ['dense-10ep']);
    assert.throws(() => pick('0.8'), /--only: "0\.8" is not dense, strict, cheap or a level of this run \(0\.95, 0\.9, 0\.75, 0\.5\)/);
    assert.throws(() => pick('strikt'), /"strikt" is not dense, strict, cheap/);
    assert.throws(() => pick(','), /--only needs at least one of/);
  });

  it('reads the test-set size from the provenance line', () => {
    assert.deepEqual(datasetCounts('fashion-mnist (idx /usr/share; 60000 train / 10000 test)'), { train: 60000, test: 10000 });
    assert.deepEqual(datasetCounts(undefined), {});
  });
});
