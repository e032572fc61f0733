/**
 * `elsa sensitivity <checkpoint|model.json> [--level k] [--target 0.9] [--out suggested.elsa.json]`: the
 * per-layer sensitivity scan of src/core/sensitivity.ts on the model's test set, and a run config with the
 * suggested per-layer targets. Stops between two evaluations on SIGINT/SIGTERM (exit 130, nothing written).
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadDataset, type Dataset } from '../../core/data/dataset';
import { initEngine } from '../../core/engine/backend';
import { modelError, usageError } from '../../core/errors';
import { writeFileAtomic } from '../../core/io/atomic';
import { readElsaCheckpoint } from '../../core/io/elsaCheckpoint';
import { evaluateModel, evaluationClasses } from '../../core/method/evaluate';
import { levelFromRequest, loadLevelModel } from '../../core/method/extract';
import { loadLayersModelFile } from '../../core/models/layersFile';
import { listModelWeights } from '../../core/models/weights';
import { resolveRunConfig } from '../../core/config';
import { scanSensitivity, suggestLayerTargets, suggestedRunConfig, type SensitivityScan, type Suggestion } from '../../core/sensitivity';
import { countOption, numberOption, type CommandSpec, type Parsed } from '../args';
import { checkOutputFiles } from '../outputPath';
import { makeOutputDir } from '../supervisor';
import { percent, textTable } from '../tables';

export const sensitivitySpec: CommandSpec = {
  name: 'sensitivity',
  usage: 'sensitivity <checkpoint|model.json> [--level <k|sparsity>] [--target <s>] [--out <config.elsa.json>] [--json]',
  summary:
    'Prune one layer at a time by magnitude (50/75/90/95/98 % of the layer, on top of the level) and evaluate on\n' +
    'the test set: a curve per layer. From the curves, per-layer targets for an overall sparsity, written as a\n' +
    'run config (sparsifier.layerTargets) that `elsa train` starts.',
  options: {
    level: { type: 'string', short: 'l' }, target: { type: 'string', short: 't' }, out: { type: 'string', short: 'o' },
    data: { type: 'string' }, limit: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' },
  },
  help: [
    '-l, --level <k|s>   level to scan (index or target sparsity); default: the dense level',
    '-t, --target <s>    overall sparsity to suggest per-layer targets for (default 0.9)',
    '-o, --out <path>    suggested run config (default: <input name>.suggested.elsa.json beside the input)',
    '--data <path>       dataset folder or CSV (default: the run\'s; for a model.json the embedded default)',
    '--limit <n>         evaluate on at most n test samples',
    '--backend <name>    auto | node | wasm | cpu',
    '--json              print the curves and suggestions as JSON',
  ],
  minPositionals: 1,
  maxPositionals: 1,
};

interface Loaded {
  model: tf.LayersModel;
  level?: number;
  levels: number[];
  source?: Record<string, unknown>;
  dataSpec: Record<string, unknown>;
  modelSpec: (configDir: string) => unknown;
}

async function loadInput(file: string, request: number | undefined): Promise<Loaded> {
  if (file.endsWith('.json')) {
    if (request !== undefined) throw usageError('sensitivity: --level applies to checkpoints, not to a model.json');
    const model = await loadLayersModelFile(file);
    return { model, levels: [], dataSpec: {}, modelSpec: (dir) => ({ type: 'layers-json', path: path.relative(dir, path.resolve(file)) || path.basename(file) }) };
  }
  const ckpt = await readElsaCheckpoint(file);
  await ckpt.close();
  const { meta } = ckpt;
  const level = request === undefined ? meta.levels.at(-1)?.index : levelFromRequest(request, meta, file);
  if (level === undefined) throw modelError(file, 'the checkpoint has no finished level to scan');
  const { model } = await loadLevelModel(file, level);
  const source = (typeof meta.config === 'object' && meta.config !== null ? meta.config : {}) as Record<string, unknown>;
  const data = (typeof source.data === 'object' && source.data !== null ? source.data : {}) as Record<string, unknown>;
  return { model, level, levels: [...meta.targets], source, dataSpec: { ...data }, modelSpec: () => source.model ?? { type: 'cnn' } };
}

export async function runSensitivityCommand(file: string, values: Parsed['values'], signal?: AbortSignal): Promise<number> {
  const target = numberOption(values, 'target') ?? 0.9;
  if (!(target > 0 && target < 1)) throw usageError(`sensitivity: --target must be a sparsity in (0, 1), got ${target}`);
  const limit = countOption(values, 'limit');
  // The output is checked before the scan (minutes), not after it.
  const out = path.resolve((values.out as string | undefined) ?? defaultOut(file));
  checkOutputFiles('sensitivity', [out], [file], 'suggested.elsa.json');
  await initEngine(((values.backend as string | undefined) ?? 'auto') as 'auto');
  const loaded = await loadInput(file, numberOption(values, 'level'));
  const { model } = loaded;
  try {
    const dataSpec = values.data ? { path: values.data as string } : { ...loaded.dataSpec };
    Object.assign(dataSpec, { limitTrain: 1, ...(limit !== undefined ? { limitTest: limit } : {}) });
    const dataset = await loadDataset(dataSpec);
    const numClasses = evaluationClasses(file, model, dataset);
    const weights = listModelWeights(model).filter((w) => w.sparsifiable);
    if (weights.length === 0) throw modelError(file, 'the model has no prunable weights (Dense or convolution kernels)');
    const originals = new Map(weights.map((w) => [w.name, new Float32Array(w.variable.read().dataSync())]));
    const byName = new Map(weights.map((w) => [w.name, w]));
    const started = Date.now();
    const scan = await scanSensitivity(
      weights.map((w) => ({ name: w.name, values: originals.get(w.name)! })),
      async (layer, pruned) => {
        const w = layer ? byName.get(layer) : undefined;
        if (w && pruned) w.variable.write(tf.tensor(pruned, w.shape, 'float32'));
        try {
          return await evaluateModel(model, dataset.test, dataset.shape, { numClasses });
        } finally {
          if (w) w.variable.write(tf.tensor(originals.get(w.name)!, w.shape, 'float32'));
        }
      },
      {
        signal,
        onPoint: (layer, p, done, total) => {
          const what = layer ? `${layer} at ${percent(p.sparsity, 1)}` : 'baseline';
          process.stderr.write(`[${done}/${total}] ${what}: test acc ${percent(p.accuracy)}\n`);
        },
      },
    );
    const seconds = (Date.now() - started) / 1000;
    if (scan.interrupted) {
      process.stderr.write(`Interrupted after ${scan.evaluations} evaluations; no config written.\n`);
      return 130;
    }
    const name = runNameFor(out);
    const levels = loaded.levels.length > 0 ? loaded.levels : [target];
    // A config written inside a run folder (runs/demo/) trains into a sibling run folder (runs/<name>).
    const outDir = path.basename(path.dirname(path.dirname(out))) === 'runs' ? `../${name}` : `runs/${name}`;
    const { config, suggestions } = suggestedRunConfig(scan, { name, levels, model: loaded.modelSpec(path.dirname(out)), source: loaded.source, outDir });
    // Written only if it is a config `elsa train` accepts.
    resolveRunConfig(structuredClone(config), out);
    makeOutputDir(path.dirname(out));
    await writeFileAtomic(out, `${JSON.stringify(config, null, 2)}\n`);
    const suggestion = suggestions.find((s) => Math.abs(s.target - target) < 1e-9) ?? suggestLayerTargets(scan, target);
    if (values.json) console.log(JSON.stringify({ file, level: loaded.level, dataset: `${dataset.name} (${dataset.test.count} test)`, seconds, scan, suggestion, config: out }, null, 2));
    else printReport(file, loaded.level, dataset, scan, suggestion, out, seconds);
    return 0;
  } finally {
    model.dispose();
  }
}

function defaultOut(file: string): string {
  const base = path.basename(file).replace(/(\.elsa)?\.safetensors$|\.json$/i, '');
  return path.join(path.dirname(file), `${base}.suggested.elsa.json`);
}

/** A run name the schema accepts, from the config file's name. */
function runNameFor(out: string): string {
  const stem = path.basename(out).replace(/(\.elsa)?\.json$/i, '').replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return (stem || 'suggested').slice(0, 80);
}

