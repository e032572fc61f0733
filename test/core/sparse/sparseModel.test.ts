/**
 * The sparse inference path predicts what the engine predicts: the built-in models as extracted levels
 * (loadLevelModel, the `elsa eval` path) and a layer zoo with every other supported layer, on sparse weights;
 * and it refuses a layer it does not know, naming it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/core/engine/backend';
import { isElsaError } from '../../../src/core/errors';
import { loadLevelModel } from '../../../src/core/method/extract';
import { modelTopology } from '../../../src/core/models/weights';
import { withoutFinalSoftmax } from '../../../src/core/models/softmax';
import { createRng } from '../../../src/core/random';
import { compileSparseModel } from '../../../src/core/sparse/sparseModel';
import type { LayersTopology } from '../../../src/core/models/weights';
import { LOCALLY_CONNECTED_SHAPE, buildLayerZoo, buildLocallyConnectedZoo, randomizeWeights } from '../../helpers/layerZoo';
import { buildResnetLocallyConnected } from '../../../src/core/models/builders';
import { writeLevelCheckpoint } from '../../helpers/levelCheckpoint';
import { tempDir } from '../io/ioTestUtil';

const tmp = tempDir('elsa-sparse-');
after(tmp.cleanup);
before(async () => {
  await initEngine('wasm');
});

function images(count: number, shape: number[], seed: number): Float32Array {
  const rng = createRng(seed);
  // Like real images: a share of exact zeros (background), which the sparse path skips.
  return Float32Array.from({ length: count * shape.reduce((a, b) => a * b, 1) }, () => (rng.next() < 0.3 ? 0 : rng.next()));
}

function engineLogits(model: tf.LayersModel, x: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => model.apply(tf.tensor(x, [1, ...shape]), { training: false }) as tf.Tensor).dataSync() as Float32Array;
}

function assertClose(got: Float32Array, want: Float32Array, label: string, tol = 1e-4): void {
  assert.equal(got.length, want.length, `${label}: output size`);
  let d = 0;
  for (let i = 0; i < got.length; i++) d = Math.max(d, Math.abs(got[i] - want[i]));
  assert.ok(d <= tol, `${label}: max |diff| ${d}`);
  const argmax = (a: Float32Array) => a.indexOf(Math.max(...a));
  assert.equal(argmax(got), argmax(want), `${label}: predicted class`);
}

describe('sparse inference path', () => {
  const shape: [number, number, number] = [11, 11, 3];
  for (const type of ['mlp', 'cnn', 'resnet'] as const) {
    it(`${type}: every level gives the engine's logits`, async () => {
      const ckpt = tmp.file(`${type}.elsa.safetensors`);
      await writeLevelCheckpoint(ckpt, { type, shape, numClasses: 7, targets: [0.9, 0.5], seed: 11 });
      const xs = images(3, shape, 2);
      const per = shape.reduce((a, b) => a * b, 1);
      for (const level of [1, 2, 3]) {
        const { model, extracted } = await loadLevelModel(ckpt, level, { logits: true });
        const topology = withoutFinalSoftmax(extracted.meta.topology as LayersTopology) ?? extracted.meta.topology;
        const sparse = compileSparseModel(topology, extracted.weights, 'x');
        if (level === 1) assert.ok(sparse.nonzeros < 0.2 * sparse.csrWeights, `level 1 stores ${sparse.nonzeros} of ${sparse.csrWeights}`);
        for (let n = 0; n < 3; n++) {
          const x = xs.subarray(n * per, (n + 1) * per);
          assertClose(sparse.run(x), engineLogits(model, x, shape), `${type} level ${level} sample ${n}`);
        }
        model.dispose();
      }
    });
  }

  it('every other supported layer matches TF.js on sparse weights', () => {
    const { model, weights } = buildLayerZoo({ extraHeads: true, kernelZeros: 0.7 });
    const sparse = compileSparseModel(modelTopology(model), weights);
    assert.deepEqual(sparse.outputShape, [6]);
    for (let n = 0; n < 4; n++) {
      const img = images(1, [9, 9, 2], 10 + n);
      assertClose(sparse.run(img), engineLogits(model, img, [9, 9, 2]), `zoo sample ${n}`, 2e-4);
    }
    model.dispose();
  });

  it('LocallyConnected2D on sparse weights matches TF.js (padding, strides, per-position bias; the locally connected residual CNN)', () => {
    const hand = buildLocallyConnectedZoo(0.7);
    const resnet = buildResnetLocallyConnected([11, 11, 3], 7, 3);
    const cases = [['hand-built', hand.model, hand.weights, LOCALLY_CONNECTED_SHAPE], ['resnet-local', resnet, randomizeWeights(resnet, 5, 0.7), [11, 11, 3]]] as const;
    for (const [label, model, weights, shape] of cases) {
      const sparse = compileSparseModel(modelTopology(model), weights);
      assert.ok(sparse.nonzeros < 0.4 * sparse.csrWeights, `${label}: ${sparse.nonzeros} of ${sparse.csrWeights} stored`);
      for (let n = 0; n < 3; n++) {
        const img = images(1, [...shape], 20 + n);
        assertClose(sparse.run(img), engineLogits(model, img, [...shape]), `${label} sample ${n}`, 2e-4);
      }
      model.dispose();
    }
  });

  it('refuses a layer it does not handle, naming it, and a wrongly sized input', () => {
    const input = tf.input({ shape: [4], name: 'x' });
    const out = tf.layers.dense({ units: 2, name: 'd' }).apply(tf.layers.repeatVector({ n: 2, name: 'rep' }).apply(input) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    assert.throws(() => compileSparseModel(modelTopology(model), {}, 'm.elsa.safetensors'), (e: unknown) => {
      assert.ok(isElsaError(e));
      assert.match(e.message, /^m\.elsa\.safetensors: sparse path: layer "rep" \(RepeatVector\): this layer class is not supported by the sparse path$/);
      return true;
    });
    model.dispose();
    const ok = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2, name: 'd' })] });
    const sparse = compileSparseModel(modelTopology(ok), { 'd/kernel': { dtype: 'F32', shape: [3, 2], data: new Float32Array(6) }, 'd/bias': { dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) } });
    assert.deepEqual([...sparse.run(Float32Array.of(1, 2, 3))], [1, 2]);
    assert.throws(() => sparse.run(new Float32Array(4)), /input has 4 values, the model takes 3/);
    assert.throws(() => compileSparseModel(modelTopology(ok), { 'd/kernel': { dtype: 'F32', shape: [2, 2], data: new Float32Array(4) } }), /weight "d\/kernel" is \[2, 2\], the layer needs \[3, 2\]/);
    ok.dispose();
  });
});
