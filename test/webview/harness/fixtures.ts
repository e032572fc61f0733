/**
 * Deterministic fixture data for the dashboard harness: a 4-level ELSA checkpoint of a small MLP + conv net
 * (real level codes assigned by weight magnitude, so heatmaps, shares and histograms agree), its run report and
 * events.jsonl, plus a foreign safetensors file. Pure: bundled into the harness page and used by tests.
 */
import type { LevelInfo } from '../../../src/protocol/checkpoint';
import { createRng } from '../../../src/core/random';
import type { TrainingEvent } from '../../../src/protocol/events';
import type { RunReport } from '../../../src/protocol/report';
import type { StudyGroup, StudyPoint, StudySummary } from '../../../src/protocol/study';
import type { CheckpointSummary, HeatmapData, HistogramData, LayerSummary, SensitivityData } from '../../../src/protocol/webview';
import { suggestLayerTargets, type SensitivityScan } from '../../../src/core/sensitivity';
import { cellValues } from '../../../src/core/heatmapGrid';
import { heatmapOf } from '../../../src/core/inspectViews';
import { codeShare } from '../../../webview/heatmap';

export type Scenario = 'elsa' | 'meta-only' | 'foreign' | 'broken' | 'many-layers';

interface FixtureLayer {
  name: string;
  shape: number[];
  weights: Float32Array;
  codes: Uint8Array;
}

export interface FixtureModel {
  summary: CheckpointSummary;
  layers: Map<string, FixtureLayer>;
}

const TARGETS = [0.95, 0.9, 0.75, 0.5];

/** 2-D view of a weight tensor: all leading axes as rows, the last as columns. */
function view2d(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  const cols = shape[shape.length - 1];
  return [shape.reduce((a, b) => a * b, 1) / cols, cols];
}

function makeLayer(name: string, shape: number[], seed: number, jitter: number, withCodes: boolean): FixtureLayer {
  const rng = createRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const [rows, cols] = view2d(shape);
  const weights = new Float32Array(n);
  // Some rows/columns matter more, so the heatmap shows structure rather than noise.
  const rowScale = Array.from({ length: rows }, () => 0.4 + rng.next() * 1.2);
  const colScale = Array.from({ length: cols }, () => 0.5 + rng.next());
  for (let i = 0; i < n; i++) weights[i] = rng.normal() * 0.05 * rowScale[Math.floor(i / cols)] * colScale[i % cols];
  const codes = new Uint8Array(n);
  // Thresholds on |w| from one numeric sort (typed-array sort: fast enough to build fixtures in the page).
  const magnitudes = Float64Array.from(weights, Math.abs).sort();
  if (withCodes) {
    // Layer-wise sparsity varies a little around the global targets, as a layer-wise sparsifier would leave it.
    const thresholds = TARGETS.map((t) => {
      const keep = Math.round(n * (1 - Math.min(0.995, Math.max(0, t + jitter * (1 - t)))));
      return keep === 0 ? Infinity : magnitudes[n - keep];
    });
    for (let i = 0; i < n; i++) {
      const m = Math.abs(weights[i]);
      let code = TARGETS.length + 1;
      for (let k = 0; k < thresholds.length; k++) {
        if (m >= thresholds[k]) {
          code = k + 1;
          break;
        }
      }
      codes[i] = code;
    }
  } else {
    // A foreign file: magnitude-pruned once, so a share of exact zeros exists.
    const cut = magnitudes[Math.floor(n * 0.3)];
    for (let i = 0; i < n; i++) if (Math.abs(weights[i]) < cut) weights[i] = 0;
  }
  return { name, shape, weights, codes };
}

function layerSummary(l: FixtureLayer, levelCount: number): LayerSummary {
  const n = l.weights.length;
  if (levelCount === 0) {
    let zeros = 0;
    for (const w of l.weights) if (w === 0) zeros++;
    return { name: l.name, shape: l.shape, params: n, levelSparsity: [zeros / n], codeShare: [] };
  }
  const share = codeShare(l.codes, levelCount);
  let cum = 0;
  const levelSparsity = share.map((s) => {
    cum += s;
    return Math.max(0, 1 - cum);
  });
  return { name: l.name, shape: l.shape, params: n, levelSparsity, codeShare: share };
}

