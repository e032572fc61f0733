/** Any TF.js Layers model.json serves as the dense starting point; its Dense/Conv kernels get level codes. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/core/engine/backend';
import { readElsaCheckpoint } from '../../../src/core/io/elsaCheckpoint';
import { trainElsa } from '../../../src/core/method/trainer';
import { buildModel } from '../../../src/core/models/builders';
import { saveLayersModelFile } from '../../../src/core/models/layersFile';
import { modelTopology } from '../../../src/core/models/weights';
import { runPaths } from '../../../src/core/run';
import { quadrantDataset, tempDir, testConfig } from '../../helpers/synthetic';

describe('imported TF.js model', () => {
  before(async () => {
    await initEngine('wasm');
  });
  it('trains ELSA levels on a model.json made elsewhere', async () => {
    const dir = tempDir();
    const foreign = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu', name: 'c' }),
        tf.layers.flatten({ name: 'f' }),
        tf.layers.dense({ units: 16, activation: 'relu', name: 'h' }),
        tf.layers.dense({ units: 4, name: 'out' }),
      ],
    });
    await saveLayersModelFile(foreign, path.join(dir, 'foreign', 'model.json'));
    const config = testConfig({ model: { type: 'layers-json', path: 'foreign/model.json' }, levels: [0.8] }, dir);
    const dataset = quadrantDataset(96, 32, 2);
    const model = await buildModel(config.model, dataset.shape, dataset.numClasses, config.seed);
    const paths = runPaths(config);
    const result = await trainElsa({ config, dataset, model, checkpointPath: paths.checkpoint, kind: 'elsa', provenance: { tool: 't', version: '0', backend: 'wasm', createdAt: '' }, topology: modelTopology(model), emit: () => {} });
    assert.equal(result.status, 'complete');
    const ckpt = await readElsaCheckpoint(paths.checkpoint);
    await ckpt.close();
    assert.deepEqual(ckpt.sparseWeightNames.sort(), ['c/kernel', 'h/kernel', 'out/kernel']);
    assert.ok(Math.abs(ckpt.meta.levels[0].sparsity - 0.8) < 0.01);
  });
});