function printReport(file: string, level: number | undefined, dataset: Dataset, scan: SensitivityScan, s: Suggestion, out: string, seconds: number): void {
  console.log(`${file}${level !== undefined ? `, level ${level}` : ''} on ${dataset.name} (${dataset.test.count} test samples): baseline test acc ${percent(scan.baseline.accuracy)}, ${scan.evaluations} evaluations in ${seconds.toFixed(1)} s\n`);
  const header = ['layer', 'weights', 'now', ...scan.fractions.map((f) => `@${Math.round(f * 100)} %`)];
  const rows = scan.layers.map((c) => [
    c.name, String(c.size), percent(c.baseSparsity, 1),
    ...scan.fractions.map((f) => {
      const p = c.points.find((q) => Math.abs(q.sparsity - f) < 0.5 / c.size + 1e-9);
      return p ? percent(p.accuracy, 1) : f <= c.baseSparsity ? '(already)' : '–';
    }),
  ]);
  console.log(textTable(header, rows, header.map((_, i) => i > 0)));
  console.log(`\nSuggested per-layer sparsity for ${percent(s.target, 1)} overall${s.reachable ? '' : ` (not reachable from this level: ${percent(s.reached, 1)})`}:`);
  console.log(textTable(['layer', 'sparsity', 'test acc alone'], s.layers.map((l) => [l.name, percent(l.sparsity, 1), percent(l.accuracyAlone, 1)]), [false, true, true]));
  console.log(`\nwrote ${out} (start it with: elsa train ${path.relative(process.cwd(), out) || out})`);
}