const LAYER_SPECS: [string, number[], number][] = [
  ['conv2d/kernel', [3, 3, 1, 16], -0.3],
  ['conv2d_1/kernel', [3, 3, 16, 32], -0.05],
  ['dense/kernel', [1568, 128], 0.04],
  ['dense_1/kernel', [128, 64], 0],
  ['dense_2/kernel', [64, 10], -0.4],
];

export function makeModel(scenario: Scenario): FixtureModel {
  const elsa = scenario !== 'foreign';
  const levelCount = elsa ? TARGETS.length + 1 : 0;
  const layers = new Map<string, FixtureLayer>();
  // A deep net (48 conv blocks) checks that bars, selectors and labels cope with many layers.
  const specs: [string, number[], number][] =
    scenario === 'many-layers'
      ? Array.from({ length: 48 }, (_, i) => [`resnet/stage${1 + Math.floor(i / 12)}/block${i % 12}/conv/kernel`, [3, 3, 16, 16], (i % 7) / 10 - 0.3])
      : LAYER_SPECS;
  specs.forEach(([name, shape, jitter], i) => layers.set(name, makeLayer(name, shape, 100 + i, jitter, elsa)));
  const summaries = [...layers.values()].map((l) => layerSummary(l, levelCount));
  const total = summaries.reduce((a, l) => a + l.params, 0);
  const accuracies = [0.8412, 0.8655, 0.8843, 0.8907, 0.8931];
  const levels: LevelInfo[] = elsa
    ? accuracies.map((accuracy, i) => {
        const level = i + 1;
        const sparsity = summaries.reduce((a, l) => a + l.params * l.levelSparsity[i], 0) / total;
        return {
          index: level,
          targetSparsity: level <= TARGETS.length ? TARGETS[i] : 0,
          sparsity,
          dense: level === levelCount ? true : undefined,
          metrics: { accuracy, loss: 0.6 - accuracy / 3 },
          layerSparsity: Object.fromEntries(summaries.map((l) => [l.name, l.levelSparsity[i]])),
        };
      })
    : [];
  const report: RunReport | undefined =
    scenario === 'elsa'
      ? {
          format: 'elsa-report/2',
          run: 'fashion-cnn',
          createdAt: '2026-11-25T09:00:00Z',
          model: 'cnn-small',
          dataset: 'fashion-mnist',
          backend: 'tensorflow (native)',
          testCount: 1000,
          trainCount: 6000,
          seeds: [7],
          training: 'sgd lr 0.05 (cosine to 0.01× within each phase), batch 64',
          // warm-up 1, 2 epochs per phase, dense 1: level k has seen 1 + 2k epochs, the dense level 10.
          elsa: levels.map((l) => ({ level: l.index, targetSparsity: l.targetSparsity, sparsity: l.sparsity, accuracy: l.metrics.accuracy ?? 0, epochs: l.dense ? 10 : 1 + 2 * l.index })),
          independent: levels
            .filter((l) => !l.dense)
            .map((l, i) => ({ level: l.index, targetSparsity: l.targetSparsity, sparsity: l.targetSparsity, accuracy: (l.metrics.accuracy ?? 0) + [0.006, -0.002, 0.001, -0.001][i], epochs: 1 + 2 * l.index })),
          independentCheap: levels
            .filter((l) => !l.dense)
            .map((l, i) => ({ level: l.index, targetSparsity: l.targetSparsity, sparsity: l.targetSparsity, accuracy: (l.metrics.accuracy ?? 0) + [0.006, -0.012, -0.015, -0.02][i], epochs: 3 })),
          dense: { level: 5, targetSparsity: 0, sparsity: 0, accuracy: 0.8926, epochs: 10 },
          notes: [],
          storage: [
            { label: 'ELSA checkpoint (all levels)', bytes: 4_300_000, files: ['model.elsa.safetensors'] },
            { label: 'Independent networks + dense', bytes: 21_000_000, files: ['independent/*.safetensors'] },
          ],
          smallParamBytes: 3720,
        }
      : undefined;
  const fileName = elsa ? 'fashion-cnn.elsa.safetensors' : 'pruned-cnn.safetensors';
  const summary: CheckpointSummary = {
    uri: `file:///workspace/runs/fashion-cnn/${fileName}`,
    fileName,
    fileSize: elsa ? 4_312_776 : 3_911_040,
    layers: summaries,
    levelCount,
    nestingOk: true,
    engine: 'tensorflow (native)',
    report,
    meta: elsa
      ? {
          format: 'elsa/1',
          levels,
          targets: TARGETS,
          codes: Object.fromEntries(summaries.map((l) => [l.name, `${l.name}.__codes`])),
          packing: 'bits3',
          provenance: { tool: 'elsa', version: '0.1.0', backend: 'tensorflow (native)', createdAt: '2026-11-25T08:40:00Z', dataset: 'fashion-mnist', seed: 7 },
          training: { status: 'complete', phase: 5, epoch: 2, step: 7600 },
          kind: 'elsa',
        }
      : undefined,
  };
  return { summary, layers };
}

