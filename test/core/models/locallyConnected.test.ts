import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { isElsaError } from '../../../src/core/errors';
import { buildModel, buildResnetLocallyConnected } from '../../../src/core/models/builders';
import { spatialPadding } from '../../../src/core/io/onnxGraph';
import { LocallyConnected2D, ONE_HOT_PATCH_MAX_VALUES, patchesBySlicing } from '../../../src/core/models/locallyConnected';
import { listModelWeights, modelFromTopology, modelTopology } from '../../../src/core/models/weights';

before(async () => {
  await tf.setBackend('cpu');
});

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

/** A LocallyConnected2D whose every position holds `kernel4` (a conv2d kernel), flattened as Keras does. */
function tiedLayer(kernel4: tf.Tensor4D, h: number, w: number, strides: number, padding: 'valid' | 'same'): LocallyConnected2D {
  const [kh, kw, cin, f] = kernel4.shape;
  const layer = new LocallyConnected2D({ filters: f, kernelSize: [kh, kw], strides, padding, useBias: false });
  layer.apply(tf.input({ shape: [h, w, cin] }));
  const positions = spatialPadding(h, kh, strides, 1, padding).out * spatialPadding(w, kw, strides, 1, padding).out;
  layer.setWeights([tf.tile(tf.reshape(kernel4, [1, kh * kw * cin, f]), [positions, 1, 1])]);
  return layer;
}

const CASES: [h: number, w: number, k: number, stride: number, padding: 'valid' | 'same'][] = [
  [8, 8, 3, 1, 'same'],
  [8, 7, 3, 2, 'same'], // odd width: TF puts the extra padding column on the right
  [7, 7, 1, 2, 'same'],
  [9, 6, 3, 2, 'valid'],
  [5, 5, 2, 1, 'valid'],
];

