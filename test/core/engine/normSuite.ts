/**
 * The batch-norm and reduction kernels (src/core/engine/batchNorm.ts, nativeNormKernels.ts) against the
 * reference `cpu` backend, where tfjs runs its own composition (moments + FusedBatchNorm, and their
 * gradients): the Layers BatchNormalization in training mode (output, gradients wrt x, γ, β, moving
 * statistics), the fused op with gradients arriving at its mean and variance outputs, inference-mode
 * FusedBatchNorm, Sum/Mean over middle axes, FusedConv2D, and a few training steps of the residual CNN.
 * Shared by batchNorm.test.ts (wasm compositions) and batchNorm.native.test.ts (native kernels).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initEngine, type EngineInfo } from '../../../src/core/engine/backend';
import { BN_TRAIN, BN_TRAIN_GRAD, batchNormTraining } from '../../../src/core/engine/batchNorm';
import { buildBuiltinModel } from '../../../src/core/models/builders';
import { MaskedOptimizer } from '../../../src/core/method/optimizer';
import { collectParams } from '../../../src/core/method/params';
import { createTrainStep } from '../../../src/core/method/trainStep';
import { assertSameOnBothBackends, lcg, randomArray, size } from './gradientSuite';

/** tfjs' own training-mode batch norm (what tfjs-layers does), the reference for the fused op. */
function referenceTraining(x: tf.Tensor, scale: tf.Tensor1D, offset: tf.Tensor1D, eps: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const { mean, variance } = tf.moments(x, Array.from({ length: x.rank - 1 }, (_, i) => i));
  return [tf.batchNorm(x, mean, variance, offset, scale, eps), mean, variance];
}

/** Layers BatchNormalization in training mode: y, ∂loss/∂(x, γ, β), and the updated moving statistics. */
function layerCase(shape: number[], seed: number): () => tf.Tensor[] {
  const next = lcg(seed);
  const c = shape[shape.length - 1];
  // an offset mean and uneven scales per channel, as real activations have
  const xa = randomArray(size(shape), next).map((v, i) => v * (1 + (i % c)) + 3 * ((i % c) - c / 2));
  const ra = randomArray(size(shape), next);
  const weights = [randomArray(c, next).map((v) => 1 + v / 2), randomArray(c, next), randomArray(c, next), randomArray(c, next).map((v) => 1.5 + v)];
  return () => {
    const layer = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3, name: `bn_test_${seed}` });
    const x = tf.tensor(xa, shape);
    tf.dispose(layer.apply(x, { training: false }) as tf.Tensor); // builds it (and registers the use that dispose() requires)
    layer.setWeights(weights.map((w) => tf.tensor1d(w)));
    const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const r = tf.tensor(ra, shape);
    // each apply in training mode moves the moving statistics once: three applies, the same on both backends
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const loss = (xv: tf.Tensor) => {
      const yv = layer.apply(xv, { training: true }) as tf.Tensor;
      return tf.add(tf.sum(tf.mul(yv, r)), tf.mul(tf.sum(tf.square(yv)), 0.25)) as tf.Scalar;
    };
    const { value, grads } = tf.variableGrads(() => loss(x), vars);
    const [dx] = tf.grads(loss)([x]);
    const out = [y, value, dx, ...vars.map((v) => grads[v.name]), ...layer.getWeights().slice(2).map((w) => w.clone())];
    layer.dispose();
    return out;
  };
}

