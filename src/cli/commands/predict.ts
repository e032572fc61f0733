/**
 * `elsa predict <checkpoint> [--sample i,j] [--image file] [--runs N] [--json]`: every level's prediction on a
 * few inputs side by side, with its batch-1 latency on the engine's dense kernels and on the sparse CSR path
 * (src/core/predict.ts), and the `elsa extract` command for the sparsest level that is still right.
 */
import path from 'node:path';
import { initEngine } from '../../core/engine/backend';
import { EMBEDDED_DATASET_NAME, FASHION_MNIST_CLASSES, loadDataset } from '../../core/data/dataset';
import { readSampleImages } from '../../core/data/sampleImage';
import { checkpointError, dataError, usageError } from '../../core/errors';
import { readElsaCheckpoint } from '../../core/io/elsaCheckpoint';
import { parseLayersTopology } from '../../core/io/onnxExport';
import { levelFromRequest } from '../../core/method/extract';
import { checkpointDataset } from '../checkpointData';
import { describeInputs, predictLevels, recommendLevel, type PredictInput } from '../../core/predict';
import { MAX_SAMPLE_INPUTS, MAX_SAMPLE_RUNS, SAMPLE_FORMAT, type LatencyStats, type LevelSampleResult, type SampleResult } from '../../protocol/sample';
import { numberOption, type CommandSpec, type Parsed } from '../args';
import { stopIfAborted } from '../supervisor';
import { percent, textTable } from '../tables';

const DEFAULT_RUNS = 30;
const DEFAULT_WARMUP = 5;

export const predictSpec: CommandSpec = {
  name: 'predict',
  usage: 'predict <checkpoint> [--sample <i[,j…]>] [--image <file>] [--runs <n>] [--json]',
  summary:
    "Every level's prediction (class, confidence, top 3) on test images of the run's dataset or on an image file,\n" +
    'with the batch-1 latency of each level on the dense engine kernels and on the sparse (CSR) path, and the\n' +
    '`elsa extract` command for the sparsest level that is still right.',
  options: {
    sample: { type: 'string', short: 's' },
    image: { type: 'string', short: 'i' },
    data: { type: 'string' },
    level: { type: 'string', short: 'l' },
    runs: { type: 'string', short: 'n' },
    warmup: { type: 'string' },
    'max-ms': { type: 'string' },
    backend: { type: 'string' },
    json: { type: 'boolean' },
  },
  help: [
    '-s, --sample <i,j>  test-split indices of the run\'s dataset (default 0 when no --image)',
    '-i, --image <file>  a PNG (8-bit grey/RGB/RGBA), IDX image file or CSV of label + pixels, of the',
    '                    model\'s height and width (colour becomes grey for a 1-channel model)',
    '--data <path>       dataset for --sample (default: the one the run used)',
    '-l, --level <k,…>   levels (index or target sparsity), default all',
    `-n, --runs <n>      timed runs per level and path (default ${DEFAULT_RUNS}), after --warmup (default ${DEFAULT_WARMUP})`,
    '--max-ms <ms>       latency budget: recommend only a level whose faster path fits it',
    '--backend <name>    auto | node | wasm | cpu',
    '--json              print JSON (format elsa-predict/1)',
  ],
  minPositionals: 1,
  maxPositionals: 1,
};

function listOption(values: Parsed['values'], name: string): number[] | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const parts = String(v).split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.some((p) => p === '') || nums.some((n) => !Number.isFinite(n))) throw usageError(`predict: --${name} must be a comma-separated list of numbers, got ${JSON.stringify(v)}`);
  return nums;
}

function countOption(values: Parsed['values'], name: string, fallback: number, min: number): number {
  const n = numberOption(values, name) ?? fallback;
  if (!Number.isInteger(n) || n < min || n > MAX_SAMPLE_RUNS) throw usageError(`predict: --${name} must be an integer from ${min} to ${MAX_SAMPLE_RUNS}, got ${n}`);
  return n;
}

