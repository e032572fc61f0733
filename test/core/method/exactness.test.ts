/**
 * The exactness invariant (docs/architecture.md §1): the extracted level k predicts bit-identically to the sparse network at
 * the end of phase k, and frozen weights stay bit-identical from their phase to the end — under SGD with
 * momentum + weight decay and under Adam, whose stale moments must not move them.
 */
import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/core/engine/backend';
import { evaluateModel } from '../../../src/core/method/evaluate';
import { loadLevelModel } from '../../../src/core/method/extract';
import { collectParams, readParam } from '../../../src/core/method/params';
import { trainElsa } from '../../../src/core/method/trainer';
import { readElsaCheckpoint } from '../../../src/core/io/elsaCheckpoint';
import { buildModel } from '../../../src/core/models/builders';
import { modelTopology } from '../../../src/core/models/weights';
import { runPaths } from '../../../src/core/run';
import { quadrantDataset, testConfig } from '../../helpers/synthetic';

const sameBits = (a: Float32Array, b: Float32Array) => a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

async function checkExactness(overrides: Record<string, unknown>) {
  const config = testConfig(overrides);
  const dataset = quadrantDataset(192, 64, 11);
  const model = await buildModel(config.model, dataset.shape, dataset.numClasses, config.seed);
  const atPhaseEnd = new Map<number, { logits: Float32Array; weights: Map<string, Float32Array> }>();
  const paths = runPaths(config);
  const result = await trainElsa({
    config,
    dataset,
    model,
    checkpointPath: paths.checkpoint,
    kind: 'elsa',
    provenance: { tool: 'test', version: '0', backend: tf.getBackend(), createdAt: '' },
    topology: modelTopology(model),
    emit: () => {},
    onLevelDone: async (level, live) => {
      const ev = await evaluateModel(live, dataset.test, dataset.shape, { numClasses: dataset.numClasses, keepLogits: true });
      const weights = new Map(collectParams(live).map((p) => [p.name, readParam(p)]));
      atPhaseEnd.set(level, { logits: ev.logits as Float32Array, weights });
    },
  });
  assert.equal(result.status, 'complete');
  const K = config.levels.length;
  assert.equal(atPhaseEnd.size, K + 1);

  const ckpt = await readElsaCheckpoint(paths.checkpoint);
  try {
    // Training really moved the network between phases (otherwise the invariants would hold trivially).
    const first = atPhaseEnd.get(1)!.logits;
    const last = atPhaseEnd.get(K + 1)!.logits;
    assert.ok(!sameBits(first, last), 'later phases must change the dense network');

    for (let level = 1; level <= K + 1; level++) {
      const { model: extracted } = await loadLevelModel(paths.checkpoint, level);
      const ev = await evaluateModel(extracted, dataset.test, dataset.shape, { numClasses: dataset.numClasses, keepLogits: true });
      extracted.dispose();
      assert.ok(sameBits(ev.logits as Float32Array, atPhaseEnd.get(level)!.logits), `level ${level}: extracted logits differ from the end of phase ${level}`);
    }
    for (const name of ckpt.sparseWeightNames) {
      const finalWeights = (await ckpt.readWeight(name)).data as Float32Array;
      const codes = await ckpt.readCodes(name);
      for (let level = 1; level <= K; level++) {
        const then = atPhaseEnd.get(level)!.weights.get(name)!;
        let frozen = 0;
        for (let i = 0; i < codes.length; i++) {
          if (codes[i] > level) continue;
          frozen++;
          if (!Object.is(then[i], finalWeights[i])) assert.fail(`${name}[${i}] (code ${codes[i]}) changed after phase ${level}: ${then[i]} -> ${finalWeights[i]}`);
        }
        assert.ok(frozen > 0, `${name} has no weights in level ${level}`);
      }
    }
    if (config.smallParams === 'frozen') {
      // One copy serves every level, so the live small parameters (batch-norm running statistics included) must
      // not move after phase 1, bit for bit.
      const small = collectParams(model).filter((p) => !p.sparsifiable).map((p) => p.name);
      assert.ok(small.length > 0);
      for (let level = 2; level <= K + 1; level++) {
        for (const name of small) {
          if (!sameBits(atPhaseEnd.get(1)!.weights.get(name)!, atPhaseEnd.get(level)!.weights.get(name)!)) assert.fail(`frozen small parameter ${name} moved by the end of phase ${level}`);
        }
      }
    }
    for (const level of ckpt.meta.levels) {
      assert.ok(Math.abs(level.sparsity - level.targetSparsity) <= 0.01, `level ${level.index}: sparsity ${level.sparsity} vs target ${level.targetSparsity}`);
    }
  } finally {
    await ckpt.close();
    model.dispose();
  }
}

describe('exactness invariant', () => {
  before(async () => {
    await initEngine('wasm');
  });
  it('holds under SGD with momentum and weight decay (MLP, global GMP)', async () => {
    await checkExactness({});
  });
  it('holds under Adam with weight decay (stale moments do not move frozen weights)', async () => {
    await checkExactness({ optimizer: { type: 'adam', learningRate: 0.01, weightDecay: 0.01 } });
  });
  it('holds with batch norm statistics stored per level (residual CNN, layer-wise magnitude)', async () => {
    await checkExactness({ model: { type: 'resnet' }, sparsifier: { type: 'magnitude', scope: 'layer' }, levels: [0.8, 0.5], epochs: { warmup: 1, perPhase: 1, dense: 1 } });
  });
  it('holds with small parameters frozen after phase 1 (CNN, N:M 1:4 ⊂ 2:4)', async () => {
    await checkExactness({ model: { type: 'cnn' }, sparsifier: { type: 'nm', m: 4 }, levels: [0.75, 0.5], smallParams: 'frozen', epochs: { warmup: 1, perPhase: 1, dense: 1 } });
  });
  it('holds with small parameters frozen after phase 1, batch-norm statistics included (residual CNN, one-shot)', async () => {
    await checkExactness({ model: { type: 'resnet' }, sparsifier: { type: 'magnitude', scope: 'global' }, levels: [0.8, 0.5], smallParams: 'frozen', epochs: { warmup: 1, perPhase: 1, dense: 1 } });
  });
  it('holds with AC/DC', async () => {
    await checkExactness({ sparsifier: { type: 'acdc' }, levels: [0.8, 0.6, 0.3], epochs: { warmup: 0, perPhase: 2, dense: 1 } });
  });
});