export function normSuite(title: string, checkEngine: (info: EngineInfo) => void): void {
  describe(title, () => {
    before(async () => {
      const info = await initEngine('wasm');
      assert.equal(info.backend, 'wasm');
      checkEngine(info);
    });

    it('Layers batch norm, training mode: output, gradients wrt x, γ, β, moving statistics (ranks 2 and 4)', async () => {
      let seed = 1;
      for (const shape of [[4, 5, 6, 3], [8, 7, 7, 32], [2, 28, 28, 16], [10, 12], [1, 3, 3, 5]]) {
        await assertSameOnBothBackends(`layer bn ${shape}`, layerCase(shape, seed++), 2e-5);
      }
    });

    it('on wasm the Layers training call runs one fused kernel each way (not moments + FusedBatchNorm); inference runs FusedBatchNorm', async () => {
      await tf.setBackend('wasm');
      const layer = tf.layers.batchNormalization({ name: 'bn_kernels' });
      const x = tf.randomNormal([4, 5, 5, 8]);
      tf.dispose(layer.apply(x, { training: false }) as tf.Tensor);
      const names = async (f: () => void) => new Set((await tf.profile(f)).kernels.map((k) => k.name));
      const train = await names(() => {
        tf.tidy(() => tf.grads((v: tf.Tensor) => tf.sum(tf.square(layer.apply(v, { training: true }) as tf.Tensor)))([x]));
      });
      assert.ok(train.has(BN_TRAIN) && train.has(BN_TRAIN_GRAD), `training kernels: ${[...train].join(' ')}`);
      assert.ok(!train.has('FusedBatchNorm') && !train.has('Tile'), `training kernels: ${[...train].join(' ')}`);
      const infer = await names(() => tf.dispose(layer.apply(x, { training: false }) as tf.Tensor));
      assert.ok(infer.has('FusedBatchNorm') && !infer.has(BN_TRAIN), `inference kernels: ${[...infer].join(' ')}`);
      layer.dispose();
      x.dispose();
    });

    it('fused op with gradients arriving at its mean and variance outputs too', async () => {
      const next = lcg(40);
      for (const shape of [[6, 5, 4, 7], [16, 9]]) {
        const c = shape[shape.length - 1];
        const xa = randomArray(size(shape), next).map((v, i) => v * 2 + (i % c));
        const [ga, ba, ra, ma, va] = [c, c, size(shape), c, c].map((n) => randomArray(n, next));
        await assertSameOnBothBackends(`bn op ${shape}`, () => {
          const f = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
            const [y, mean, variance] = tf.getBackend() === 'wasm'
              ? batchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3)
              : referenceTraining(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3);
            return tf.addN([tf.sum(tf.mul(y, tf.tensor(ra, shape))), tf.sum(tf.mul(mean, tf.tensor(ma))), tf.sum(tf.mul(variance, tf.tensor(va)))]) as tf.Scalar;
          };
          const args = [tf.tensor(xa, shape), tf.tensor1d(ga), tf.tensor1d(ba)];
          return [f(args[0], args[1], args[2]), ...tf.grads(f)(args)];
        }, 2e-5);
      }
    });

    it('inference-mode FusedBatchNorm (moving statistics), with and without scale and offset, and its gradients', async () => {
      // tfjs itself cannot differentiate batchNorm without scale or offset (its tape reads the absent inputs): forward only there
      const next = lcg(60);
      for (const [shape, withScale, withOffset] of [[[3, 5, 4, 6], true, true], [[7, 6], false, true], [[2, 4, 4, 3], true, false], [[5, 3], false, false]] as [number[], boolean, boolean][]) {
        const c = shape[shape.length - 1];
        const [xa, ra] = [randomArray(size(shape), next), randomArray(size(shape), next)];
        const [ma, va, sa, oa] = [randomArray(c, next), randomArray(c, next).map((v) => 1.2 + v), randomArray(c, next), randomArray(c, next)];
        await assertSameOnBothBackends(`batchNorm ${shape} scale=${withScale} offset=${withOffset}`, () => {
          const bn = (x: tf.Tensor, s?: tf.Tensor, o?: tf.Tensor) => tf.batchNorm(x, tf.tensor1d(ma), tf.tensor1d(va), o, s, 1e-3);
          const [x, s, o] = [tf.tensor(xa, shape), withScale ? tf.tensor1d(sa) : undefined, withOffset ? tf.tensor1d(oa) : undefined];
          const y = bn(x, s, o);
          if (!s || !o) return [y];
          const loss = (xv: tf.Tensor, sv: tf.Tensor, ov: tf.Tensor) => tf.sum(tf.mul(bn(xv, sv, ov), tf.tensor(ra, shape))) as tf.Scalar;
          return [y, ...tf.grads(loss)([x, s, o])];
        });
      }
    });

    it('sum and mean over middle, leading and trailing axes, with and without keepDims', async () => {
      const next = lcg(70);
      const shape = [3, 5, 4, 6];
      const xa = randomArray(size(shape), next);
      const cases: [number[] | number | undefined, boolean][] = [[[1, 2], false], [[1, 2], true], [[0, 1], false], [1, true], [[2, 0, 1], false], [[2, 3], false], [[0, 2], false], [undefined, false]];
      for (const [axis, keepDims] of cases) {
        for (const op of [tf.sum, tf.mean]) {
          await assertSameOnBothBackends(`${op === tf.sum ? 'sum' : 'mean'} axis=${String(axis)} keepDims=${keepDims}`, () => {
            const r = op(tf.tensor(xa, shape), axis, keepDims);
            return [r, tf.tensor(r.shape.length ? r.shape : [1])];
          });
        }
      }
    });

    it('fused conv2d (linear with and without bias, relu; long and short patches; stride 2 same): forward and gradients', async () => {
      const next = lcg(80);
      const cases: [number[], number[], number, 'same' | 'valid', boolean, 'linear' | 'relu'][] = [
        [[2, 9, 9, 8], [3, 3, 8, 5], 2, 'same', false, 'linear'], [[2, 8, 8, 16], [3, 3, 16, 4], 1, 'same', true, 'linear'],
        [[2, 8, 7, 2], [3, 3, 2, 4], 1, 'valid', true, 'linear'], [[1, 9, 9, 8], [3, 3, 8, 3], 2, 'same', true, 'relu'],
      ];
      for (const [xs, ws, stride, pad, withBias, activation] of cases) {
        const [xa, wa, ba] = [randomArray(size(xs), next), randomArray(size(ws), next), randomArray(ws[3], next)];
        await assertSameOnBothBackends(`fused conv ${xs} ${ws} s${stride} ${pad} bias=${withBias} ${activation}`, () => {
          const f = (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: stride, pad, bias: b, activation });
          const args = [tf.tensor(xa, xs), tf.tensor(wa, ws), ...(withBias ? [tf.tensor1d(ba)] : [])];
          const loss = (...a: tf.Tensor[]) => tf.sum(tf.square(f(a[0], a[1], a[2]))) as tf.Scalar;
          return [f(args[0], args[1], args[2]), ...tf.grads(loss)(args)];
        });
      }
    });

    it('residual CNN with batch norm: three training steps give the cpu backend\'s losses and weights', async () => {
      const next = lcg(90);
      const [n, steps] = [8, 3];
      const images = Array.from({ length: steps }, () => randomArray(n * 28 * 28, next).map((v) => (v + 1) / 2));
      const labels = Array.from({ length: steps }, (_, s) => Int32Array.from({ length: n }, (_, i) => (i * 3 + s) % 10));
      await assertSameOnBothBackends('resnet steps', () => {
        const model = buildBuiltinModel({ type: 'resnet' }, [28, 28, 1], 10, 7);
        const params = collectParams(model).filter((p) => p.trainable);
        const optimizer = new MaskedOptimizer(
          { type: 'sgd', learningRate: 0.05, momentum: 0.9, weightDecay: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
          params.map((p) => ({ name: p.name, variable: p.variable, decay: p.sparsifiable })),
        );
        const step = createTrainStep(model, optimizer, 10);
        const losses: tf.Tensor[] = [];
        for (let s = 0; s < steps; s++) {
          const { loss, correct } = step(tf.tensor4d(images[s], [n, 28, 28, 1]), tf.tensor1d(labels[s], 'int32'));
          correct.dispose();
          losses.push(loss);
        }
        // every weight, the moving statistics included, after the steps
        const weights = model.getWeights().map((w) => w.clone());
        optimizer.dispose();
        model.dispose();
        return [tf.stack(losses), ...weights];
      }, 1e-4);
    });
  });
}
