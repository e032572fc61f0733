/**
 * Resumability: a run stopped mid-phase keeps its last complete epoch on disk, and continuing from it ends
 * with exactly the checkpoint an uninterrupted run writes (same data order, masks and optimizer state).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine } from '../../../src/core/engine/backend';
import { readElsaCheckpoint } from '../../../src/core/io/elsaCheckpoint';
import { loadTrainingState } from '../../../src/core/method/trainingCheckpoint';
import { trainElsa, type TrainerOptions } from '../../../src/core/method/trainer';
import { buildModel } from '../../../src/core/models/builders';
import { modelTopology } from '../../../src/core/models/weights';
import { runPaths } from '../../../src/core/run';
import { quadrantDataset, testConfig } from '../../helpers/synthetic';

async function run(overrides: Record<string, unknown>, stopAtStep?: number, resume = false, dir?: string) {
  const config = testConfig(overrides, dir);
  const dataset = quadrantDataset(160, 48, 5);
  const model = await buildModel(config.model, dataset.shape, dataset.numClasses, config.seed);
  const paths = runPaths(config);
  const controller = new AbortController();
  let steps = 0;
  const options: TrainerOptions = {
    config,
    dataset,
    model,
    checkpointPath: paths.checkpoint,
    kind: 'elsa',
    provenance: { tool: 'test', version: '0', backend: 'wasm', createdAt: 'fixed' },
    topology: modelTopology(model),
    emit: () => {},
    signal: controller.signal,
    progress: () => {
      steps++;
      if (stopAtStep !== undefined && steps >= stopAtStep) controller.abort();
    },
    resumeFrom: resume ? await loadTrainingState(paths.checkpoint) : undefined,
  };
  const result = await trainElsa(options);
  model.dispose();
  return { result, paths, config };
}

async function tensorsOf(file: string) {
  const ckpt = await readElsaCheckpoint(file);
  const out: Record<string, Buffer> = {};
  for (const name of Object.keys(ckpt.header.tensors)) {
    const t = await ckpt.readTensor(name);
    out[name] = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  }
  const meta = ckpt.meta;
  await ckpt.close();
  return { out, meta };
}

describe('resume', () => {
  before(async () => {
    await initEngine('wasm');
  });
  async function sameFinalCheckpoint(overrides: Record<string, unknown>, stopAtStep: number, expectSaved: [number, number]) {
    const straight = await run(overrides);
    assert.equal(straight.result.status, 'complete');
    const dir = straight.config.baseDir + '-interrupted';
    (await import('node:fs')).mkdirSync(dir);
    const stopped = await run(overrides, stopAtStep, false, dir);
    assert.equal(stopped.result.status, 'cancelled');
    const saved = await loadTrainingState(stopped.paths.checkpoint);
    assert.ok(saved, 'an in-progress checkpoint is on disk');
    assert.deepEqual([saved.training.phase, saved.training.epoch], expectSaved);
    const resumed = await run(overrides, undefined, true, dir);
    assert.equal(resumed.result.status, 'complete');
    const a = await tensorsOf(straight.paths.checkpoint);
    const b = await tensorsOf(resumed.paths.checkpoint);
    assert.deepEqual(Object.keys(b.out).sort(), Object.keys(a.out).sort());
    for (const name of Object.keys(a.out)) assert.ok(a.out[name].equals(b.out[name]), `tensor ${name} differs after resume`);
    assert.deepEqual(b.meta.levels, a.meta.levels);
    return b;
  }

  it('re-freezes small parameters when a frozen-mode run resumes after phase 1 (MLP biases)', async () => {
    // 5 batches per epoch: stop in phase 2's second epoch, when the biases have been frozen since phase 1.
    await sameFinalCheckpoint({ smallParams: 'frozen', sparsifier: { type: 'magnitude' }, epochs: { warmup: 1, perPhase: 2, dense: 1 } }, 5 + 10 + 5 + 2, [2, 1]);
  });

  for (const optimizer of [{ type: 'sgd', learningRate: 0.05, momentum: 0.9, weightDecay: 0.001 }, { type: 'adam', learningRate: 0.01 }]) {
    it(`continues an interrupted run to the same final checkpoint (${optimizer.type})`, async () => {
      // 5 batches per epoch: stop in the middle of phase 1's third epoch.
      const b = await sameFinalCheckpoint({ optimizer, epochs: { warmup: 1, perPhase: 3, dense: 1 } }, 5 + 5 * 2 + 3, [1, 2]);
      assert.equal(b.meta.training?.status, 'complete');
      assert.ok(!Object.keys(b.out).some((n) => n.startsWith('elsa.state/')), 'the complete checkpoint drops the resume state');
    });
  }
});