export function heatmapFor(model: FixtureModel, layer: string, maxCells: number): HeatmapData {
  const l = model.layers.get(layer);
  if (!l) throw new Error(`${layer}: no such layer`);
  const [rows, cols] = view2d(l.shape);
  // Like the host: a file without levels shows its zero pattern, code 1 = nonzero, 2 = zero.
  const foreign = model.summary.levelCount === 0;
  const levelCount = foreign ? 2 : model.summary.levelCount;
  const codes = foreign ? Array.from(l.weights, (w) => (w === 0 ? 2 : 1)) : Array.from(l.codes);
  // The host's own functions: the same grid, cell <-> weight mapping and value statistics as the extension.
  const heatmap = heatmapOf(layer, [rows, cols], codes, levelCount, maxCells, foreign ? 'mode' : 'min');
  return { ...heatmap, values: cellValues(l.weights, heatmap.rowStarts, heatmap.colStarts) };
}

export function histogramFor(model: FixtureModel, layer: string, bins: number): HistogramData {
  const l = model.layers.get(layer);
  if (!l) throw new Error(`${layer}: no such layer`);
  let max = 0;
  for (const w of l.weights) max = Math.max(max, Math.abs(w));
  const edges = Array.from({ length: bins + 1 }, (_, i) => (max * i) / bins);
  const levels = Math.max(1, model.summary.levelCount);
  const counts = Array.from({ length: levels }, () => new Array<number>(bins).fill(0));
  l.weights.forEach((w, i) => {
    const bin = Math.min(bins - 1, Math.floor((Math.abs(w) / (max || 1)) * bins));
    const code = model.summary.levelCount === 0 ? 1 : l.codes[i];
    for (let k = code; k <= levels; k++) counts[k - 1][bin]++;
  });
  return { layer, edges, counts, levelCount: levels };
}

/** events.jsonl of the run: warm-up, four sparse phases, a dense phase; steps every 10 of 380 per epoch. */
export function makeEvents(): TrainingEvent[] {
  const rng = createRng(42);
  const time = '2026-11-25T08:00:00Z';
  const out: TrainingEvent[] = [{ type: 'run-start', time, run: 'fashion-cnn', kind: 'elsa', targets: TARGETS, backend: 'tensorflow (native)', config: {} }];
  const phases: [number, number, number][] = [
    [0, 0, 3],
    [1, 0.95, 3],
    [2, 0.9, 2],
    [3, 0.75, 2],
    [4, 0.5, 2],
    [5, 0, 2],
  ];
  const stepsPerEpoch = 380;
  let step = 0;
  let epochs = 0;
  for (const [phase, target, n] of phases) {
    out.push({ type: 'phase-start', time, phase, targetSparsity: target, epochs: n });
    for (let e = 1; e <= n; e++) {
      epochs++;
      const base = 0.62 * Math.exp(-epochs / 4) + 0.3 + (phase === 1 && e === 1 ? 0.12 : 0);
      for (let s = 10; s <= stepsPerEpoch; s += 10) {
        out.push({ type: 'step', time, phase, epoch: e, step: step + s, loss: base + 0.15 * (1 - s / stepsPerEpoch) + rng.normal() * 0.03, accuracy: 0.8 });
      }
      step += stepsPerEpoch;
      const acc = Math.min(0.95, 0.93 - base * 0.12 + rng.next() * 0.004);
      out.push({
        type: 'epoch', time, phase, epoch: e, step, loss: base, accuracy: acc, evalLoss: base + 0.04, evalAccuracy: acc - 0.035,
        sparsity: phase === 0 || phase === 5 ? 0 : target, seconds: 11.2, samplesPerSecond: 5400, learningRate: 0.001,
      });
    }
    if (phase >= 1 && phase <= 4) out.push({ type: 'level-done', time, level: phase, targetSparsity: target, sparsity: target, accuracy: 0.85 + phase * 0.01, loss: 0.4 });
    out.push({ type: 'checkpoint', time, path: 'fashion-cnn.elsa.safetensors', phase, epoch: n });
  }
  out.push({ type: 'run-end', time, status: 'complete', seconds: 164 });
  return out;
}

