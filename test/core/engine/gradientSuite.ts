/**
 * The gradient-kernel suite shared by gradients.test.ts (wasm composites) and
 * gradients.native.test.ts (native OpenBLAS kernels): every kernel we register on the wasm backend must
 * give the gradients the reference `cpu` backend gives (same inputs, both backends in one process), and
 * must not leak tensors.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { engineInfo, initEngine, type EngineInfo } from '../../../src/core/engine/backend';
import { WASM_GRAD_KERNELS } from '../../../src/core/engine/wasmKernels';

type Shape4 = [number, number, number, number];

export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

export function randomArray(n: number, next: () => number, quantum = 0): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = quantum > 0 ? Math.round(next() / quantum) * quantum : next();
  return a;
}

export const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Runs `f` on a backend and returns copies of the results (no tensors escape). */
async function on(backend: 'cpu' | 'wasm', f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(f);
  const copies = outs.map((t) => t.dataSync() as Float32Array).map((a) => Float32Array.from(a));
  tf.dispose(outs);
  return copies;
}

/** Same computation on cpu and wasm; asserts max|Δ| ≤ tol·max(1, max|cpu|) per output. */
export async function assertSameOnBothBackends(label: string, f: () => tf.Tensor[], tol = 1e-5): Promise<void> {
  const expected = await on('cpu', f);
  await tf.setBackend('wasm');
  const tensorsBefore = tf.memory().numTensors;
  const actual = await on('wasm', f);
  assert.equal(tf.memory().numTensors, tensorsBefore, `${label}: wasm kernels leaked tensors`);
  assert.equal(actual.length, expected.length);
  expected.forEach((exp, k) => {
    const act = actual[k];
    assert.equal(act.length, exp.length, `${label} output ${k}: size`);
    let maxDiff = 0;
    let maxRef = 0;
    for (let i = 0; i < exp.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(exp[i] - act[i]));
      maxRef = Math.max(maxRef, Math.abs(exp[i]));
    }
    assert.ok(!Number.isNaN(maxDiff), `${label} output ${k}: NaN`);
    assert.ok(maxDiff <= tol * Math.max(1, maxRef), `${label} output ${k}: max|Δ| ${maxDiff} (max|ref| ${maxRef})`);
  });
}

/** conv(x, w) and the gradients of Σ conv(x, w) ⊙ r with respect to x and w: forward and both backprops. */
function convGrads(xs: Shape4, ws: Shape4, stride: number, pad: 'same' | 'valid', seed: number, depthwise = false) {
  const next = lcg(seed);
  const xa = randomArray(size(xs), next);
  const wa = randomArray(size(ws), next);
  const ra = randomArray(size(xs) * ws[3] * 2, next);
  return () => {
    const x = tf.tensor4d(xa, xs);
    const w = tf.tensor4d(wa, ws);
    const loss = (xv: tf.Tensor, wv: tf.Tensor) => {
      const y = depthwise
        ? tf.depthwiseConv2d(xv as tf.Tensor4D, wv as tf.Tensor4D, stride, pad)
        : tf.conv2d(xv as tf.Tensor4D, wv as tf.Tensor4D, stride, pad);
      return tf.sum(tf.mul(y, tf.tensor(ra.subarray(0, y.size), y.shape)));
    };
    const y = depthwise ? tf.depthwiseConv2d(x, w, stride, pad) : tf.conv2d(x, w, stride, pad);
    return [y, ...tf.grads(loss)([x, w])];
  };
}

