import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { isElsaError } from '../../../src/core/errors';
import { BUILTIN_MODEL_TYPES, buildDeepMlp, buildModel, buildResnetWithoutBatchNorm, buildWideResnet, type BuiltinModelSpec } from '../../../src/core/models/builders';
import { listModelWeights } from '../../../src/core/models/weights';

before(async () => {
  await tf.setBackend('cpu');
});

const weightValues = (model: tf.LayersModel) => listModelWeights(model).map((w) => Array.from(w.variable.read().dataSync()));

test('each built-in model maps [N,H,W,C] images to [N,numClasses] logits', () => {
  for (const type of BUILTIN_MODEL_TYPES) {
    for (const [shape, classes] of [[[28, 28, 1], 10], [[12, 16, 3], 4]] as [[number, number, number], number][]) {
      const model = buildModel({ type }, shape, classes, 1);
      const out = tf.tidy(() => (model.predict(tf.zeros([2, ...shape])) as tf.Tensor).shape);
      assert.deepEqual(out, [2, classes], type);
      assert.equal(model.name, type);
      // Logits, not probabilities: no softmax at the end.
      const last = model.layers[model.layers.length - 1];
      assert.equal((last.getConfig() as { activation?: string }).activation, 'linear', type);
    }
  }
});

test('the architectures are the documented ones', () => {
  const mlp = buildModel({ type: 'mlp' }, [28, 28, 1], 10, 1);
  assert.deepEqual(listModelWeights(mlp).filter((w) => w.sparsifiable).map((w) => w.shape), [[784, 300], [300, 100], [100, 10]]);
  const cnn = buildModel({ type: 'cnn' }, [28, 28, 1], 10, 1);
  assert.deepEqual(
    listModelWeights(cnn).map((w) => `${w.name}:${w.shape.join('x')}`),
    ['conv1/kernel:3x3x1x16', 'conv1/bias:16', 'conv2/kernel:3x3x16x32', 'conv2/bias:32', 'dense1/kernel:1568x128', 'dense1/bias:128', 'logits/kernel:128x10', 'logits/bias:10'],
  );
  const resnet = buildModel({ type: 'resnet' }, [28, 28, 1], 10, 1);
  const classes = new Set(resnet.layers.map((l) => l.getClassName()));
  for (const c of ['Conv2D', 'BatchNormalization', 'Add', 'GlobalAveragePooling2D', 'Dense']) assert.ok(classes.has(c), c);
  assert.ok(resnet.layers.some((l) => l.name.endsWith('_proj_conv') && (l.getConfig() as { strides: number[] }).strides[0] === 2));
});

test('the residual CNN without batch norm (issue 8 probe): the same convolutions and initial kernels, biases instead of batch norm', () => {
  const withBn = buildModel({ type: 'resnet' }, [28, 28, 1], 10, 7);
  const without = buildResnetWithoutBatchNorm([28, 28, 1], 10, 7);
  assert.ok(!without.layers.some((l) => l.getClassName() === 'BatchNormalization'));
  const kernels = (m: tf.LayersModel) => listModelWeights(m).filter((w) => w.name.endsWith('/kernel'));
  assert.deepEqual(kernels(without).map((w) => w.name), kernels(withBn).map((w) => w.name));
  // He-scaled: each kernel is the built-in's Glorot kernel times √(1 + fan_out / fan_in), draw for draw.
  const pairs = kernels(without).map((w, i) => [w, kernels(withBn)[i]] as const);
  for (const [a, b] of pairs) {
    const cout = a.shape[a.shape.length - 1];
    const fanIn = a.shape.slice(0, -1).reduce((p, d) => p * d, 1);
    const fanOut = a.shape.slice(0, -2).reduce((p, d) => p * d, 1) * cout;
    const factor = a.name.startsWith('logits') ? 1 : Math.sqrt(1 + fanOut / fanIn); // the dense logits layer keeps Glorot
    const x = a.variable.read().dataSync();
    const y = b.variable.read().dataSync();
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i] - factor * y[i]) <= 1e-6 * Math.max(1, Math.abs(x[i])), `${a.name}[${i}]`);
  }
  const convBiases = listModelWeights(without).filter((w) => w.name.endsWith('_conv/bias'));
  assert.equal(convBiases.length, kernels(without).length - 1); // every convolution; the logits' bias is not a conv's
  assert.ok(convBiases.every((w) => w.variable.read().dataSync().every((v) => v === 0)));
  const out = tf.tidy(() => (without.predict(tf.ones([2, 28, 28, 1])) as tf.Tensor).shape);
  assert.deepEqual(out, [2, 10]);
});

test('the deep MLP (issue 8 depth probe): the widths asked for, He-scaled hidden kernels, seeded', () => {
  const m = buildDeepMlp([28, 28, 1], 10, 5, [300, 300, 100]);
  assert.deepEqual(
    listModelWeights(m).filter((w) => w.sparsifiable).map((w) => `${w.name}:${w.shape.join('x')}`),
    ['dense1/kernel:784x300', 'dense2/kernel:300x300', 'dense3/kernel:300x100', 'logits/kernel:100x10'],
  );
  // He uniform: every hidden kernel within ±√(6 / fan_in), and using most of that range (Glorot's is narrower).
  for (const w of listModelWeights(m).filter((x) => x.sparsifiable && x.name.startsWith('dense'))) {
    const limit = Math.sqrt(6 / w.shape[0]);
    let max = 0;
    for (const x of w.variable.read().dataSync()) max = Math.max(max, Math.abs(x));
    assert.ok(max <= limit && max > 0.95 * limit, `${w.name}: max |w| ${max}, He limit ${limit}`);
  }
  assert.deepEqual(weightValues(buildDeepMlp([28, 28, 1], 10, 5, [300, 300, 100])), weightValues(m));
  assert.throws(() => buildDeepMlp([28, 28, 1], 10, 5, []), (e: unknown) => isElsaError(e) && /hidden widths/.test((e as Error).message));
  assert.throws(() => buildDeepMlp([28, 28, 1], 10, 5, [300, 0]), (e: unknown) => isElsaError(e) && /hidden widths/.test((e as Error).message));
});