/**
 * A sensitivity answer for the fixture model: smooth made-up curves (bigger layers tolerate more), and the
 * suggestion the real core computes from them, so the view shows what the CLI would send.
 */
export function sensitivityFor(model: FixtureModel, target: number): SensitivityData {
  const baseline = { accuracy: 0.88, loss: 0.35 };
  const layers = model.summary.layers.map((l, i) => ({
    name: l.name, size: l.params, baseSparsity: 0,
    points: [0, 0.5, 0.75, 0.9, 0.95, 0.98].map((s) => {
      const drop = (s ** (3 + i)) * (0.2 + 0.6 / Math.log10(10 + l.params));
      return { sparsity: s, accuracy: Math.max(0.1, baseline.accuracy - drop), loss: baseline.loss + drop };
    }),
  }));
  const scan: SensitivityScan = { baseline, layers, fractions: [0.5, 0.75, 0.9, 0.95, 0.98], evaluations: 1 + 5 * layers.length, interrupted: false };
  const s = suggestLayerTargets(scan, target);
  return {
    level: model.summary.levelCount, dataset: 'fashion-mnist-small (1000 test)', seconds: 8.3, baseline, layers,
    suggestion: { target: s.target, reached: s.reached, reachable: s.reachable, layers: s.layers.map((l) => ({ name: l.name, sparsity: l.sparsity, accuracyAlone: l.accuracyAlone })) },
    configUri: 'file:///work/runs/demo/demo.suggested.elsa.json',
  };
}

/** A finished study of two groups (3 seeds; the second group has one complete seed), as study.json holds it. */
export function makeStudy(): StudySummary {
  const stat = (level: number, targetSparsity: number, mean: number, std: number, epochs: number, n = 3): StudyPoint => ({
    level, targetSparsity, sparsity: targetSparsity, mean, std, low: mean - (n > 1 ? std : 0.006), high: mean + (n > 1 ? std : 0.006), interval: n > 1 ? 'seed-std' : 'binomial-95', n, epochs,
  });
  const group = (model: string, seeds: number[], shift: number): StudyGroup => {
    const n = seeds.length;
    return {
      key: `${model}-gmp`, model, sparsifier: 'gmp', levels: [0.9, 0.5], seeds, seconds: { elsa: 120, baselines: 300 },
      storage: { elsaBytes: 900_000, separatePlainBytes: 2_700_000, separateSparseBytes: 1_500_000, networks: 3 },
      series: [
        { method: 'elsa', points: [stat(1, 0.9, 0.88 + shift, 0.003, 7, n), stat(2, 0.5, 0.9 + shift, 0.002, 11, n), stat(3, 0, 0.905 + shift, 0.002, 14, n)] },
        { method: 'independent-strict', points: [stat(1, 0.9, 0.88 + shift, 0.003, 7, n), stat(2, 0.5, 0.902 + shift, 0.004, 11, n)] },
        { method: 'independent-cheap', points: [stat(1, 0.9, 0.88 + shift, 0.003, 7, n), stat(2, 0.5, 0.895 + shift, 0.004, 7, n)] },
        { method: 'dense', points: [stat(3, 0, 0.907 + shift, 0.001, 14, n)] },
      ],
    };
  };
  return {
    format: 'elsa-study/1', name: 'fashion-mnist', createdAt: '2026-11-30T12:00:00Z', dataset: 'fashion-mnist (idx; 60000 train / 10000 test)', testCount: 10000, trainCount: 60000,
    levels: [0.9, 0.5], epochs: { warmup: 3, perPhase: 4, dense: 3 }, training: 'sgd lr 0.05 (cosine to 0.01× within each phase), batch 128', seeds: [1, 2, 3],
    groups: [group('cnn', [1, 2, 3], 0), group('mlp', [1], -0.02)],
    cells: [1, 2, 3].flatMap((seed) => ['cnn', 'mlp'].map((m) => ({ name: `${m}-gmp-s${seed}`, model: m, sparsifier: 'gmp', seed, status: m === 'mlp' && seed > 1 ? 'pending' as const : 'complete' as const }))),
  };
}
