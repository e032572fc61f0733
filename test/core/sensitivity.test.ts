/** The sensitivity scan and the per-layer suggestion, on a fake evaluator whose answers are known. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { resolveRunConfig } from '../../src/core/config';
import { pruneToSparsity, scanSensitivity, suggestLayerTargets, suggestedRunConfig, zeroShare, type SensitivityScan } from '../../src/core/sensitivity';
import { createRng } from '../../src/core/random';

const randomValues = (n: number, seed: number, zeros = 0) => {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, (_, i) => (i < zeros ? 0 : rng.normal() || 1));
};

/** Accuracy falls with each layer's sparsity, by the layer's own sensitivity. */
function fakeEvaluator(sensitivity: Record<string, number>, calls: string[]) {
  return async (layer: string | undefined, values: Float32Array | undefined) => {
    calls.push(layer ?? 'baseline');
    const s = values ? zeroShare(values) : 0;
    const accuracy = 0.9 - (layer ? sensitivity[layer] * s * s : 0);
    return { accuracy, loss: 1 - accuracy };
  };
}

describe('sensitivity scan', () => {
  it('prunes a layer to an exact share by magnitude, inside the level (zeros stay zeros)', () => {
    const values = randomValues(1000, 1, 300); // 30 % already outside the level
    for (const s of [0.5, 0.75, 0.9, 0.98]) {
      const p = pruneToSparsity(values, s);
      assert.equal(p.reduce((n, v) => n + (v === 0 ? 0 : 1), 0), Math.round((1 - s) * 1000));
      let minKept = Infinity;
      let maxDropped = 0;
      p.forEach((v, i) => {
        if (v !== 0) { assert.equal(v, values[i]); minKept = Math.min(minKept, Math.abs(v)); } else maxDropped = Math.max(maxDropped, Math.abs(values[i]));
      });
      assert.ok(minKept >= maxDropped, `${s}: a dropped weight is larger than a kept one`);
    }
  });

  it('evaluates the baseline then every layer above its current sparsity, one layer at a time', async () => {
    const calls: string[] = [];
    const layers = [{ name: 'a', values: randomValues(200, 2) }, { name: 'b', values: randomValues(100, 3, 80) }];
    const scan = await scanSensitivity(layers, fakeEvaluator({ a: 0.1, b: 0.5 }, calls));
    assert.equal(scan.interrupted, false);
    // b is already 80 % sparse: only 90/95/98 are scanned for it.
    assert.deepEqual(calls, ['baseline', 'a', 'a', 'a', 'a', 'a', 'b', 'b', 'b']);
    assert.deepEqual(scan.layers[0].points.map((p) => p.sparsity), [0, 0.5, 0.75, 0.9, 0.95, 0.98]);
    assert.deepEqual(scan.layers[1].points.map((p) => p.sparsity), [0.8, 0.9, 0.95, 0.98]);
    assert.ok(Math.abs(scan.layers[1].points[3].accuracy - (0.9 - 0.5 * 0.98 * 0.98)) < 1e-12);
  });

  it('stops between evaluations when the signal aborts', async () => {
    const calls: string[] = [];
    const controller = new AbortController();
    const evaluate = fakeEvaluator({ a: 0.1 }, calls);
    const scan = await scanSensitivity([{ name: 'a', values: randomValues(50, 4) }], async (l, v) => {
      if (calls.length === 2) controller.abort();
      return evaluate(l, v);
    }, { signal: controller.signal });
    assert.equal(scan.interrupted, true);
    assert.equal(calls.length, 3);
  });
});

function syntheticScan(): SensitivityScan {
  // "big" tolerates pruning, "small" does not, "mid" breaks only at the end.
  const curve = (name: string, size: number, accs: number[]) => ({
    name, size, baseSparsity: 0, points: [0, 0.5, 0.75, 0.9, 0.95, 0.98].map((s, i) => ({ sparsity: s, accuracy: accs[i], loss: 0 })),
  });
  return {
    baseline: { accuracy: 0.9, loss: 0 }, fractions: [0.5, 0.75, 0.9, 0.95, 0.98], evaluations: 16, interrupted: false,
    layers: [curve('big', 10000, [0.9, 0.9, 0.89, 0.88, 0.85, 0.8]), curve('small', 500, [0.9, 0.7, 0.5, 0.3, 0.2, 0.1]), curve('mid', 2000, [0.9, 0.9, 0.9, 0.9, 0.6, 0.4])],
  };
}

describe('per-layer suggestion', () => {
  it('reaches the overall target exactly, taking weights where they cost least', () => {
    const scan = syntheticScan();
    for (const target of [0.3, 0.6, 0.8, 0.9]) {
      const s = suggestLayerTargets(scan, target);
      const total = s.layers.reduce((n, l) => n + l.size, 0);
      const mean = s.layers.reduce((n, l) => n + l.sparsity * l.size, 0) / total;
      assert.ok(Math.abs(mean - target) < 1e-9, `target ${target}: overall ${mean}`);
      assert.ok(s.reachable);
      const by = Object.fromEntries(s.layers.map((l) => [l.name, l.sparsity]));
      assert.ok(by.small <= by.big && by.small <= by.mid, `target ${target}: the sensitive layer is pruned more than others (${JSON.stringify(by)})`);
    }
    // mid is free up to 90 %, then expensive: at 0.8 overall it sits at a measured point, not beyond it.
    const at80 = Object.fromEntries(suggestLayerTargets(scan, 0.8).layers.map((l) => [l.name, l.sparsity]));
    assert.equal(at80.small, 0);
    assert.ok(at80.mid <= 0.9 + 1e-12);
    assert.equal(suggestLayerTargets(scan, 0.99).reachable, false);
  });

  it('writes a run config elsa train accepts, with nested per-layer targets', () => {
    const scan = syntheticScan();
    const { config } = suggestedRunConfig(scan, {
      name: 'tuned', levels: [0.5, 0.9, 0.75], model: { type: 'mlp' },
      source: { name: 'x', sparsifier: { type: 'nm', m: 4 }, optimizer: { type: 'adam', learningRate: 0.01 }, seed: 7, backend: 'wasm', data: { name: 'fashion-mnist-small' } },
    });
    const resolved = resolveRunConfig(config, path.join('/tmp', 'tuned.elsa.json'));
    assert.deepEqual(resolved.levels, [0.9, 0.75, 0.5]);
    assert.equal(resolved.sparsifier.type, 'gmp');
    assert.equal(resolved.sparsifier.scope, 'layer');
    assert.equal(resolved.optimizer.type, 'adam');
    assert.equal(resolved.seed, 7);
    const lt = resolved.sparsifier.layerTargets!;
    assert.deepEqual(Object.keys(lt), ['0.9', '0.75', '0.5']);
    for (const name of ['big', 'small', 'mid']) assert.ok(lt['0.9'][name] >= lt['0.75'][name] && lt['0.75'][name] >= lt['0.5'][name], name);
  });
});
