/**
 * The pieces of `elsa predict` that decide what the user reads: softmax and top 3, percentiles, the
 * recommendation (sparsest right level, within the budget), the extract command's quoting, and a model the
 * sparse path cannot run: it is skipped with the reason and the engine's path is picked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/core/engine/backend';
import { levelSparsity, writeElsaCheckpoint } from '../../src/core/io/elsaCheckpoint';
import type { HostTensor } from '../../src/core/io/dtype';
import { listModelWeights, modelTopology } from '../../src/core/models/weights';
import { extractCommand, latencyStats, percentile, predictionOf, predictLevels, recommendLevel, shellQuote } from '../../src/core/predict';
import type { LevelSampleResult } from '../../src/protocol/sample';
import { createRng } from '../../src/core/random';
import { tempDir } from './io/ioTestUtil';

const tmp = tempDir('elsa-predict-core-');
after(tmp.cleanup);
before(async () => {
  await initEngine('wasm');
});

const stats = (m: number) => latencyStats([m]);
function level(levelIndex: number, predicted: number[], labels: (number | undefined)[], denseMs = 1, sparseMs?: number): LevelSampleResult {
  return {
    level: levelIndex, targetSparsity: 0, sparsity: 0, isDense: false,
    predictions: predicted.map((p, i) => ({ predicted: p, confidence: 0.5, top: [], ...(labels[i] !== undefined ? { correct: p === labels[i] } : {}) })),
    denseLatency: stats(denseMs), ...(sparseMs !== undefined ? { sparseLatency: stats(sparseMs) } : {}), picked: 'dense',
  };
}

describe('predict pieces', () => {
  it('softmax confidence and top 3', () => {
    const p = predictionOf([1, 3, 2, -1], 1);
    assert.equal(p.predicted, 1);
    assert.equal(p.correct, true);
    assert.deepEqual(p.top.map((t) => t.class), [1, 2, 0]);
    const e = [1, 3, 2, -1].map(Math.exp);
    assert.ok(Math.abs(p.confidence - e[1] / e.reduce((a, b) => a + b)) < 1e-12);
    assert.equal(predictionOf([0, 0], undefined).correct, undefined);
    // huge logits do not overflow
    assert.equal(predictionOf([1000, 999], 0).confidence > 0.7, true);
  });

  it('percentiles interpolate', () => {
    assert.equal(percentile([5, 1, 3], 0.5), 3);
    assert.equal(percentile([1, 2, 3, 4], 0.5), 2.5);
    assert.ok(Math.abs(percentile([0, 10], 0.1) - 1) < 1e-12);
    assert.deepEqual(latencyStats([4]), { medianMs: 4, p10Ms: 4, p90Ms: 4, runs: 1 });
  });

  it('recommends the sparsest level right on every labelled input, within the budget', () => {
    const labels = [3, 5];
    const levels = [level(1, [3, 4], labels, 1, 0.2), level(2, [3, 5], labels, 2, 5), level(3, [3, 5], labels, 0.5), level(4, [3, 5], labels, 3)];
    assert.equal(recommendLevel('a.elsa.safetensors', levels, labels.map((l) => ({ id: '', pixels: new Float32Array(), label: l }))).recommended?.level, 2);
    // Level 2 takes 2 ms on its faster path: a 1 ms budget moves the pick to level 3.
    const budget = recommendLevel('a.elsa.safetensors', levels, labels.map((l) => ({ id: '', pixels: new Float32Array(), label: l })), 1);
    assert.equal(budget.recommended?.level, 3);
    assert.match(budget.recommended!.reason, /runs within 1 ms/);
    assert.match(recommendLevel('a', levels, labels.map((l) => ({ id: '', pixels: new Float32Array(), label: l })), 0.1).noRecommendation!, /no level that is right on every labelled input runs within 0.1 ms/);
    // Unlabelled: the dense (last) level's prediction is the reference.
    const none = [undefined, undefined];
    const unl = [level(1, [3, 4], none), level(2, [2, 5], none), level(3, [2, 5], none)];
    assert.equal(recommendLevel('a', unl, none.map(() => ({ id: '', pixels: new Float32Array() }))).recommended?.level, 2);
    assert.match(recommendLevel('a', [level(1, [1, 1], labels), level(2, [0, 0], labels)], labels.map((l) => ({ id: '', pixels: new Float32Array(), label: l }))).noRecommendation!, /no level is right on every labelled input/);
  });

  it('the extract command is shell-quoted where needed', () => {
    assert.equal(extractCommand('runs/demo/demo.elsa.safetensors', 3), 'elsa extract runs/demo/demo.elsa.safetensors --level 3 --format safetensors --out runs/demo/exports/demo-level3.safetensors');
    assert.equal(shellQuote("my run's/x y.safetensors"), `'my run'\\''s/x y.safetensors'`);
  });

  it('skips the sparse path for a layer it does not handle, naming it, and picks the engine', async () => {
    const model = tf.sequential({
      name: 'ln',
      layers: [
        tf.layers.flatten({ inputShape: [4, 4, 1], name: 'flatten' }),
        tf.layers.layerNormalization({ name: 'norm' }),
        tf.layers.dense({ units: 3, name: 'logits' }),
      ],
    });
    const rng = createRng(2);
    const weights: Record<string, HostTensor> = {};
    const codes: Record<string, Uint8Array> = {};
    for (const w of listModelWeights(model)) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      weights[w.name] = { dtype: 'F32', shape: w.shape, data: Float32Array.from({ length: n }, () => rng.normal()) };
      if (w.sparsifiable) codes[w.name] = Uint8Array.from({ length: n }, (_, i) => 1 + (i % 2));
    }
    const file = tmp.file('ln.elsa.safetensors');
    const sparsity = levelSparsity(codes['logits/kernel'], 1);
    await writeElsaCheckpoint(file, {
      weights, codes,
      meta: { format: 'elsa/1', targets: [0.5], kind: 'elsa', topology: modelTopology(model),
        levels: [{ index: 1, targetSparsity: 0.5, sparsity, metrics: { accuracy: 0.5 } }, { index: 2, targetSparsity: 0, sparsity: 0, metrics: { accuracy: 0.5 }, dense: true }] },
    });
    model.dispose();
    const inputs = [{ id: 'x', pixels: Float32Array.from({ length: 16 }, () => rng.next()) }];
    const r = await predictLevels(file, [1, 2], inputs, { runs: 3, warmup: 1 });
    for (const l of r) {
      assert.equal(l.sparseLatency, undefined);
      assert.equal(l.picked, 'dense');
      assert.equal(l.denseLatency.runs, 3);
      assert.match(l.sparseSkipped!, /^sparse path: layer "norm" \(LayerNormalization\): this layer class is not supported by the sparse path$/);
    }
  });

  it('stops between runs when asked', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(predictLevels(tmp.file('ln.elsa.safetensors'), [1], [{ id: 'x', pixels: new Float32Array(16) }], { runs: 3, warmup: 0, signal: controller.signal }), /interrupted/);
  });
});
