import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { isElsaError } from '../../../src/core/errors';
import { BUILTIN_MODEL_TYPES, buildModel } from '../../../src/core/models/builders';
import { listModelWeights, modelFromTopology, modelTopology, weightName } from '../../../src/core/models/weights';

before(async () => {
  await tf.setBackend('cpu');
});

test('sparsifiable = the kernels of Dense, Conv1D/2D/3D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D', () => {
  const input = tf.input({ shape: [8, 8, 2], name: 'in' });
  let x = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', name: 'c2' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'dw' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.separableConv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'sep' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, padding: 'same', name: 'tr' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reshape({ targetShape: [64, 2], name: 'seq' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv1d({ filters: 2, kernelSize: 3, name: 'c1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flat' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 3, name: 'fc' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: x, name: 'zoo' });
  const listed = listModelWeights(model);
  assert.deepEqual(
    listed.filter((w) => w.sparsifiable).map((w) => w.name),
    ['c2/kernel', 'dw/depthwise_kernel', 'sep/depthwise_kernel', 'sep/pointwise_kernel', 'tr/kernel', 'c1/kernel', 'fc/kernel'],
  );
  assert.deepEqual(
    listed.filter((w) => !w.sparsifiable).map((w) => w.name),
    ['c2/bias', 'dw/bias', 'sep/bias', 'tr/bias', 'bn/gamma', 'bn/beta', 'bn/moving_mean', 'bn/moving_variance', 'c1/bias', 'fc/bias'],
  );
  const bn = listed.filter((w) => w.layerName === 'bn');
  assert.deepEqual(bn.map((w) => w.trainable), [true, true, false, false]);
  assert.ok(bn.every((w) => w.layerClass === 'BatchNormalization'));
  for (const w of listed) {
    assert.deepEqual(w.shape, w.variable.shape);
    const layer = model.getLayer(w.layerName);
    assert.equal(weightName(layer, w.variable), w.name);
  }
});

test('every weight of every built-in model is listed once, in model order', () => {
  for (const type of BUILTIN_MODEL_TYPES) {
    const model = buildModel({ type }, [28, 28, 1], 10, 1);
    const listed = listModelWeights(model);
    assert.equal(listed.length, model.weights.length);
    assert.equal(listed.reduce((a, w) => a + w.shape.reduce((p, d) => p * d, 1), 0), model.countParams());
    assert.deepEqual(listed.map((w) => w.variable), model.layers.flatMap((l) => l.weights));
  }
});

test('modelFromTopology rebuilds the same function, weights set by stable name', async () => {
  for (const type of BUILTIN_MODEL_TYPES) {
    const model = buildModel({ type }, [16, 16, 1], 6, 5);
    const topology = modelTopology(model);
    assert.equal(topology.class_name, 'Model');
    // A JSON round trip, as it happens in a checkpoint header.
    const stored = JSON.parse(JSON.stringify(topology));
    const weights: Record<string, Float32Array> = {};
    for (const w of listModelWeights(model)) weights[w.name] = w.variable.read().dataSync() as Float32Array;
    const rebuilt = await modelFromTopology(stored, weights);
    assert.deepEqual(listModelWeights(rebuilt).map((w) => w.name), Object.keys(weights));
    const x = tf.randomUniform([3, 16, 16, 1], 0, 1, 'float32', 7);
    const same = tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).dataSync()));
    assert.deepEqual(tf.tidy(() => Array.from((rebuilt.predict(x) as tf.Tensor).dataSync())), same, type);
    x.dispose();
  }
});

test('modelFromTopology reports missing and mis-sized weight tensors', async () => {
  const model = buildModel({ type: 'mlp' }, [4, 4, 1], 3, 1);
  const topology = modelTopology(model);
  const weights: Record<string, Float32Array> = {};
  for (const w of listModelWeights(model)) weights[w.name] = w.variable.read().dataSync() as Float32Array;
  const { ['dense2/bias']: _dropped, ...missing } = weights;
  await assert.rejects(modelFromTopology(topology, missing, 'm.elsa.safetensors'), (e: unknown) => isElsaError(e) && e.kind === 'ModelError' && e.file === 'm.elsa.safetensors' && /missing weight tensor dense2\/bias/.test(e.problem));
  await assert.rejects(modelFromTopology(topology, { ...weights, 'logits/bias': new Float32Array(2) }), (e: unknown) => isElsaError(e) && /logits\/bias has 2 values/.test(e.message));
  await assert.rejects(modelFromTopology({ class_name: 'NoSuchModel', config: {} }), (e: unknown) => isElsaError(e) && e.kind === 'ModelError');
});