export async function runPredictCommand(file: string, values: Parsed['values'], signal?: AbortSignal): Promise<number> {
  const runs = countOption(values, 'runs', DEFAULT_RUNS, 1);
  const warmup = countOption(values, 'warmup', DEFAULT_WARMUP, 0);
  const maxMs = numberOption(values, 'max-ms');
  if (maxMs !== undefined && !(maxMs > 0)) throw usageError(`predict: --max-ms must be a positive number of milliseconds, got ${maxMs}`);
  const samples = listOption(values, 'sample') ?? (values.image ? [] : [0]);
  if (samples.some((i) => !Number.isInteger(i) || i < 0)) throw usageError(`predict: --sample takes test-split indices (0, 1, …), got ${String(values.sample)}`);
  if (samples.length > MAX_SAMPLE_INPUTS) throw usageError(`predict: at most ${MAX_SAMPLE_INPUTS} samples, got ${samples.length}`);

  const ckpt = await readElsaCheckpoint(file);
  await ckpt.close();
  const { meta } = ckpt;
  if (!meta.topology) throw checkpointError(file, 'the checkpoint has no model topology, so there is no model to run');
  const levelRequests = listOption(values, 'level');
  const levels = levelRequests ? [...new Set(levelRequests.map((r) => levelFromRequest(r, meta, file)))] : meta.levels.map((l) => l.index);
  const shape = parseLayersTopology(meta.topology, file, 'predict').inputs[0].shape;

  const engine = await initEngine(((values.backend as string | undefined) ?? 'auto') as 'auto');
  stopIfAborted(signal);
  const inputs: PredictInput[] = [];
  const sources: string[] = [];
  let classNames: string[] | undefined;
  if (samples.length > 0) {
    const spec = checkpointDataset(file, meta.config, values.data);
    // Only as much of the test split as the indices need (the training split is not needed at all).
    const dataset = await loadDataset({ ...spec, limitTrain: 1, limitTest: Math.min(spec.limitTest ?? Infinity, Math.max(...samples) + 1) });
    stopIfAborted(signal);
    const size = dataset.shape.reduce((a, b) => a * b, 1);
    if (dataset.shape.join() !== shape.join()) throw dataError(dataset.source, `images are ${dataset.shape.join('×')}, the model takes ${shape.join('×')}`);
    for (const i of samples) {
      if (i >= dataset.test.count) throw dataError(dataset.source, `sample ${i} is out of range: the test split has ${dataset.test.count} images (0–${dataset.test.count - 1})`);
      inputs.push({ id: `test #${i}`, pixels: dataset.test.images.slice(i * size, (i + 1) * size), label: dataset.test.labels[i] });
    }
    classNames = dataset.classNames;
    sources.push(`${dataset.name} (${dataset.source === 'embedded' ? 'embedded' : dataset.source}) test split`);
  }
  if (values.image) {
    const image = path.resolve(values.image as string);
    inputs.push(...readSampleImages(image, shape));
    sources.push(path.basename(image));
  }
  if (inputs.length > MAX_SAMPLE_INPUTS) throw usageError(`predict: at most ${MAX_SAMPLE_INPUTS} inputs, got ${inputs.length}`);
  classNames ??= defaultClassNames(meta.config);

  const results = await predictLevels(file, levels, inputs, {
    runs,
    warmup,
    signal,
    onLevel: (done, total, r) => process.stderr.write(`[${done}/${total}] level ${r.level}: dense ${ms(r.denseLatency)}, sparse ${r.sparseLatency ? ms(r.sparseLatency) : 'skipped'}\n`),
  });
  const result: SampleResult = {
    format: SAMPLE_FORMAT,
    checkpoint: file,
    source: sources.join(' + '),
    engine: engine.label,
    ...(classNames ? { classNames } : {}),
    runs,
    warmup,
    ...(maxMs !== undefined ? { maxMs } : {}),
    inputs: describeInputs(inputs, shape),
    levels: results,
    ...recommendLevel(file, results, inputs, maxMs),
  };
  if (values.json) console.log(JSON.stringify(result));
  else console.log(textReport(result));
  return 0;
}

/** Fashion-MNIST's class names for runs on it (the names are not stored in the checkpoint). */
function defaultClassNames(config: unknown): string[] | undefined {
  const data = (config as { data?: { name?: unknown; path?: unknown } } | undefined)?.data;
  const name = data?.name ?? 'fashion-mnist';
  return data?.path === undefined && (name === 'fashion-mnist' || name === EMBEDDED_DATASET_NAME) ? [...FASHION_MNIST_CLASSES] : undefined;
}

const ms = (l: LatencyStats) => `${l.medianMs.toFixed(3)} ms (p10–p90 ${l.p10Ms.toFixed(3)}–${l.p90Ms.toFixed(3)})`;

/** `5/6`: right of the labelled inputs; a dash when none has a label. */
function rightCount(l: LevelSampleResult): string {
  const labelled = l.predictions.filter((p) => p.correct !== undefined);
  return labelled.length === 0 ? '–' : `${labelled.filter((p) => p.correct).length}/${labelled.length}`;
}

function textReport(r: SampleResult): string {
  const name = (c: number) => r.classNames?.[c] ?? `class ${c}`;
  const wide = r.inputs.length <= 4;
  const header = ['level', 'sparsity', ...(wide ? r.inputs.map((x) => x.id) : ['right']), 'dense ms (p10–p90)', 'sparse ms (p10–p90)', 'picked'];
  const cell = (l: LatencyStats | undefined) => (l ? `${l.medianMs.toFixed(3)} (${l.p10Ms.toFixed(3)}–${l.p90Ms.toFixed(3)})` : 'skipped');
  const rows = r.levels.map((l: LevelSampleResult) => [
    l.isDense ? `${l.level} (dense)` : String(l.level),
    percent(l.sparsity),
    ...(wide
      ? l.predictions.map((p) => `${name(p.predicted)} ${percent(p.confidence, 1)}${p.correct === undefined ? '' : p.correct ? ' ✓' : ' ✗'}`)
      : [rightCount(l)]),
    cell(l.denseLatency),
    cell(l.sparseLatency),
    l.picked,
  ]);
  const labels = r.inputs.map((x) => `${x.id}${x.label === undefined ? '' : ` = ${name(x.label)}`}`).join(', ');
  const lines = [
    `${r.checkpoint} on ${r.source}: ${labels}`,
    `Latency: batch 1, median of ${r.runs} runs after ${r.warmup} warm-up, in this process (${r.engine}); sparse = CSR in JavaScript.`,
    '',
    textTable(header, rows, header.map((_, i) => i === 1 || i === header.length - 2 || i === header.length - 3)),
  ];
  const skipped = r.levels.find((l) => l.sparseSkipped);
  if (skipped) lines.push('', `Sparse path skipped: ${skipped.sparseSkipped}`);
  const diff = Math.max(...r.levels.map((l) => l.maxLogitDiff ?? 0));
  if (r.levels.some((l) => l.maxLogitDiff !== undefined)) lines.push('', `Dense and sparse paths agree: largest logit difference ${diff.toExponential(1)}.`);
  lines.push('', r.recommended ? `Level ${r.recommended.level} is ${r.recommended.reason}:\n  ${r.recommended.command}` : `No recommendation: ${r.noRecommendation ?? ''}.`);
  return lines.join('\n');
}
