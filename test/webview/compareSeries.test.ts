/** The Compare view's series: the numbers it draws are the host's, with labels and the evidence behind accuracies. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareStores } from '../../src/core/compare';
import type { CompareSide } from '../../src/protocol/compare';
import { compareBars, diffSeries, pickCompareLayer, sideAccuracy, sideLevelLabel, unmatchedLines } from '../../webview/compareSeries';
import { elsaStore, plainStore } from '../helpers/compareFixture';

const side = (over: Partial<CompareSide>): CompareSide => ({ file: 'f', kind: 'elsa', levels: [1, 2, 3], levelTargets: [0.9, 0.5, 0], sparsity: 0.5, ...over });

describe('compare series', () => {
  it('labels sides as the dashboard labels levels', () => {
    assert.equal(sideLevelLabel(side({ level: 2, targetSparsity: 0.9 })), 'L2 90 %');
    assert.equal(sideLevelLabel(side({ level: 3, dense: true, targetSparsity: 0 })), 'dense');
    assert.equal(sideLevelLabel(side({ level: 1, kind: 'independent', targetSparsity: 0.975 })), 'L1 97.5 %');
    assert.equal(sideLevelLabel(side({ kind: 'plain', levels: [], levelTargets: [] })), 'all weights');
  });

  it('says what stands behind an accuracy: epochs, test images and the binomial interval', () => {
    assert.deepEqual(sideAccuracy(side({ accuracy: 0.875, epochs: 8, testCount: 10000 })), { text: '87.50 %', evidence: '8 epochs · 10,000 test images (±0.6 pt, 95 % binomial)' });
    assert.deepEqual(sideAccuracy(side({ accuracy: 0.5 })), { text: '50.00 %', evidence: 'epochs and test-set size not recorded' });
    assert.equal(sideAccuracy(side({ kind: 'plain' })).evidence, 'a plain file records no accuracy');
  });

  it('draws the per-layer numbers and one layer\'s difference histogram as computed', async () => {
    const store = await elsaStore();
    const r = await compareStores({ store, level: 1 }, { store, level: 2 }, { bins: 4 });
    const bars = compareBars(r);
    assert.deepEqual(bars.layers, ['d/kernel', 'c/kernel']);
    assert.deepEqual(bars.jaccard, [0.5, 0.5]);
    assert.deepEqual(bars.sparsityA, r.layers.map((l) => l.sparsityA));
    assert.deepEqual(bars.jaccardIfRandom, r.layers.map((l) => l.jaccardIfRandom));
    const d = diffSeries(r, 'd/kernel')!;
    assert.deepEqual(d.centers, [-0.75, -0.25, 0.25, 0.75]);
    assert.deepEqual(d.onlyB, [1, 1, 0, 0]);
    assert.equal(d.note, '4 weights kept by A or B; 2 (50.0 %) differ by exactly 0 and are not drawn.');
    assert.equal(diffSeries(r, 'nope'), undefined);
    // The largest layer by default (d/kernel: 8 weights against 6), else the one asked for.
    assert.equal(pickCompareLayer(r, undefined), 'd/kernel');
    assert.equal(pickCompareLayer(r, 'c/kernel'), 'c/kernel');
    assert.equal(pickCompareLayer(r, 'gone'), 'd/kernel');
  });

  it('lists the layers it could not compare', async () => {
    const r = await compareStores({ store: await elsaStore(), level: 2 }, { store: await plainStore() });
    assert.deepEqual(unmatchedLines(r), ['Only in B (other.safetensors): x/kernel', 'Shapes differ, not compared: c/kernel [2×3] vs [3×2]']);
  });
});
