/** Data -> chart series: the numbers each chart draws are the file's numbers, for ELSA and foreign files. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng } from '../../src/core/random';
import type { CheckpointSummary } from '../../src/protocol/webview';
import { levelLabel, pct, phaseLabel, shortLayerNames } from '../../webview/format';
import type { StudyGroup } from '../../src/protocol/study';
import { accuracyUncertainty } from '../../src/protocol/uncertainty';
import { accuracyCurves, epochsText, histogramSeries, layerSparsitySeries, levelRows, pickLayer, studyCurves } from '../../webview/series';
import { restoreUiState } from '../../webview/uiState';
import { histogramFor, makeModel } from './harness/fixtures';

describe('levels table', () => {
  it('lists every level of the metadata, sparsest first, with its target, measured sparsity and accuracy', () => {
    const s = makeModel('elsa').summary;
    const rows = levelRows(s);
    assert.deepEqual(rows.map((r) => r.level), [1, 2, 3, 4, 5]);
    for (const r of rows) {
      const meta = s.meta!.levels[r.level - 1];
      assert.equal(r.sparsity, meta.sparsity);
      assert.equal(r.targetSparsity, meta.targetSparsity);
      assert.equal(r.accuracy, meta.metrics.accuracy);
    }
    assert.deepEqual(rows.map((r) => r.label), ['L1 95 %', 'L2 90 %', 'L3 75 %', 'L4 50 %', 'dense']);
    assert.equal(rows[4].dense, true);
    assert.deepEqual(levelRows(makeModel('foreign').summary), []);
  });
});

describe('accuracy curves', () => {
  it('plots ELSA, independent and dense from the run report', () => {
    const s = makeModel('elsa').summary;
    const c = accuracyCurves(s);
    assert.equal(c.source, 'report');
    assert.equal(c.elsa.length, 5);
    assert.equal(c.independent.length, 4);
    assert.equal(c.independentCheap.length, 4);
    assert.deepEqual([c.dense?.x, c.dense?.y, c.dense?.epochs], [0, s.report!.dense!.accuracy, 10]);
    for (const series of [c.elsa, c.independent, c.independentCheap]) {
      for (let i = 1; i < series.length; i++) assert.ok(series[i].x >= series[i - 1].x, 'sorted by sparsity');
    }
    assert.deepEqual(c.elsa.map((p) => p.epochs), [10, 9, 7, 5, 3], 'every point says its epochs (dense level first: sparsity 0)');
    assert.deepEqual(c.independentCheap.map((p) => p.epochs), [3, 3, 3, 3]);
    assert.equal(c.note, undefined);
  });

  it('puts the binomial interval of the test-set size on every point of a one-seed report', () => {
    const s = makeModel('elsa').summary;
    const c = accuracyCurves(s);
    assert.match(c.errorBars ?? '', /95 % binomial interval of 1000 test images/);
    for (const p of [...c.elsa, ...c.independent, ...c.independentCheap, c.dense!]) {
      const u = accuracyUncertainty([p.y], 1000);
      assert.deepEqual([p.low, p.high], [u.low, u.high]);
      assert.ok(p.high - p.y > 0.015 && p.high - p.y < 0.03, `±${p.high - p.y} at ${p.y} on 1,000 images`);
    }
    assert.equal(epochsText(c.elsa), '3–10 epochs');
    assert.equal(epochsText(c.independentCheap), '3 epochs');
  });

  it('shows a study group as mean ± std over seeds, with epochs', () => {
    const group: StudyGroup = {
      key: 'cnn-gmp', model: 'cnn', sparsifier: 'gmp', levels: [0.9], seeds: [1, 2, 3], seconds: { elsa: 1, baselines: 2 },
      series: [
        { method: 'elsa', points: [{ level: 1, targetSparsity: 0.9, sparsity: 0.9, mean: 0.88, std: 0.004, low: 0.876, high: 0.884, interval: 'seed-std', n: 3, epochs: 5 }, { level: 2, targetSparsity: 0, sparsity: 0, mean: 0.9, std: 0.002, low: 0.898, high: 0.902, interval: 'seed-std', n: 3, epochs: 7 }] },
        { method: 'dense', points: [{ level: 2, targetSparsity: 0, sparsity: 0, mean: 0.905, std: 0.001, low: 0.904, high: 0.906, interval: 'seed-std', n: 3, epochs: 7 }] },
      ],
    };
    const c = studyCurves(group, 10000);
    assert.deepEqual(c.elsa.map((p) => [p.x, p.y, p.low, p.high, p.epochs]), [[0, 0.9, 0.898, 0.902, 7], [0.9, 0.88, 0.876, 0.884, 5]]);
    assert.deepEqual(c.dense, { x: 0, y: 0.905, low: 0.904, high: 0.906, epochs: 7 });
    assert.match(c.errorBars ?? '', /±1 standard deviation over 3 seeds/);
    assert.match(studyCurves({ ...group, seeds: [1] }, 10000).errorBars ?? '', /binomial interval of 10000 test images/);
  });

  it('falls back to the metadata levels with a note when no baselines were run', () => {
    const s = makeModel('meta-only').summary;
    const c = accuracyCurves(s);
    assert.equal(c.source, 'metadata');
    assert.deepEqual(
      c.elsa.map((p) => p.y).sort(),
      s.meta!.levels.map((l) => l.metrics.accuracy).sort(),
    );
    assert.equal(c.independent.length, 0);
    assert.match(c.note ?? '', /Baselines were not run/);
  });

  it('says why there is nothing to compare in a foreign file, and names missing baselines in a report', () => {
    assert.match(accuracyCurves(makeModel('foreign').summary).note ?? '', /Not an ELSA checkpoint/);
    const s = makeModel('elsa').summary;
    const partial: CheckpointSummary = { ...s, report: { ...s.report!, independent: [], dense: undefined } };
    assert.match(accuracyCurves(partial).note ?? '', /no independent or dense baseline/);
  });
});

describe('per-layer sparsity', () => {
  it('has one dataset per sparse level whose values are the layers’ own level sparsity', () => {
    const s = makeModel('elsa').summary;
    const series = layerSparsitySeries(s);
    assert.deepEqual(series.layers, s.layers.map((l) => l.name));
    assert.deepEqual(series.datasets.map((d) => d.level), [1, 2, 3, 4], 'the all-zero dense level is left out');
    for (const d of series.datasets) {
      assert.deepEqual(d.values, s.layers.map((l) => l.levelSparsity[d.level - 1]));
      // Nested masks: a sparser level is at least as sparse in every layer.
      if (d.level > 1) series.datasets[d.level - 2].values.forEach((v, i) => assert.ok(v >= d.values[i]));
    }
  });

  it('shows the share of zeros of a foreign file as a single dataset', () => {
    const s = makeModel('foreign').summary;
    const series = layerSparsitySeries(s);
    assert.equal(series.datasets.length, 1);
    assert.equal(series.datasets[0].level, 0);
    assert.deepEqual(series.datasets[0].values, s.layers.map((l) => l.levelSparsity[0]));
    assert.match(series.note ?? '', /exactly zero/);
  });
});

describe('histograms', () => {
  it('centres the bins and draws the widest mask first; nested masks never count more than the next', () => {
    const model = makeModel('elsa');
    const h = histogramFor(model, 'dense_1/kernel', 16);
    const s = histogramSeries(h, model.summary.meta!.targets, model.summary.levelCount);
    assert.equal(s.centers.length, 16);
    assert.ok(Math.abs(s.centers[0] - (h.edges[0] + h.edges[1]) / 2) < 1e-12);
    assert.deepEqual(s.datasets.map((d) => d.level), [5, 4, 3, 2, 1]);
    assert.equal(s.datasets[0].label, 'dense');
    for (let i = 1; i < s.datasets.length; i++) s.datasets[i].values.forEach((v, b) => assert.ok(v <= s.datasets[i - 1].values[b]));
  });

  it('labels the one histogram of a foreign file as all weights', () => {
    const model = makeModel('foreign');
    const s = histogramSeries(histogramFor(model, 'dense/kernel', 8), [], 0);
    assert.deepEqual(s.datasets.map((d) => [d.level, d.label]), [[0, 'all weights']]);
    assert.equal(s.datasets[0].values.reduce((a, b) => a + b, 0), 1568 * 128);
  });
});

describe('selection and labels', () => {
  it('keeps a saved layer that still exists, else picks the largest', () => {
    const s = makeModel('elsa').summary;
    assert.equal(pickLayer(s, 'dense_1/kernel'), 'dense_1/kernel');
    assert.equal(pickLayer(s, 'gone/kernel'), 'dense/kernel');
    assert.equal(pickLayer({ ...s, layers: [] }, undefined), undefined);
  });

  it('restores only well-formed UI state', () => {
    assert.deepEqual(restoreUiState({ level: 2, layer: 'a', histogramLog: true }), { version: 1, level: 2, layer: 'a', histogramLog: true });
    assert.deepEqual(restoreUiState({ level: 1, histogramLog: false }), { version: 1, level: 1, layer: undefined, histogramLog: false });
    assert.deepEqual(restoreUiState({ level: -1, layer: 3, histogramLog: 'yes' }), { version: 1, level: 0, layer: undefined, histogramLog: true });
    assert.deepEqual(restoreUiState('junk'), { version: 1, level: 0, histogramLog: true });
  });

  it('shortens layer names to what tells them apart', () => {
    assert.deepEqual(shortLayerNames(['net/s1/b0/conv/kernel', 'net/s1/b1/conv/kernel', 'net/s2/b0/conv/kernel']), ['s1/b0', 's1/b1', 's2/b0']);
    assert.deepEqual(shortLayerNames(['dense/kernel', 'dense_1/kernel']), ['dense', 'dense_1']);
    assert.deepEqual(shortLayerNames(['a/kernel']), ['a/kernel'], 'one name keeps its path');
    assert.deepEqual(shortLayerNames(['x/a', 'x/a/b']), ['a', 'a/b'], 'a name never loses its last segment');
    assert.deepEqual(shortLayerNames(['abcdefghij/k', 'zzzzzzzzzz/k'], 6), ['…fghij', '…zzzzz']);
    for (let seed = 0; seed < 30; seed++) {
      const rng = createRng(seed);
      const names = [...new Set(Array.from({ length: 2 + rng.int(8) }, () => Array.from({ length: 1 + rng.int(4) }, () => 'abc'[rng.int(3)]).join('/')))];
      const short = shortLayerNames(names, 100);
      assert.equal(new Set(short).size, names.length, `seed ${seed}: ${names.join(' ')} -> ${short.join(' ')}`);
      short.forEach((s, i) => assert.ok(s.length > 0 && names[i].includes(s), `seed ${seed}: ${names[i]} -> ${s}`));
    }
  });

  it('names levels and phases', () => {
    assert.equal(levelLabel(1, 5, 0.95), 'L1 95 %');
    assert.equal(levelLabel(2, 5, 0.875), 'L2 87.5 %');
    assert.equal(levelLabel(5, 5), 'dense');
    assert.equal(levelLabel(1, 0), 'all weights');
    assert.equal(phaseLabel(0, 5), 'warm-up');
    assert.equal(phaseLabel(2, 5, 0.9), 'L2 90 %');
    assert.equal(phaseLabel(3, 0), 'L3');
    assert.equal(phaseLabel(5, 5), 'dense');
    assert.equal(pct(undefined), '–');
    assert.equal(pct(null), '–');
    assert.equal(pct(0.12345, 2), '12.35 %');
  });
});

describe('N:M structure of a foreign file', () => {
  const layer = (name: string, nm?: CheckpointSummary['layers'][number]['nm'], sampled?: boolean) => ({
    name, shape: [4, 8], params: 32, levelSparsity: [0.5], codeShare: [], ...(nm ? { nm } : {}), ...(sampled ? { sampled } : {}),
  });
  const summary = (layers: CheckpointSummary['layers']): CheckpointSummary => ({ uri: 'u', fileName: 'f', fileSize: 1, layers, levelCount: 0, nestingOk: true });

  it('names the layers that are N:M in every group, and the share of groups elsewhere', () => {
    const s = layerSparsitySeries(summary([
      layer('a', { holds: '2:4', patterns: [{ pattern: '2:4', axis: 'last', share: 1 }] }),
      layer('b', { patterns: [{ pattern: '1:4', axis: 'last', share: 0 }, { pattern: '2:4', axis: 'first', share: 0.6875 }] }, true),
      layer('c'),
    ]));
    assert.deepEqual(s.nm, ['2:4 in every group', '2:4 in 68.8 % of groups (sampled)', '']);
    assert.match(s.note!, /N:M structure: 1 of 2 layers keep at most N nonzeros in every group of M \(2:4\)/);
  });

  it('says so when no layer is N:M, and adds nothing when it was not measured', () => {
    assert.match(layerSparsitySeries(summary([layer('a', { patterns: [{ pattern: '2:4', axis: 'last', share: 0.1 }] })])).note!, /No layer is N:M sparse/);
    const none = layerSparsitySeries(summary([layer('a')]));
    assert.equal(none.nm, undefined);
    assert.doesNotMatch(none.note!, /N:M/);
  });
});
