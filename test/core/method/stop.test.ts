/**
 * Stopping: a signal handled on the event loop (Ctrl+C, SIGTERM, the extension's Stop) reaches the trainer
 * within a fraction of a second, not at the end of the epoch — training steps are synchronous, so the trainer
 * must let the event loop turn.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine } from '../../../src/core/engine/backend';
import { trainElsa } from '../../../src/core/method/trainer';
import { buildModel } from '../../../src/core/models/builders';
import { modelTopology } from '../../../src/core/models/weights';
import { runPaths } from '../../../src/core/run';
import type { TrainingEvent } from '../../../src/protocol/events';
import { quadrantDataset, testConfig } from '../../helpers/synthetic';

describe('stopping a run', () => {
  before(async () => {
    await initEngine('wasm');
  });

  it('stops within a second of an abort from a timer, long before the epoch ends', async () => {
    const config = testConfig({ batchSize: 4, epochs: { warmup: 1, perPhase: 1, dense: 1 } });
    const dataset = quadrantDataset(12_000, 16, 5); // 3,000 steps: an epoch of several seconds
    const model = await buildModel(config.model, dataset.shape, dataset.numClasses, config.seed);
    const controller = new AbortController();
    const events: TrainingEvent[] = [];
    let steps = 0;
    let abortedAt = 0;
    // A timer, like a signal handler: it only runs when the event loop turns.
    setTimeout(() => {
      abortedAt = Date.now();
      controller.abort();
    }, 400);
    const result = await trainElsa({
      config, dataset, model, checkpointPath: runPaths(config).checkpoint, kind: 'elsa',
      provenance: { tool: 'test', version: '0', backend: 'wasm', createdAt: 'fixed' }, topology: modelTopology(model),
      emit: (e) => events.push(e), signal: controller.signal, progress: () => steps++,
    });
    const stoppedAfter = Date.now() - abortedAt;
    model.dispose();
    assert.equal(result.status, 'cancelled');
    assert.ok(abortedAt > 0, 'the timer ran during the epoch');
    assert.ok(stoppedAfter < 1000, `stopped ${stoppedAfter} ms after the abort`);
    assert.ok(steps < 3000, `stopped inside the first epoch (after ${steps} of 3000 steps)`);
    assert.equal(events.filter((e) => e.type === 'epoch').length, 0);
  });
});