test('layer and weight names are fixed, unique, and independent of how many models were built before', () => {
  for (const type of BUILTIN_MODEL_TYPES) {
    const first = listModelWeights(buildModel({ type }, [28, 28, 1], 10, 3)).map((w) => w.name);
    for (let i = 0; i < 3; i++) buildModel({ type: 'cnn' }, [8, 8, 1], 2, i + 1); // bump tfjs' global name counters
    const again = buildModel({ type }, [28, 28, 1], 10, 3);
    assert.deepEqual(listModelWeights(again).map((w) => w.name), first, type);
    assert.equal(new Set(first).size, first.length, type);
    const layerNames = again.layers.map((l) => l.name);
    assert.equal(new Set(layerNames).size, layerNames.length);
    assert.ok(layerNames.every((n) => /^[a-z][a-z0-9_]*$/.test(n)), layerNames.join(' '));
  }
});

test('the same seed builds bit-identical weights; another seed builds different kernels', () => {
  for (const type of BUILTIN_MODEL_TYPES) {
    const spec: BuiltinModelSpec = { type };
    const a = weightValues(buildModel(spec, [10, 10, 1], 5, 42));
    const b = weightValues(buildModel(spec, [10, 10, 1], 5, 42));
    assert.deepEqual(a, b, type);
    const other = buildModel(spec, [10, 10, 1], 5, 43);
    const c = weightValues(other);
    listModelWeights(other).forEach((w, i) => {
      if (w.sparsifiable) assert.notDeepEqual(c[i], a[i], `${type} ${w.name}`);
    });
    // Seed 0 must be deterministic too (tfjs treats an initializer seed of 0 as "unseeded").
    assert.deepEqual(weightValues(buildModel(spec, [10, 10, 1], 5, 0)), weightValues(buildModel(spec, [10, 10, 1], 5, 0)), type);
  }
});

test('bad arguments are ModelErrors', () => {
  const isModelError = (e: unknown) => isElsaError(e) && e.kind === 'ModelError';
  assert.throws(() => buildModel({ type: 'cnn' }, [28, 28, 0], 10, 1), isModelError);
  assert.throws(() => buildModel({ type: 'cnn' }, [28, 28, 1], 1, 1), isModelError);
  assert.throws(() => buildModel({ type: 'vgg' } as unknown as BuiltinModelSpec, [28, 28, 1], 10, 1), (e: unknown) => isModelError(e) && /unknown model type "vgg"/.test((e as Error).message));
});

test('images too small for a model (a layer would output 0 positions) are a ModelError, not a wasm crash on the first batch', () => {
  // The small CNN halves twice: 3×3 → 1×1 → 0×0 at pool2, and 1×N images → 0 rows.
  for (const shape of [[3, 3, 1], [2, 2, 1], [1, 50, 1]] as [number, number, number][]) {
    assert.throws(
      () => buildModel({ type: 'cnn' }, shape, 10, 1),
      (e: unknown) => isElsaError(e) && e.kind === 'ModelError' && new RegExp(`the cnn model cannot take ${shape.join('×')} images: its layer "pool\\d" would output`).test(e.problem),
      shape.join('×'),
    );
  }
  for (const [type, shape] of [['cnn', [4, 4, 1]], ['resnet', [1, 1, 1]], ['mlp', [1, 1, 1]]] as [BuiltinModelSpec['type'], [number, number, number]][]) {
    buildModel({ type } as BuiltinModelSpec, shape, 10, 1).dispose();
  }
});

test('the wide residual CNN (issue 8 size control): the same layers with k× the filters, k an integer >= 1', () => {
  const base = buildModel({ type: 'resnet' }, [28, 28, 1], 10, 5);
  const wide = buildWideResnet([28, 28, 1], 10, 5, 2);
  const kernels = (m: tf.LayersModel) => listModelWeights(m).filter((w) => w.name.endsWith('/kernel'));
  assert.deepEqual(kernels(wide).map((w) => w.name), kernels(base).map((w) => w.name));
  for (const [i, w] of kernels(wide).entries()) {
    const b = kernels(base)[i].shape;
    const inScale = w.name.startsWith('stem') ? 1 : 2; // the stem sees the image's one channel
    const want = b.length === 4 ? [b[0], b[1], b[2] * inScale, b[3] * 2] : [b[0] * 2, b[1]];
    assert.deepEqual(w.shape, want, w.name);
  }
  assert.deepEqual(buildWideResnet([28, 28, 1], 10, 5, 1).getWeights().map((t) => t.shape), base.getWeights().map((t) => t.shape));
  for (const bad of [0, 1.5, -2]) assert.throws(() => buildWideResnet([28, 28, 1], 10, 5, bad), (e: unknown) => isElsaError(e) && /width factor/.test(String(e)));
});