test('LocallyConnected2D with the same kernel at every position is conv2d (shapes, padding, strides)', () => {
  for (const [h, w, k, stride, padding] of CASES) {
    const x = tf.randomNormal([2, h, w, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const kernel = tf.randomNormal([k, k, 3, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
    const want = tf.conv2d(x, kernel, stride, padding);
    const got = tiedLayer(kernel, h, w, stride, padding).apply(x) as tf.Tensor;
    assert.deepEqual(got.shape, want.shape, `${h}x${w} k${k} s${stride} ${padding}`);
    assert.ok(maxDiff(got, want) < 1e-4, `${h}x${w} k${k} s${stride} ${padding}: ${maxDiff(got, want)}`);
  }
});

test('LocallyConnected2D gradients: per-position kernel gradients sum to the conv kernel gradient, input gradients agree', () => {
  const x = tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 3) as tf.Tensor4D;
  const kernel = tf.randomNormal([3, 3, 2, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
  const target = tf.randomNormal([2, 3, 3, 3], 0, 1, 'float32', 5);
  const loss = (y: tf.Tensor) => tf.sum(tf.mul(y, target)) as tf.Scalar;
  const layer = tiedLayer(kernel, 6, 6, 2, 'same');
  const lcKernel = layer.trainableWeights[0].read() as tf.Variable;
  const lcGradX = tf.grad((xx: tf.Tensor) => loss(layer.apply(xx) as tf.Tensor))(x);
  const lcGradK = tf.variableGrads(() => loss(layer.apply(x) as tf.Tensor), [lcKernel]).grads[lcKernel.name];
  const [convGradX, convGradK] = tf.grads((xx: tf.Tensor, kk: tf.Tensor) => loss(tf.conv2d(xx as tf.Tensor4D, kk as tf.Tensor4D, 2, 'same')))([x, kernel]);
  assert.ok(maxDiff(lcGradX, convGradX) < 1e-4, 'input gradient');
  const summed = tf.reshape(tf.sum(lcGradK, 0), [3, 3, 2, 3]);
  assert.ok(maxDiff(summed, convGradK) < 1e-4, 'kernel gradient summed over positions');
  // and the per-position gradients differ (no sharing): position 0 is not position 4
  assert.ok(maxDiff(tf.slice(lcGradK, [0, 0, 0], [1, -1, -1]), tf.slice(lcGradK, [4, 0, 0], [1, -1, -1])) > 1e-3);
});

test('patches cut tap by tap equal the one-hot convolution\'s (even and odd kernels, strides 1–3, same and valid)', () => {
  const cases: [h: number, w: number, kh: number, kw: number, sh: number, sw: number, padding: 'valid' | 'same'][] = [
    [8, 8, 3, 3, 1, 1, 'same'],
    [8, 7, 2, 2, 2, 2, 'same'], // even kernel: TF pads the extra row / column after
    [9, 10, 4, 3, 3, 2, 'same'],
    [7, 7, 1, 1, 2, 2, 'same'],
    [9, 6, 3, 2, 2, 1, 'valid'],
    [5, 5, 5, 5, 1, 1, 'valid'],
  ];
  for (const [h, w, kh, kw, sh, sw, padding] of cases) {
    const x = tf.randomNormal([2, h, w, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const patch = kh * kw * 3;
    const oneHot = tf.reshape(tf.oneHot(tf.range(0, patch, 1, 'int32'), patch).toFloat(), [kh, kw, 3, patch]) as tf.Tensor4D;
    const want = tf.conv2d(x, oneHot, [sh, sw], padding);
    const got = patchesBySlicing(x, [kh, kw], [sh, sw], padding);
    const label = `${h}x${w} k${kh}x${kw} s${sh}x${sw} ${padding}`;
    assert.deepEqual(got.shape, want.shape, label);
    assert.equal(maxDiff(got, want), 0, label);
  }
});

test('a kernel whose one-hot patch kernel would be too large is cut by slicing: conv2d\'s outputs and gradients, nothing large allocated', () => {
  // 12×12 taps over 16 channels: patch 2,304, one-hot 5.3M values > the cap.
  const [h, k, cin] = [12, 12, 16];
  assert.ok((k * k * cin) ** 2 > ONE_HOT_PATCH_MAX_VALUES);
  const x = tf.randomNormal([2, h, h, cin], 0, 1, 'float32', 8) as tf.Tensor4D;
  const kernel = tf.randomNormal([k, k, cin, 2], 0, 0.1, 'float32', 9) as tf.Tensor4D;
  for (const [stride, padding] of [[1, 'same'], [2, 'same'], [1, 'valid']] as const) {
    const layer = tiedLayer(kernel, h, h, stride, padding);
    const want = tf.conv2d(x, kernel, stride, padding);
    assert.ok(maxDiff(layer.apply(x) as tf.Tensor, want) < 1e-3, `${stride} ${padding}`);
    const target = tf.randomNormal(want.shape, 0, 1, 'float32', 10);
    const gradX = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(layer.apply(xx) as tf.Tensor, target)))(x);
    const convGradX = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, kernel, stride, padding), target)))(x);
    assert.ok(maxDiff(gradX, convGradX) < 1e-3, `input gradient ${stride} ${padding}`);
  }
  // A 40×40 kernel over a 40×40×3 image (one position): its one-hot kernel would be 4,800² values, 92 MB.
  const before = tf.memory().numBytes;
  const big = new LocallyConnected2D({ filters: 1, kernelSize: 40 });
  big.apply(tf.input({ shape: [40, 40, 3] }));
  const built = tf.memory().numBytes - before;
  assert.ok(built < 1e6, `building allocated ${built} bytes (the kernel is 19 KB)`);
  assert.deepEqual((big.apply(tf.ones([1, 40, 40, 3])) as tf.Tensor).shape, [1, 1, 1, 1]);
});

test('LocallyConnected2D positions are independent: changing one position kernel changes only that output position', () => {
  const x = tf.randomNormal([1, 4, 4, 2], 0, 1, 'float32', 6) as tf.Tensor4D;
  const layer = new LocallyConnected2D({ filters: 2, kernelSize: 3, padding: 'same', useBias: true, biasInitializer: tf.initializers.ones() });
  const before = (layer.apply(x) as tf.Tensor).arraySync() as number[][][][];
  const [kernel, bias] = layer.getWeights();
  const k = kernel.arraySync() as number[][][];
  k[5] = k[5].map((row) => row.map((v) => v + 1)); // position 5 = row 1, column 1
  layer.setWeights([tf.tensor(k), bias]);
  const after = (layer.apply(x) as tf.Tensor).arraySync() as number[][][][];
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      const changed = Math.abs(after[0][i][j][0] - before[0][i][j][0]) > 1e-6;
      assert.equal(changed, i === 1 && j === 1, `position (${i}, ${j})`);
    }
  }
  assert.deepEqual(bias.shape, [4, 4, 2]); // Keras' bias layout: one per output position and filter
});

