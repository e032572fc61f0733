/**
 * `sparsifier.layerTargets`: per-layer sparsities per level, honoured by the layer-wise sparsifiers in a real
 * training run, with nesting intact; and the config checks that keep a hand-edited file honest.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/core/engine/backend';
import { isElsaError } from '../../../src/core/errors';
import { readElsaCheckpoint } from '../../../src/core/io/elsaCheckpoint';
import { layerSparsityCurve } from '../../../src/core/method/sparsifiers/layerTargets';
import { selectLayerMagnitude } from '../../../src/core/method/sparsifiers/select';
import { trainElsa } from '../../../src/core/method/trainer';
import { buildModel } from '../../../src/core/models/builders';
import { modelTopology } from '../../../src/core/models/weights';
import { runPaths } from '../../../src/core/run';
import { quadrantDataset, testConfig } from '../../helpers/synthetic';

describe('sparsifier.layerTargets', () => {
  before(async () => {
    await initEngine('wasm');
  });

  it('interpolates a layer through (0,0) and each level, unlisted layers follow the overall value', () => {
    const curve = layerSparsityCurve({ '0.9': { a: 0.95, b: 0.5 }, '0.5': { a: 0.6 } });
    assert.equal(curve('a', 0.9), 0.95);
    assert.equal(curve('a', 0.5), 0.6);
    assert.ok(Math.abs(curve('a', 0.7) - 0.775) < 1e-12);
    assert.ok(Math.abs(curve('a', 0.25) - 0.3) < 1e-12);
    assert.equal(curve('b', 0.5), 0.5); // level 0.5 does not list b: (0.5, 0.5)
    assert.equal(curve('b', 0.9), 0.5);
    assert.equal(curve('c', 0.42), 0.42);
    assert.equal(curve('a', 0), 0);
  });

  it('the layer-wise selection gives each tensor its own sparsity', () => {
    const t = (name: string, n: number) => ({ name, shape: [n, 1], values: Float32Array.from({ length: n }, (_, i) => i + 1), frozen: new Uint8Array(n) });
    const masks = selectLayerMagnitude([t('a', 100), t('b', 40)], 0.9, layerSparsityCurve({ '0.9': { a: 0.75 } }));
    assert.equal(masks[0].reduce((s, v) => s + v, 0), 25);
    assert.equal(masks[1].reduce((s, v) => s + v, 0), 4);
    assert.equal(masks[0][99], 1); // the largest magnitudes stay
  });

  it('a training run reaches every listed layer target at every level, masks nested', async () => {
    const config = testConfig({
      levels: [0.9, 0.5],
      sparsifier: { type: 'gmp', scope: 'layer', pruneEvery: 3, layerTargets: { '0.9': { 'dense1/kernel': 0.95, 'logits/kernel': 0.4 }, '0.5': { 'dense1/kernel': 0.7, 'logits/kernel': 0.3 } } },
      epochs: { warmup: 1, perPhase: 1, dense: 1 },
    });
    const dataset = quadrantDataset(96, 32, 4);
    const model = await buildModel(config.model, dataset.shape, dataset.numClasses, config.seed);
    const paths = runPaths(config);
    const result = await trainElsa({
      config, dataset, model, checkpointPath: paths.checkpoint, kind: 'elsa', topology: modelTopology(model), emit: () => {},
      provenance: { tool: 'test', version: '0', backend: tf.getBackend(), createdAt: '' },
    });
    model.dispose();
    assert.equal(result.status, 'complete');
    const ckpt = await readElsaCheckpoint(paths.checkpoint);
    try {
      const want: Record<number, Record<string, number>> = {
        1: { 'dense1/kernel': 0.95, 'dense2/kernel': 0.9, 'logits/kernel': 0.4 },
        2: { 'dense1/kernel': 0.7, 'dense2/kernel': 0.5, 'logits/kernel': 0.3 },
      };
      for (const level of [1, 2]) {
        for (const [name, target] of Object.entries(want[level])) {
          const codes = await ckpt.readCodes(name);
          const off = codes.reduce((n, c) => n + (c > level ? 1 : 0), 0) / codes.length;
          assert.ok(Math.abs(off - target) < 0.01, `level ${level} ${name}: sparsity ${off}, target ${target}`);
        }
      }
    } finally {
      await ckpt.close();
    }
  });

  it('rejects layer targets the trainer could not honour, naming the config', () => {
    const expectConfigError = (overrides: Record<string, unknown>, pattern: RegExp) =>
      assert.throws(() => testConfig(overrides), (e: unknown) => isElsaError(e) && e.kind === 'ConfigError' && pattern.test(e.message));
    expectConfigError({ sparsifier: { type: 'gmp', layerTargets: { '0.9': { a: 0.5 } } } }, /needs "scope": "layer"/);
    expectConfigError({ sparsifier: { type: 'gmp', scope: 'layer', layerTargets: { '0.8': { a: 0.5 } } } }, /level "0.8", which is not one of the levels/);
    expectConfigError({ sparsifier: { type: 'gmp', scope: 'layer', layerTargets: { '0.9': { a: 0.5 }, '0.5': { a: 0.6 } } } }, /"a" is sparser at level 0.5/);
    expectConfigError({ sparsifier: { type: 'gmp', scope: 'layer', layerTargets: { '0.9': { a: 1 } } } }, /layerTargets/);
  });
});
