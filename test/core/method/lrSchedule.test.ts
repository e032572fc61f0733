/**
 * Learning-rate schedules: the pure factor per step, the config that selects one, and the rate the trainer
 * actually uses (as its epoch events log it), restarting at every phase and continuing exactly on resume.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { resolveRunConfig, sameRun, portableConfig } from '../../../src/core/config';
import { initEngine } from '../../../src/core/engine/backend';
import { readElsaCheckpoint } from '../../../src/core/io/elsaCheckpoint';
import { learningRateAt, lrFactor } from '../../../src/core/method/lrSchedule';
import { trainElsa } from '../../../src/core/method/trainer';
import { loadTrainingState } from '../../../src/core/method/trainingCheckpoint';
import { buildModel } from '../../../src/core/models/builders';
import { modelTopology } from '../../../src/core/models/weights';
import { runPaths } from '../../../src/core/run';
import type { EpochEvent, TrainingEvent } from '../../../src/protocol/events';
import { quadrantDataset, tempDir, testConfig } from '../../helpers/synthetic';

const at = (stepInPhase: number, stepsInPhase: number, epochInPhase = 0) => ({ stepInPhase, stepsInPhase, epochInPhase });

describe('learning-rate schedule', () => {
  it('cosine starts at the base rate and ends near the floor; step drops by gamma', () => {
    const cos = { type: 'cosine', minFactor: 0.1 } as const;
    assert.equal(lrFactor(cos, at(0, 100)), 1);
    assert.ok(Math.abs(lrFactor(cos, at(50, 100)) - 0.55) < 1e-12);
    assert.ok(Math.abs(lrFactor(cos, at(99, 100)) - 0.1) < 1e-3);
    for (let s = 1; s < 100; s++) assert.ok(lrFactor(cos, at(s, 100)) < lrFactor(cos, at(s - 1, 100)), 'cosine decreases every step');
    const milestones = { type: 'step', gamma: 0.5, milestones: [0.5, 0.75] } as const;
    assert.deepEqual([0, 49, 50, 74, 75, 99].map((s) => lrFactor(milestones, at(s, 100))), [1, 1, 0.5, 0.5, 0.25, 0.25]);
    const everyTwo = { type: 'step', gamma: 0.1, stepEpochs: 2, milestones: [] } as const;
    assert.deepEqual([0, 1, 2, 3, 4].map((e) => +lrFactor(everyTwo, at(0, 100, e)).toFixed(6)), [1, 1, 0.1, 0.1, 0.01]);
    assert.equal(learningRateAt({ type: 'constant' }, 0.05, at(70, 100)), 0.05);
  });

  it('is configured in the run config, validated by the schema, and old checkpoints count as constant', () => {
    const c = resolveRunConfig({ name: 'x', levels: [0.9], lrSchedule: { type: 'cosine' } }, '/w/x.elsa.json');
    assert.deepEqual(c.lrSchedule, { type: 'cosine', minFactor: 0.01 });
    assert.deepEqual(resolveRunConfig({ name: 'x', levels: [0.9] }, '/w/x.elsa.json').lrSchedule, { type: 'constant' });
    assert.deepEqual(resolveRunConfig({ name: 'x', levels: [0.9], lrSchedule: { type: 'step' } }, '/w/x.elsa.json').lrSchedule, { type: 'step', gamma: 0.1, milestones: [0.5, 0.75] });
    assert.throws(() => resolveRunConfig({ name: 'x', levels: [0.9], lrSchedule: { type: 'cosine', gamma: 0.5 } }, '/w/x.elsa.json'), /x\.elsa\.json: \/lrSchedule\/gamma is not allowed here/);
    assert.throws(() => resolveRunConfig({ name: 'x', levels: [0.9], lrSchedule: { type: 'step', stepEpochs: 2, milestones: [0.5] } }, '/w/x.elsa.json'), /either stepEpochs or milestones/);
    assert.throws(() => resolveRunConfig({ name: 'x', levels: [0.9], lrSchedule: { type: 'step', milestones: [0.7, 0.2] } }, '/w/x.elsa.json'), /milestones must be increasing/);
    assert.throws(() => resolveRunConfig({ name: 'x', levels: [0.9], lrSchedule: { type: 'warm' } }, '/w/y.elsa.json'), /y\.elsa\.json: \/lrSchedule\/type must be equal to one of/);
    const constant = resolveRunConfig({ name: 'x', levels: [0.9] }, '/w/x.elsa.json');
    const { lrSchedule: _l, ...older } = portableConfig(constant);
    assert.ok(sameRun(older, constant), 'a checkpoint written before schedules existed resumes as constant');
    assert.ok(!sameRun(older, c), 'but not as a cosine run');
  });

  describe('in the trainer', () => {
    before(async () => {
      await initEngine('wasm');
    });
    const dataset = quadrantDataset(160, 48, 5); // batch 32: 5 steps per epoch
    async function train(dir: string, stopAtStep?: number, resume = false) {
      const config = testConfig({ lrSchedule: { type: 'cosine', minFactor: 0.1 }, epochs: { warmup: 2, perPhase: 2, dense: 1 } }, dir);
      const model = await buildModel(config.model, dataset.shape, dataset.numClasses, config.seed);
      const events: TrainingEvent[] = [];
      const controller = new AbortController();
      let steps = 0;
      const paths = runPaths(config);
      const result = await trainElsa({
        config, dataset, model, checkpointPath: paths.checkpoint, kind: 'elsa',
        provenance: { tool: 'test', version: '0', backend: 'wasm', createdAt: 'fixed' },
        topology: modelTopology(model),
        emit: (e) => events.push(e),
        signal: controller.signal,
        progress: () => {
          if (stopAtStep !== undefined && ++steps >= stopAtStep) controller.abort();
        },
        resumeFrom: resume ? await loadTrainingState(paths.checkpoint) : undefined,
      });
      model.dispose();
      return { result, events, paths };
    }

    it('uses the scheduled rate every epoch, restarting at each phase, and resumes on the same curve', async () => {
      const straight = await train(tempDir());
      assert.equal(straight.result.status, 'complete');
      const epochs = straight.events.filter((e): e is EpochEvent => e.type === 'epoch');
      assert.equal(epochs.length, 2 + 2 + 2 + 1);
      // The rate of an epoch's last step: phase of 2 epochs = 10 steps, last steps are 4 and 9.
      const expected = epochs.map((e) => {
        const stepsInPhase = e.phase === 3 ? 5 : 10;
        return learningRateAt({ type: 'cosine', minFactor: 0.1 }, 0.05, at(e.epoch * 5 - 1, stepsInPhase, e.epoch - 1));
      });
      epochs.forEach((e, i) => assert.ok(Math.abs(e.learningRate - expected[i]) < 1e-12, `phase ${e.phase} epoch ${e.epoch}: lr ${e.learningRate}, expected ${expected[i]}`));
      assert.ok(epochs[1].learningRate < 0.01 && epochs[0].learningRate > 0.03, 'decays within the warm-up');
      assert.ok(epochs[2].learningRate > 0.03, 'restarts at the first sparse phase');

      const dir = tempDir();
      mkdirSync(dir, { recursive: true });
      const stopped = await train(dir, 5 + 5 + 7);
      assert.equal(stopped.result.status, 'cancelled');
      const resumed = await train(dir, undefined, true);
      assert.equal(resumed.result.status, 'complete');
      const resumedEpochs = resumed.events.filter((e): e is EpochEvent => e.type === 'epoch');
      assert.deepEqual(resumedEpochs.map((e) => e.learningRate), epochs.slice(-resumedEpochs.length).map((e) => e.learningRate));
      const a = await readElsaCheckpoint(straight.paths.checkpoint);
      const b = await readElsaCheckpoint(resumed.paths.checkpoint);
      for (const name of Object.keys(a.header.tensors)) {
        const ta = await a.readTensor(name);
        const tb = await b.readTensor(name);
        assert.ok(Buffer.from(ta.data.buffer, ta.data.byteOffset, ta.data.byteLength).equals(Buffer.from(tb.data.buffer, tb.data.byteOffset, tb.data.byteLength)), `${name} differs after resume`);
      }
      await a.close();
      await b.close();
    });
  });
});