test('a Keras LocallyConnected2D topology loads, keeps its weights by name, and its kernel is prunable', async () => {
  const input = tf.input({ shape: [6, 6, 2], name: 'input' });
  const lc = new LocallyConnected2D({ filters: 3, kernelSize: 3, strides: 1, padding: 'valid', activation: 'relu', name: 'local' }).apply(input) as tf.SymbolicTensor;
  const flat = tf.layers.flatten({ name: 'flatten' }).apply(lc) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, name: 'logits' }).apply(flat) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  const topology = modelTopology(model);
  const layerJson = JSON.stringify(topology);
  // Keras' config keys and layout
  for (const key of ['"class_name":"LocallyConnected2D"', '"kernel_size":[3,3]', '"padding":"valid"', '"activation":"relu"', '"use_bias":true']) assert.ok(layerJson.includes(key), key);
  const weights = Object.fromEntries(listModelWeights(model).map((w) => [w.name, w.variable.read().dataSync() as Float32Array]));
  assert.deepEqual(listModelWeights(model).find((w) => w.name === 'local/kernel')?.shape, [16, 18, 3]);
  assert.equal(listModelWeights(model).find((w) => w.name === 'local/kernel')?.sparsifiable, true);
  assert.equal(listModelWeights(model).find((w) => w.name === 'local/bias')?.sparsifiable, false);
  const rebuilt = await modelFromTopology(topology, weights);
  const x = tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 8);
  assert.ok(maxDiff(model.predict(x) as tf.Tensor, rebuilt.predict(x) as tf.Tensor) < 1e-6);
});

test('a LocallyConnected2D config TF.js cannot honour is one ModelError naming the file', async () => {
  const input = tf.input({ shape: [6, 6, 2], name: 'input' });
  const lc = new LocallyConnected2D({ filters: 3, kernelSize: 3, name: 'local' }).apply(input) as tf.SymbolicTensor;
  const topology = modelTopology(tf.model({ inputs: input, outputs: lc }));
  const text = JSON.stringify(topology).replace('"padding":"valid"', '"padding":"causal"');
  await assert.rejects(modelFromTopology(JSON.parse(text), undefined, 'm.json'), (e: unknown) => isElsaError(e) && /m\.json/.test(String(e)) && /padding must be "valid" or "same"/.test(String(e)));
  // Keras' other keys load; its other layouts and channels-first do not
  const keras = JSON.parse(JSON.stringify(topology).replace('"padding":"valid"', '"padding":"VALID","kernel_regularizer":null,"activity_regularizer":null,"kernel_constraint":null,"bias_constraint":null'));
  assert.equal((await modelFromTopology(keras)).layers.length, 2);
  const implementation2 = JSON.stringify(topology).replace('"implementation":1', '"implementation":2');
  await assert.rejects(modelFromTopology(JSON.parse(implementation2), undefined, 'm.json'), (e: unknown) => isElsaError(e) && /implementation 2 stores another kernel layout/.test(String(e)));
  const channelsFirst = JSON.stringify(topology).replace('"data_format":"channels_last"', '"data_format":"channels_first"');
  await assert.rejects(modelFromTopology(JSON.parse(channelsFirst), undefined, 'm.json'), (e: unknown) => isElsaError(e) && /channels_last only/.test(String(e)));
  const tooBig = JSON.stringify(topology).replace('"kernel_size":[3,3]', '"kernel_size":[7,7]');
  await assert.rejects(modelFromTopology(JSON.parse(tooBig), undefined, 'm.json'), (e: unknown) => isElsaError(e) && /does not fit a 6x6 input/.test(String(e)));
});

test('the locally connected residual CNN (issue 8 probe): every convolution unshared, same names and shapes, conv-scaled kernels', () => {
  const conv = buildModel({ type: 'resnet' }, [28, 28, 1], 10, 3);
  const local = buildResnetLocallyConnected([28, 28, 1], 10, 3);
  assert.ok(!local.layers.some((l) => l.getClassName() === 'Conv2D'));
  const kernels = (m: tf.LayersModel) => listModelWeights(m).filter((w) => w.name.endsWith('/kernel'));
  assert.deepEqual(kernels(local).map((w) => w.name), kernels(conv).map((w) => w.name));
  const outShapes = (m: tf.LayersModel) => m.layers.map((l) => `${l.name}:${JSON.stringify(l.outputShape)}`);
  assert.deepEqual(outShapes(local), outShapes(conv));
  for (const [i, w] of kernels(local).entries()) {
    const c = kernels(conv)[i];
    if (c.shape.length !== 4) continue; // the dense logits layer
    const [kh, kw, cin, f] = c.shape;
    const layer = local.getLayer(w.layerName) as LocallyConnected2D;
    const [outH, outW] = (layer.outputShape as number[]).slice(1, 3);
    assert.deepEqual(w.shape, [outH * outW, kh * kw * cin, f], w.name);
    // each position drawn from the conv's Glorot range, not from one squeezed by the position count
    const limit = Math.sqrt(6 / (kh * kw * (cin + f)));
    const values = w.variable.read().dataSync() as Float32Array;
    const maxAbs = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(maxAbs <= limit && maxAbs > 0.9 * limit, `${w.name}: max |w| ${maxAbs} against the conv limit ${limit}`);
    assert.equal(w.sparsifiable, true);
  }
  const out = tf.tidy(() => (local.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor).shape);
  assert.deepEqual(out, [2, 10]);
});
