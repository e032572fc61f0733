/**
 * ONNX export round trip: `elsa extract --format onnx` of the built-in models, run in ONNX Runtime, predicts
 * what the in-process evaluation (the `elsa eval` path: loadLevelModel + evaluateModel) predicts; and a
 * hand-built model with every other supported layer matches TF.js' own predict. Skipped with a message only
 * when onnxruntime-node cannot load here, never under CI=true.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { runExtractCommand } from '../../../src/cli/commands/extract';
import { initEngine } from '../../../src/core/engine/backend';
import { isElsaError } from '../../../src/core/errors';
import { exportOnnx } from '../../../src/core/io/onnxExport';
import { evaluateModel } from '../../../src/core/method/evaluate';
import { loadLevelModel } from '../../../src/core/method/extract';
import { buildResnetLocallyConnected } from '../../../src/core/models/builders';
import { listModelWeights, modelTopology } from '../../../src/core/models/weights';
import { createRng } from '../../../src/core/random';
import { LOCALLY_CONNECTED_SHAPE, buildLayerZoo, buildLocallyConnectedZoo, randomizeWeights } from '../../helpers/layerZoo';
import { writeLevelCheckpoint } from '../../helpers/levelCheckpoint';
import { tempDir } from './ioTestUtil';

type Ort = typeof import('onnxruntime-node');
let ort: Ort | undefined;
let loadProblem = '';
const tmp = tempDir();
after(tmp.cleanup);

before(async () => {
  await initEngine('wasm');
  try {
    ort = await import('onnxruntime-node');
    // Loading the module is not enough: the native binding loads on the first session.
    await ort.InferenceSession.create(onnxBytes(tinyTopology(), tinyWeights(), { producerVersion: 'test' }));
  } catch (e) {
    ort = undefined;
    loadProblem = (e as Error).message.split('\n')[0];
    if (process.env.CI === 'true') throw new Error(`onnxruntime-node does not load under CI: ${loadProblem}`);
  }
});

function skipWithoutOrt(t: { skip: (m: string) => void }): boolean {
  if (ort) return false;
  const message = `onnxruntime-node cannot load here (${loadProblem}); the ONNX round trip is skipped`;
  console.warn(message);
  t.skip(message);
  return true;
}

/** The file exportOnnx's pieces make, in one buffer. */
const onnxBytes = (...args: Parameters<typeof exportOnnx>): Uint8Array => Buffer.concat(exportOnnx(...args));

