/**
 * Protects the fused optimizer updates: the native one-pass update equals the tfjs ops bit for bit, and
 * masked-off weights keep their exact bits (state zeroed) even when the gradient is NaN or huge.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/core/engine/backend';
import { adamUpdate, adamUpdateOps, sgdMomentumUpdate, sgdUpdateOps, type AdamHyper, type SgdHyper } from '../../../src/core/engine/fusedUpdates';
import { activeNativeAddon, findNativeAddon } from '../../../src/core/engine/nativeKernels';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

interface Case {
  w: Float32Array;
  g: Float32Array;
  m: Float32Array;
  v: Float32Array;
  mask: Uint8Array | null;
}

function randomCase(n: number, seed: number, withMask: boolean, wildGradients = false): Case {
  const r = lcg(seed);
  const w = Float32Array.from({ length: n }, () => r());
  const g = Float32Array.from({ length: n }, (_, i) => (wildGradients && i % 3 === 0 ? (i % 2 ? NaN : 1e30) : r()));
  const m = Float32Array.from({ length: n }, () => r() * 0.1);
  const v = Float32Array.from({ length: n }, () => Math.abs(r()) * 0.01);
  const mask = withMask ? Uint8Array.from({ length: n }, () => (r() > 0 ? 1 : 0)) : null;
  if (wildGradients && mask) for (let i = 0; i < n; i += 3) mask[i] = 0; // wild gradients only where frozen
  return { w, g, m, v, mask };
}

function bits(t: tf.Tensor): Uint32Array {
  return new Uint32Array(Float32Array.from(t.dataSync() as Float32Array).buffer);
}

/** Runs `f` in a tidy and returns the bits of its outputs (typed arrays never pass through tidy). */
function outputBits(f: () => tf.Tensor[]): Uint32Array[] {
  const outs = tf.tidy(f);
  const result = outs.map(bits);
  tf.dispose(outs);
  return result;
}

function runSgd(c: Case, h: SgdHyper, fused: boolean): Uint32Array[] {
  return outputBits(() => {
    const mask = c.mask ? tf.tensor(c.mask, [c.w.length], 'bool') : null;
    const args = [tf.tensor(c.w), tf.tensor(c.m), tf.tensor(c.g), mask, h] as const;
    const r = fused ? sgdMomentumUpdate(...args) : sgdUpdateOps(...args);
    return [r.next, ...(r.velocity ? [r.velocity] : [])];
  });
}

function runAdam(c: Case, h: AdamHyper, fused: boolean): Uint32Array[] {
  return outputBits(() => {
    const mask = c.mask ? tf.tensor(c.mask, [c.w.length], 'bool') : null;
    const args = [tf.tensor(c.w), tf.tensor(c.m), tf.tensor(c.v), tf.tensor(c.g), mask, h] as const;
    const r = fused ? adamUpdate(...args) : adamUpdateOps(...args);
    return [r.next, r.first, r.second];
  });
}

const sgdSettings: SgdHyper[] = [
  { learningRate: 0.01, momentum: 0.9, weightDecay: 0 },
  { learningRate: 0.1, momentum: 0, weightDecay: 0 },
  { learningRate: 0.05, momentum: 0.99, weightDecay: 5e-4 },
];
const adamSettings: AdamHyper[] = [
  { stepSize: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 },
  { stepSize: 3e-4, beta1: 0.8, beta2: 0.99, epsilon: 1e-8, weightDecay: 1e-4 },
];

describe('fused optimizer updates', () => {
  before(async () => {
    await initEngine('wasm');
  });

  it('native fused updates equal the tfjs ops bit for bit', { skip: findNativeAddon() && process.env.ELSA_NATIVE !== '0' ? false : 'native kernels not built or disabled' }, () => {
    assert.ok(activeNativeAddon());
    let seed = 1;
    for (const n of [1, 7, 1000, 4099]) {
      for (const withMask of [false, true]) {
        const c = randomCase(n, seed++, withMask);
        for (const h of sgdSettings) assert.deepEqual(runSgd(c, h, true), runSgd(c, h, false), `sgd n=${n} mask=${withMask} ${JSON.stringify(h)}`);
        for (const h of adamSettings) assert.deepEqual(runAdam(c, h, true), runAdam(c, h, false), `adam n=${n} mask=${withMask} ${JSON.stringify(h)}`);
      }
    }
  });

  it('masked-off weights keep their exact bits and zero state, even under NaN or huge gradients', () => {
    const c = randomCase(999, 42, true, true);
    const wBits = new Uint32Array(c.w.buffer);
    const check = (out: Uint32Array[], label: string) => {
      const [next, ...state] = out;
      for (let i = 0; i < c.w.length; i++) {
        if (c.mask?.[i]) continue;
        assert.equal(next[i], wBits[i], `${label}: frozen weight ${i} changed`);
        for (const s of state) assert.equal(s[i], 0, `${label}: optimizer state of frozen weight ${i} not zeroed`);
      }
      // trainable weights moved (the update is not a no-op)
      assert.ok(c.mask && [...c.mask].some((m, i) => m === 1 && next[i] !== wBits[i]), `${label}: nothing trained`);
    };
    for (const h of sgdSettings) check(runSgd(c, h, true), `sgd ${JSON.stringify(h)}`);
    for (const h of adamSettings) check(runAdam(c, h, true), `adam ${JSON.stringify(h)}`);
  });

  it('does not leak tensors', () => {
    const c = randomCase(100, 3, true);
    const before = tf.memory().numTensors;
    runSgd(c, sgdSettings[0], true);
    runAdam(c, adamSettings[0], true);
    assert.equal(tf.memory().numTensors, before);
  });
});
