/**
 * Cross-check against PyTorch (Debian's python3-torch): an extracted level, exported as safetensors, loaded
 * into the same network written in PyTorch gives the same logits as our engine (to float32 rounding). This
 * checks the export's tensor layout and that extraction is what a PyTorch user would deploy.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { initEngine } from '../../src/core/engine/backend';
import { writeSafetensors } from '../../src/core/io/safetensors';
import { evaluateModel } from '../../src/core/method/evaluate';
import { extractLevel, loadLevelModel } from '../../src/core/method/extract';
import { trainElsa } from '../../src/core/method/trainer';
import { buildModel } from '../../src/core/models/builders';
import { modelTopology } from '../../src/core/models/weights';
import { runPaths } from '../../src/core/run';
import { quadrantDataset, tempDir, testConfig } from '../helpers/synthetic';

const python = ['/usr/bin/python3', 'python3'].find((py) => spawnSync(py, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0);

describe('PyTorch cross-check', { skip: python ? false : 'PyTorch not installed (apt-get install python3-torch)' }, () => {
  before(async () => {
    await initEngine('wasm');
  });
  for (const kind of ['mlp', 'cnn'] as const) {
    it(`${kind}: an extracted level predicts the same in PyTorch`, async () => {
      const dir = tempDir();
      const config = testConfig({ model: { type: kind }, levels: [0.9, 0.6], epochs: { warmup: 1, perPhase: 1, dense: 1 } }, dir);
      const dataset = quadrantDataset(128, 16, 9, 12);
      const model = await buildModel(config.model, dataset.shape, dataset.numClasses, config.seed);
      const paths = runPaths(config);
      await trainElsa({ config, dataset, model, checkpointPath: paths.checkpoint, kind: 'elsa', provenance: { tool: 't', version: '0', backend: 'wasm', createdAt: '' }, topology: modelTopology(model), emit: () => {} });
      model.dispose();
      for (const level of [1, 3]) {
        const exported = path.join(dir, `level${level}.safetensors`);
        await writeSafetensors(exported, (await extractLevel(paths.checkpoint, level)).weights);
        const { model: ours } = await loadLevelModel(paths.checkpoint, level);
        const ev = await evaluateModel(ours, dataset.test, dataset.shape, { numClasses: dataset.numClasses, keepLogits: true });
        ours.dispose();
        const inputs = path.join(dir, 'inputs.json');
        writeFileSync(inputs, JSON.stringify({ images: Array.from(dataset.test.images), shape: [dataset.test.count, ...dataset.shape] }));
        const r = spawnSync(python as string, [path.join(__dirname, 'torchPredictions.py'), exported, inputs, kind], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        const theirs = JSON.parse(r.stdout).logits as number[];
        const mine = ev.logits as Float32Array;
        assert.equal(theirs.length, mine.length);
        let worst = 0;
        for (let i = 0; i < mine.length; i++) worst = Math.max(worst, Math.abs(mine[i] - theirs[i]) / (1 + Math.abs(mine[i])));
        assert.ok(worst < 1e-4, `level ${level}: PyTorch logits differ by up to ${worst}`);
      }
    });
  }
});