function tinyTopology(): unknown {
  const input = tf.input({ shape: [2], name: 'x' });
  const out = tf.layers.dense({ units: 2, name: 'd' }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  const topo = modelTopology(model);
  model.dispose();
  return topo;
}
const tinyWeights = () => ({ 'd/kernel': { dtype: 'F32' as const, shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }, 'd/bias': { dtype: 'F32' as const, shape: [2], data: new Float32Array(2) } });

function randomImages(count: number, shape: number[], seed: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(count * shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) out[i] = rng.next();
  return out;
}

async function runOnnx(file: string | Uint8Array, images: Float32Array, shape: number[], count: number): Promise<Float32Array> {
  const session = await ort!.InferenceSession.create(file as Uint8Array);
  const feeds = { [session.inputNames[0]]: new ort!.Tensor('float32', images, [count, ...shape]) };
  const result = await session.run(feeds);
  await session.release();
  return result[session.outputNames[0]].data as Float32Array;
}

/** Logits agree to 1e-4, relative to the largest logit where that is above 1 (float32 sums in another order). */
function compareLogits(got: Float32Array, want: Float32Array, classes: number, label: string): void {
  assert.equal(got.length, want.length, `${label}: logit count`);
  let maxDiff = 0;
  let scale = 1;
  for (let i = 0; i < got.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  assert.ok(maxDiff <= 1e-4 * scale, `${label}: logits differ by up to ${maxDiff} (largest logit ${scale})`);
  for (let n = 0; n < got.length / classes; n++) {
    const row = (a: Float32Array) => a.subarray(n * classes, (n + 1) * classes);
    const argmax = (r: Float32Array) => r.indexOf(Math.max(...r));
    assert.equal(argmax(row(got)), argmax(row(want)), `${label}: sample ${n} predicted class`);
  }
}

describe('elsa extract --format onnx', () => {
  // 11x11x3: odd sizes make TF's "same" padding asymmetric, three channels catch a wrong NHWC/NCHW order.
  const shape: [number, number, number] = [11, 11, 3];
  for (const type of ['mlp', 'cnn', 'resnet'] as const) {
    it(`${type}: ONNX Runtime predicts what elsa eval predicts (level 1 and dense)`, async (t) => {
      if (skipWithoutOrt(t)) return;
      const ckpt = tmp.file(`${type}.elsa.safetensors`);
      await writeLevelCheckpoint(ckpt, { type, shape, numClasses: 7, targets: [0.8, 0.5], seed: 5 });
      const count = 24;
      const images = randomImages(count, shape, 9);
      const split = { images, labels: new Int32Array(count), count };
      const perLevel: Float32Array[] = [];
      for (const level of [1, 3]) {
        const out = tmp.file(`${type}-${level}/model.onnx`);
        assert.equal(await runExtractCommand(ckpt, { level: String(level), format: 'onnx', out }), 0);
        const { model } = await loadLevelModel(ckpt, level);
        const ev = await evaluateModel(model, split, shape, { numClasses: 7, keepLogits: true });
        model.dispose();
        const got = await runOnnx(out, images, shape, count);
        compareLogits(got, ev.logits!, 7, `${type} level ${level}`);
        perLevel.push(got);
      }
      // The export follows the level: the sparse level's predictions are not the dense network's.
      assert.ok(perLevel[0].some((v, i) => Math.abs(v - perLevel[1][i]) > 1e-3), 'level 1 and the dense level export the same network');
    });
  }

  it('every other supported layer matches TF.js predict', async (t) => {
    if (skipWithoutOrt(t)) return;
    const { model, weights } = buildLayerZoo();
    const count = 6;
    const images = randomImages(count, [9, 9, 2], 4);
    const want = tf.tidy(() => (model.predict(tf.tensor4d(images, [count, 9, 9, 2])) as tf.Tensor).dataSync() as Float32Array);
    const bytes = onnxBytes(modelTopology(model), weights, { producerVersion: 'test' });
    compareLogits(await runOnnx(bytes, images, [9, 9, 2], count), want, 8, 'layer zoo');
    model.dispose();
  });

  it('reads Sequential topologies too (a model.json as tf.sequential saves it)', async (t) => {
    if (skipWithoutOrt(t)) return;
    const model = tf.sequential({ name: 'seq' });
    model.add(tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'c' }));
    model.add(tf.layers.flatten({ name: 'f' }));
    model.add(tf.layers.dense({ units: 4, activation: 'softmax', name: 'd' }));
    const rng = createRng(8);
    const weights: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    for (const w of listModelWeights(model)) {
      const data = Float32Array.from({ length: w.shape.reduce((p, q) => p * q, 1) }, () => rng.normal());
      w.variable.write(tf.tensor(data, w.shape));
      weights[w.name] = { dtype: 'F32', shape: w.shape, data };
    }
    const images = randomImages(5, [6, 6, 2], 2);
    const want = tf.tidy(() => (model.predict(tf.tensor4d(images, [5, 6, 6, 2])) as tf.Tensor).dataSync() as Float32Array);
    compareLogits(await runOnnx(onnxBytes(modelTopology(model), weights, { producerVersion: 'test' }), images, [6, 6, 2], 5), want, 4, 'sequential');
    model.dispose();
  });

  it('LocallyConnected2D: ONNX Runtime predicts what TF.js predicts (padding, strides, bias per position, no bias; the locally connected residual CNN)', async (t) => {
    if (skipWithoutOrt(t)) return;
    const hand = buildLocallyConnectedZoo().model;
    const resnet = buildResnetLocallyConnected([11, 11, 3], 7, 3);
    for (const [label, model, shape] of [['hand-built', hand, LOCALLY_CONNECTED_SHAPE], ['resnet-local', resnet, [11, 11, 3]]] as const) {
      const weights = randomizeWeights(model, 12);
      const count = 5;
      const images = randomImages(count, [...shape], 6);
      const want = tf.tidy(() => (model.predict(tf.tensor4d(images, [count, ...shape] as [number, number, number, number])) as tf.Tensor).dataSync() as Float32Array);
      compareLogits(await runOnnx(onnxBytes(modelTopology(model), weights, { producerVersion: 'test' }), images, [...shape], count), want, want.length / count, label);
      model.dispose();
    }
  });

  it('writes a weight tensor as it is: its bytes are one of the pieces, not a copy (an 80 MB model was copied three times, native work a stop cannot interrupt)', async (t) => {
    if (skipWithoutOrt(t)) return;
    const input = tf.input({ shape: [64], name: 'x' });
    const out = tf.layers.dense({ units: 64, name: 'd' }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const topology = modelTopology(model);
    model.dispose();
    const rng = createRng(5);
    const kernel = new Float32Array(64 * 64).map(() => rng.next() - 0.5);
    const weights = { 'd/kernel': { dtype: 'F32' as const, shape: [64, 64], data: kernel }, 'd/bias': { dtype: 'F32' as const, shape: [64], data: new Float32Array(64) } };
    const pieces = exportOnnx(topology, weights, { producerVersion: 'test' });
    assert.ok(pieces.some((p) => p.buffer === kernel.buffer && p.byteLength === kernel.byteLength), 'the kernel was copied into the output');
    // the pieces in order are the model: ONNX Runtime computes x · kernel from them
    const images = randomImages(2, [64], 6);
    const want = new Float32Array(2 * 64);
    for (let b = 0; b < 2; b++) for (let j = 0; j < 64; j++) for (let i = 0; i < 64; i++) want[b * 64 + j] += images[b * 64 + i] * kernel[i * 64 + j];
    compareLogits(await runOnnx(Buffer.concat(pieces), images, [64], 2), want, 64, 'dense 64x64');
  });

  it('refuses what it cannot export, naming the layer', () => {
    const input = tf.input({ shape: [4], name: 'x' });
    const out = tf.layers.dense({ units: 2, activation: 'gelu_new', name: 'd' }).apply(
      tf.layers.repeatVector({ n: 2, name: 'rep' }).apply(input) as tf.SymbolicTensor,
    ) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    assert.throws(() => exportOnnx(modelTopology(model), {}, { producerVersion: 't', file: 'm.elsa.safetensors' }), (e: unknown) => {
      assert.ok(isElsaError(e));
      assert.match(e.message, /^m\.elsa\.safetensors: ONNX export: layer "rep" \(RepeatVector\): this layer class is not supported/);
      return true;
    });
    model.dispose();
    const topo = tinyTopology();
    assert.throws(() => exportOnnx(topo, { 'd/kernel': { dtype: 'F32', shape: [3, 2], data: new Float32Array(6) } }, { producerVersion: 't' }), /weight "d\/kernel" is \[3, 2\], the layer needs \[2, 2\]/);
    assert.throws(() => exportOnnx({ class_name: 'Model', config: {} }, {}, { producerVersion: 't' }), /ONNX export: the model topology has no layers/);
  });
});