export function gradientSuite(title: string, checkEngine: (info: EngineInfo) => void): void {
  describe(title, () => {
    before(async () => {
      const info = await initEngine('wasm');
      assert.equal(info.backend, 'wasm');
      checkEngine(info);
    });

    it('initEngine is idempotent and reports the wasm backend with our kernels', async () => {
      const again = await initEngine('cpu');
      assert.deepEqual(again, engineInfo());
      assert.equal(again.backend, 'wasm');
      for (const name of WASM_GRAD_KERNELS) assert.ok(tf.getKernel(name, 'wasm'), `${name} registered`);
    });

    it('conv2d dx and dW: padding × stride × filter size × few/many input channels', async () => {
      let seed = 1;
      for (const pad of ['same', 'valid'] as const) {
        for (const stride of [1, 2]) {
          for (const k of [1, 3, 5]) {
            for (const cin of [3, 12]) {
              const xs: Shape4 = [2, 9 + (seed % 2), 9, cin];
              const ws: Shape4 = [k, k, cin, 5];
              await assertSameOnBothBackends(`conv ${pad} s${stride} k${k} cin${cin}`, convGrads(xs, ws, stride, pad, seed++));
            }
          }
        }
      }
    });

    it('conv2d with short patches and Cout a multiple of 8 (native direct kernels): forward, dx, dW', async () => {
      let seed = 600;
      const cases: [Shape4, Shape4, number, 'same' | 'valid'][] = [
        [[3, 28, 28, 1], [3, 3, 1, 16], 1, 'same'], [[2, 11, 9, 1], [3, 3, 1, 8], 2, 'same'], [[2, 10, 10, 2], [3, 3, 2, 24], 1, 'valid'],
        [[2, 12, 12, 16], [1, 1, 16, 16], 2, 'same'], [[1, 9, 8, 3], [2, 5, 3, 64], 2, 'valid'], [[2, 7, 7, 2], [5, 3, 2, 40], 1, 'same'],
        [[1, 6, 6, 1], [3, 3, 1, 32], 3, 'same'],
      ];
      for (const [xs, ws, stride, pad] of cases) {
        await assertSameOnBothBackends(`direct conv x=${xs} w=${ws} s${stride} ${pad}`, convGrads(xs, ws, stride, pad, seed++));
      }
      const next = lcg(650);
      const [xa, wa] = [randomArray(2 * 10 * 10 * 1, next), randomArray(3 * 3 * 1 * 16, next)];
      await assertSameOnBothBackends('direct conv dilated', () => [tf.conv2d(tf.tensor4d(xa, [2, 10, 10, 1]), tf.tensor4d(wa, [3, 3, 1, 16]), 1, 'same', 'NHWC', 2)]);
    });

    it('conv2d gradients on a large single-channel input (native kernels work in row chunks)', async () => {
      await assertSameOnBothBackends('conv large', convGrads([2, 130, 130, 1], [3, 3, 1, 4], 1, 'valid', 77));
    });

    it('conv2d forward with dilation (no gradient in tfjs), long patches and short ones', async () => {
      const next = lcg(5);
      for (const [xs, ws, pad] of [[[2, 12, 11, 8], [3, 3, 8, 4], 'same'], [[1, 13, 13, 2], [3, 2, 2, 3], 'valid']] as [Shape4, Shape4, 'same' | 'valid'][]) {
        const xa = randomArray(size(xs), next);
        const wa = randomArray(size(ws), next);
        await assertSameOnBothBackends(`dilated conv x=${xs} w=${ws}`, () => [tf.conv2d(tf.tensor4d(xa, xs), tf.tensor4d(wa, ws), 1, pad, 'NHWC', 2)]);
      }
    });

    it('conv2d gradients on random shapes, including non-square filters', async () => {
      const next = lcg(99);
      const pick = (lo: number, hi: number) => lo + Math.floor(((next() + 1) / 2) * (hi - lo + 1));
      for (let trial = 0; trial < 8; trial++) {
        const kh = pick(1, 4);
        const kw = pick(1, 4);
        const xs: Shape4 = [pick(1, 3), pick(kh, 11), pick(kw, 11), pick(1, 10)];
        const ws: Shape4 = [kh, kw, xs[3], pick(1, 6)];
        const stride = pick(1, 3);
        const pad = trial % 2 === 0 ? 'same' : 'valid';
        await assertSameOnBothBackends(`conv x=${xs} w=${ws} s${stride} ${pad}`, convGrads(xs, ws, stride, pad, 500 + trial));
      }
    });

    it('depthwise conv dx and dW: padding × stride × filter size × channel multiplier', async () => {
      let seed = 200;
      for (const pad of ['same', 'valid'] as const) {
        for (const stride of [1, 2]) {
          for (const k of [1, 3]) {
            for (const mult of [1, 2]) {
              const xs: Shape4 = [2, 8 + (seed % 2), 9, 3];
              const ws: Shape4 = [k, k, 3, mult];
              await assertSameOnBothBackends(`depthwise ${pad} s${stride} k${k} m${mult}`, convGrads(xs, ws, stride, pad, seed++, true));
            }
          }
        }
      }
    });

    it('sum over leading axes (bias gradients), with and without keepDims, and over other axes', async () => {
      const next = lcg(9);
      const xs = [3, 5, 4, 6];
      const xa = randomArray(size(xs), next);
      const cases: [number[] | number | undefined, boolean][] = [[[0, 1, 2], false], [[2, 0, 1], true], [[0, 1], false], [3, false], [[1, 2, 3], true], [undefined, false]];
      for (const [axis, keepDims] of cases) {
        await assertSameOnBothBackends(`sum axis=${String(axis)} keepDims=${keepDims}`, () => {
          const r = tf.sum(tf.tensor(xa, xs), axis, keepDims);
          return [r, tf.tensor(r.shape.length ? r.shape : [1])];
        });
      }
    });

    it('clone shares memory safely: the copy outlives its source, variables keep their own values', async () => {
      await tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      const source = tf.tensor([1, 2, 3, 4], [2, 2]);
      const copy = tf.clone(source);
      const v = tf.variable(source);
      source.dispose();
      assert.deepEqual(Array.from(copy.dataSync()), [1, 2, 3, 4]);
      const next = tf.tensor([5, 6, 7, 8], [2, 2]);
      v.assign(next);
      next.dispose();
      assert.deepEqual(Array.from(copy.dataSync()), [1, 2, 3, 4]);
      assert.deepEqual(Array.from(v.dataSync()), [5, 6, 7, 8]);
      copy.dispose();
      v.dispose();
      assert.equal(tf.memory().numTensors, before);
    });

    it('add: bias vectors along the last axis (either operand), and other broadcasts', async () => {
      const next = lcg(10);
      const cases: [number[], number[]][] = [[[4, 9, 9, 16], [16]], [[16], [4, 9, 9, 16]], [[70, 64], [64]], [[3, 5], [5]], [[4, 9, 9, 16], [1, 1, 1, 16]], [[4, 9, 9, 16], [4, 9, 9, 16]], [[70, 64], [70, 1]]];
      for (const [as, bs] of cases) {
        const aa = randomArray(size(as), next);
        const ba = randomArray(size(bs), next);
        await assertSameOnBothBackends(`add ${as} + ${bs}`, () => [tf.add(tf.tensor(aa, as), tf.tensor(ba, bs))], 0);
      }
    });

    it('matMul with one side unbatched or broadcast over the batch', async () => {
      const next = lcg(8);
      const pairs: [number[], number[]][] = [[[3, 5, 7], [7, 4]], [[5, 7], [3, 7, 4]], [[1, 5, 7], [3, 7, 4]], [[2, 1, 5, 7], [1, 3, 7, 4]]];
      for (const [as, bs] of pairs) {
        const aa = randomArray(size(as), next);
        const ba = randomArray(size(bs), next);
        await assertSameOnBothBackends(`matMul ${as} × ${bs}`, () => [tf.matMul(tf.tensor(aa, as), tf.tensor(ba, bs))]);
      }
    });

    it('matMul with every transpose combination, rank 2 and 3, forward and gradients', async () => {
      const next = lcg(7);
      for (const batch of [undefined, 3]) {
        for (const ta of [false, true]) {
          for (const tb of [false, true]) {
            const [m, k, n] = [5, 7, 4];
            const lead = batch === undefined ? [] : [batch];
            const as = [...lead, ...(ta ? [k, m] : [m, k])];
            const bs = [...lead, ...(tb ? [n, k] : [k, n])];
            const aa = randomArray(size(as), next);
            const ba = randomArray(size(bs), next);
            await assertSameOnBothBackends(`matMul b=${batch} tA=${ta} tB=${tb}`, () => {
              const a = tf.tensor(aa, as);
              const b = tf.tensor(ba, bs);
              const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, ta, tb)));
              return [tf.matMul(a, b, ta, tb), ...tf.grads(f)([a, b])];
            });
          }
        }
      }
    });

    it('maxPool gradient: 2×2/s2 path, general window path, ties (first max wins)', async () => {
      // coarse values make ties common (first max wins, as on cpu); overlapping windows are where
      // tfjs-wasm's own MaxPoolGrad loses gradient
      const cases: { xs: Shape4; f: number; s: number; pad: 'same' | 'valid'; quantum: number }[] = [
        { xs: [2, 8, 6, 3], f: 2, s: 2, pad: 'valid', quantum: 0.5 },
        { xs: [2, 7, 7, 3], f: 2, s: 2, pad: 'valid', quantum: 0.5 },
        { xs: [2, 6, 4, 16], f: 2, s: 2, pad: 'valid', quantum: 0.5 },
        { xs: [1, 6, 6, 11], f: 2, s: 2, pad: 'valid', quantum: 0.5 },
        { xs: [1, 9, 8, 2], f: 3, s: 2, pad: 'same', quantum: 0.5 },
        { xs: [1, 6, 6, 2], f: 2, s: 1, pad: 'valid', quantum: 0.5 },
        { xs: [2, 7, 9, 3], f: 3, s: 1, pad: 'same', quantum: 0 },
        { xs: [1, 10, 10, 2], f: 3, s: 3, pad: 'valid', quantum: 0 },
      ];
      let seed = 300;
      for (const { xs, f, s, pad, quantum } of cases) {
        const xa = randomArray(size(xs), lcg(seed++), quantum);
        const ra = randomArray(size(xs), lcg(seed++));
        await assertSameOnBothBackends(`maxPool ${xs} f${f} s${s} ${pad}`, () => {
          const x = tf.tensor4d(xa, xs);
          const loss = (v: tf.Tensor) => {
            const y = tf.maxPool(v as tf.Tensor4D, f, s, pad);
            return tf.sum(tf.mul(y, tf.tensor(ra.subarray(0, y.size), y.shape)));
          };
          return [tf.grad(loss)(x)];
        });
      }
    });

    it('whole small CNN (conv-relu-pool ×2, dense ×2, softmax cross-entropy): all parameter gradients', async () => {
      const next = lcg(11);
      const he = (shape: number[], fanIn: number) => randomArray(size(shape), next).map((v) => v * Math.sqrt(6 / fanIn));
      const shapes = { c1: [3, 3, 1, 8], b1: [8], c2: [3, 3, 8, 16], b2: [16], f1: [7 * 7 * 16, 32], fb1: [32], f2: [32, 10], fb2: [10] };
      const init = {
        c1: he(shapes.c1, 9), b1: randomArray(8, next), c2: he(shapes.c2, 72), b2: randomArray(16, next),
        f1: he(shapes.f1, 784), fb1: randomArray(32, next), f2: he(shapes.f2, 32), fb2: randomArray(10, next),
      };
      const xa = randomArray(8 * 28 * 28, next).map((v) => (v + 1) / 2);
      const labels = Int32Array.from({ length: 8 }, (_, i) => (i * 7) % 10);
      await assertSameOnBothBackends('small CNN', () => {
        const p = Object.fromEntries(Object.entries(init).map(([k, v]) => [k, tf.tensor(v, shapes[k as keyof typeof shapes])]));
        const x = tf.tensor4d(xa, [8, 28, 28, 1]);
        const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
        const names = Object.keys(p);
        const loss = (...ws: tf.Tensor[]) => {
          const v = Object.fromEntries(names.map((n, i) => [n, ws[i]]));
          let h: tf.Tensor4D = tf.maxPool(tf.relu(tf.add<tf.Tensor4D>(tf.conv2d(x, v.c1 as tf.Tensor4D, 1, 'same'), v.b1)), 2, 2, 'valid');
          h = tf.maxPool(tf.relu(tf.add<tf.Tensor4D>(tf.conv2d(h, v.c2 as tf.Tensor4D, 1, 'same'), v.b2)), 2, 2, 'valid');
          const d = tf.relu(tf.add(tf.matMul(h.reshape([-1, 7 * 7 * 16]), v.f1), v.fb1));
          return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(d, v.f2), v.fb2)) as tf.Scalar;
        };
        return tf.grads(loss)(names.map((n) => p[n]));
      });
    });
  });
}
