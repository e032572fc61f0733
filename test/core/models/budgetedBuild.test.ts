import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { isElsaError } from '../../../src/core/errors';
import { WEIGHT_SLACK_VALUES } from '../../../src/core/models/budgetedBuild';
import { buildModel } from '../../../src/core/models/builders';
import { loadLayersModelFile, saveLayersModelFile } from '../../../src/core/models/layersFile';
import { listModelWeights, modelFromTopology, modelTopology, type LayersTopology } from '../../../src/core/models/weights';

// A topology asks for more weights than its file holds: refused before TF.js allocates (budgetedBuild.ts).
// The sizes are chosen so that a broken guard fails fast: 8,400 × 8,400 = 70.6M values, just over the slack
// (67.1M), would allocate 282 MB and then fail on the missing weights with another message.
const dir = mkdtempSync(path.join(tmpdir(), 'elsa-budget-'));
before(async () => {
  await tf.setBackend('cpu');
});
after(() => rmSync(dir, { recursive: true, force: true }));

const WIDE = 8_400;

function hugeDenseTopology(): LayersTopology {
  return {
    class_name: 'Sequential',
    config: {
      name: 'huge',
      layers: [{ class_name: 'Dense', config: { name: 'wide', units: WIDE, batch_input_shape: [null, WIDE], dtype: 'float32' } }],
    },
  };
}

const refusedFor = (file: string) => (e: unknown) =>
  isElsaError(e) && e.kind === 'ModelError' && e.file === file && /layer "wide" would create a \[8400, 8400\] kernel .* where the file holds 0/.test(e.problem);

test('the size of one weight is within the slack the build allows', () => {
  assert.ok(WIDE * WIDE > WEIGHT_SLACK_VALUES && WIDE * WIDE < 1.1 * WEIGHT_SLACK_VALUES);
});

test('a model.json whose topology needs more weights than its shards hold is refused before anything is allocated', async () => {
  const file = path.join(dir, 'model.json');
  writeFileSync(file, JSON.stringify({ format: 'layers-model', modelTopology: hugeDenseTopology(), weightsManifest: [{ paths: [], weights: [] }] }));
  const before = tf.memory().numBytes;
  await assert.rejects(loadLayersModelFile(file), refusedFor(file));
  assert.ok(tf.memory().numBytes - before < 1e6, 'nothing was allocated for the refused layer');
});

test('a checkpoint topology bigger than its weights is refused the same way', async () => {
  await assert.rejects(modelFromTopology(hugeDenseTopology(), {}, 'big.elsa.safetensors'), refusedFor('big.elsa.safetensors'));
});

test('the counter is removed after a refusal: a model built next is not charged with it', async () => {
  await assert.rejects(modelFromTopology(hugeDenseTopology(), {}, 'big.elsa.safetensors'));
  const model = buildModel({ type: 'mlp' }, [28, 28, 1], 10, 1);
  const topology = modelTopology(model);
  const weights = Object.fromEntries(listModelWeights(model).map((w) => [w.name, w.variable.read().dataSync() as Float32Array]));
  const rebuilt = await modelFromTopology(topology, weights);
  assert.equal(listModelWeights(rebuilt).length, listModelWeights(model).length);
  model.dispose();
  rebuilt.dispose();
});

test('a file that lacks a small tensor still gets the exact message, not the budget refusal', async () => {
  const model = buildModel({ type: 'mlp' }, [28, 28, 1], 10, 1);
  const weights = Object.fromEntries(listModelWeights(model).map((w) => [w.name, w.variable.read().dataSync() as Float32Array]));
  delete weights['dense1/kernel'];
  await assert.rejects(modelFromTopology(modelTopology(model), weights, 'm.elsa.safetensors'), (e: unknown) => isElsaError(e) && /missing weight tensor dense1\/kernel/.test(e.problem));
  const file = path.join(dir, 'mlp.json');
  await saveLayersModelFile(model, file);
  const loaded = await loadLayersModelFile(file);
  assert.deepEqual(listModelWeights(loaded).map((w) => w.variable.read().dataSync()), listModelWeights(model).map((w) => w.variable.read().dataSync()));
  model.dispose();
  loaded.dispose();
});
