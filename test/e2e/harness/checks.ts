// Assertions that tie what the dashboard draws to what the checkpoint file holds. The expected numbers come from
// the file's own safetensors header (read by fixtures.ts, not by our core reader), so the dashboard cannot agree
// with a wrong reader by accident.

import assert from 'node:assert/strict';
import type { ElsaMetadata, LevelInfo } from '../../../src/protocol/checkpoint';
import type { DashboardReadout } from './dashboard';

const close = (actual: number, expected: number, tolerance = 1e-9): boolean => Math.abs(actual - expected) <= tolerance;

/** The start of a level's row in the Checkpoints tree, e.g. "Level 1 · 90.0 % sparse". */
export function levelRowLabel(level: LevelInfo): string {
  return `Level ${level.index} · ${(level.sparsity * 100).toFixed(1)} % sparse`;
}

interface LayerSparsityPoints {
  layers: string[];
  datasets: Array<{ level: number; values: number[] }>;
}
interface AccuracyPoints {
  elsa: Array<{ x: number; y: number }>;
}
interface HistogramPoints {
  edges: number[];
  datasets: Array<{ level: number; counts: number[] }>;
}

export interface ExpectedExtras {
  /** Lines of the run's events.jsonl, when the dashboard should show the run's training curve. */
  events?: number;
  /** Element count of each weight tensor, from the safetensors header (checks the histogram totals). */
  tensorSizes?: Record<string, number>;
}

export function assertDashboardMatchesCheckpoint(readout: DashboardReadout, meta: ElsaMetadata, extras: ExpectedExtras): void {
  assert.equal(readout.kind, 'elsa', 'the dashboard recognises an ELSA checkpoint');

  // Levels table: one row per level, with the file's target, measured sparsity and accuracy.
  assert.deepEqual(
    readout.levels.map((row) => row.level),
    meta.levels.map((level) => level.index),
    'the levels table lists every level of the file',
  );
  for (const level of meta.levels) {
    const row = readout.levels.find((r) => r.level === level.index)!;
    assert.ok(close(row.sparsity, level.sparsity), `level ${level.index} sparsity: table ${row.sparsity}, file ${level.sparsity}`);
    assert.ok(close(row.targetSparsity, level.targetSparsity), `level ${level.index} target: table ${row.targetSparsity}, file ${level.targetSparsity}`);
    if (level.metrics.accuracy !== undefined) {
      assert.ok(close(row.accuracy, level.metrics.accuracy), `level ${level.index} accuracy: table ${row.accuracy}, file ${level.metrics.accuracy}`);
    }
  }

  // Accuracy against sparsity: the ELSA curve has one point per level at (sparsity, accuracy).
  const accuracy = readout.points['accuracy-chart'] as AccuracyPoints;
  const expectedCurve = meta.levels
    .filter((level) => level.metrics.accuracy !== undefined)
    .map((level) => ({ x: level.sparsity, y: level.metrics.accuracy! }))
    .sort((a, b) => a.x - b.x);
  assert.equal(accuracy.elsa.length, expectedCurve.length, 'one accuracy point per level');
  expectedCurve.forEach((point, i) => {
    assert.ok(close(accuracy.elsa[i].x, point.x) && close(accuracy.elsa[i].y, point.y), `accuracy point ${i}: ${JSON.stringify(accuracy.elsa[i])} vs ${JSON.stringify(point)}`);
  });

  // Per-layer sparsity bars: each sparse level's bars are the file's per-layer sparsities.
  const bars = readout.points['layer-sparsity-chart'] as LayerSparsityPoints;
  const sparseLevels = meta.levels.filter((level) => !level.dense && level.layerSparsity);
  assert.ok(sparseLevels.length > 0, 'the file records per-layer sparsity');
  for (const level of sparseLevels) {
    const dataset = bars.datasets.find((d) => d.level === level.index);
    assert.ok(dataset, `per-layer sparsity bars for level ${level.index}`);
    bars.layers.forEach((layer, i) => {
      const expected = level.layerSparsity![layer];
      assert.ok(close(dataset.values[i], expected, 1e-6), `level ${level.index} ${layer}: bar ${dataset.values[i]}, file ${expected}`);
    });
  }

  // Mask nesting: the share of weights with code <= k is the layer's density at level k.
  const heatmap = readout.attributes['nesting-heatmap'];
  const layer = heatmap.layer;
  const codeShare = readout.points['nesting-heatmap'] as number[];
  assert.equal(heatmap.nestingOk, 'true', 'the heatmap confirms the masks are nested');
  assert.equal(Number(heatmap.levelCount), meta.levels.length, 'the heatmap colours K+1 level codes');
  assert.equal(codeShare.length, meta.levels.length, 'one share per level code');
  let cumulative = 0;
  for (const level of meta.levels) {
    cumulative += codeShare[level.index - 1];
    const expected = level.dense ? 1 : 1 - level.layerSparsity![layer];
    assert.ok(close(cumulative, expected, 1e-6), `${layer}: share of codes <= ${level.index} is ${cumulative}, file says ${expected}`);
  }

  // Weight histograms: one per level mask; level k counts exactly the weights its mask keeps in that layer.
  const histogram = readout.points['histogram-chart'] as HistogramPoints;
  const histogramLayer = readout.attributes['histogram-chart'].layer;
  assert.equal(histogram.datasets.length, meta.levels.length, 'one histogram per level');
  const size = extras.tensorSizes?.[histogramLayer];
  for (const dataset of histogram.datasets) {
    assert.equal(dataset.counts.length, histogram.edges.length - 1, 'one count per bin');
    if (size === undefined) continue;
    const level = meta.levels.find((l) => l.index === dataset.level)!;
    const kept = level.dense ? size : Math.round((1 - level.layerSparsity![histogramLayer]) * size);
    const total = dataset.counts.reduce((a, b) => a + b, 0);
    assert.equal(total, kept, `${histogramLayer} level ${dataset.level}: histogram counts ${total} weights, its mask keeps ${kept}`);
  }

  // Training curve: every event of the run's log.
  if (extras.events !== undefined) {
    assert.equal(Number(readout.attributes['training-chart'].eventCount), extras.events, 'the training chart read every line of events.jsonl');
    assert.equal(readout.attributes['training-chart'].status, 'complete', 'the finished run shows as complete');
  }
}
