/**
 * `elsa baseline <config>`: the paper's comparison — one independently trained sparse network per level (same
 * sparsifier, same warm-up and the same epochs as one ELSA phase) and a dense network (warm-up + the same
 * epochs, dense). Each is a checkpoint under <outDir>/baselines/; finished ones are skipped on a rerun.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadRunConfig, portableConfig, requireBuiltinEngine, sameRun, withBackend, type RunConfig } from '../../core/config';
import { readElsaCheckpoint } from '../../core/io/elsaCheckpoint';
import { loadTrainingState } from '../../core/method/trainingCheckpoint';
import { DENSE_BASELINE_NAME, eventLog, independentBaselineName, prepareRun, runPaths } from '../../core/run';
import type { TrainingEvent } from '../../protocol/events';
import type { CommandSpec } from '../args';
import { ProgressReporter } from '../progress';
import { percent, textTable } from '../tables';

export const baselineSpec: CommandSpec = {
  name: 'baseline',
  usage: 'baseline <config.elsa.json>',
  summary:
    'Train the baselines of a run config: one independent sparse network per level (same sparsifier, warm-up\n' +
    'and epochs per level as ELSA) and one dense network, into <outDir>/baselines/. Finished ones are kept.',
  options: { fresh: { type: 'boolean' }, backend: { type: 'string' }, only: { type: 'string' } },
  help: [
    '--fresh             retrain baselines that are already complete',
    '--backend <name>    auto | node | wasm | cpu (overrides the config)',
    '--only <list>       comma-separated subset: dense and/or sparsities, e.g. "dense,0.9"',
  ],
  minPositionals: 1,
  maxPositionals: 1,
};

async function isComplete(file: string, config: RunConfig): Promise<boolean> {
  if (!existsSync(file)) return false;
  const ckpt = await readElsaCheckpoint(file);
  await ckpt.close();
  return ckpt.meta.training?.status === 'complete' && sameRun(ckpt.meta.config, config);
}

export async function runBaselineCommand(configFile: string, options: { fresh?: boolean; backend?: string; only?: string; signal: AbortSignal }): Promise<number> {
  const config = withBackend(requireBuiltinEngine(loadRunConfig(configFile), configFile), options.backend);
  const paths = runPaths(config);
  mkdirSync(paths.baselinesDir, { recursive: true });
  const prepared = await prepareRun(config);
  const only = options.only?.split(',').map((s) => s.trim());
  const jobs: { file: string; kind: 'independent' | 'dense'; targets: number[]; label: string }[] = [
    ...config.levels.map((s) => ({ file: path.join(paths.baselinesDir, independentBaselineName(s)), kind: 'independent' as const, targets: [s], label: `independent ${s * 100}%` })),
    { file: path.join(paths.baselinesDir, DENSE_BASELINE_NAME), kind: 'dense' as const, targets: [], label: 'dense' },
  ].filter((j) => !only || only.includes(j.kind === 'dense' ? 'dense' : String(j.targets[0])));
  const log = eventLog(paths.baselineEvents);
  const rows: string[][] = [];
  for (const job of jobs) {
    if (!options.fresh && (await isComplete(job.file, config))) {
      console.log(`${job.label}: already complete (${job.file})`);
      const ckpt = await readElsaCheckpoint(job.file);
      await ckpt.close();
      const level = ckpt.meta.levels[0];
      rows.push([job.label, percent(level?.sparsity), percent(level?.metrics.accuracy)]);
      continue;
    }
    const reporter = new ProgressReporter(process.stdout, `${job.label}: `);
    const emit = (e: TrainingEvent) => {
      log(e);
      reporter.event(e, job.targets.length);
    };
    const model = await prepared.buildModel();
    const resume = !options.fresh && existsSync(job.file) ? await loadTrainingState(job.file).catch(() => undefined) : undefined;
    emit({ type: 'run-start', time: new Date().toISOString(), run: `${config.name}/${job.label}`, kind: job.kind, targets: job.targets, backend: prepared.engine.label, config: portableConfig(config) });
    const epochs = job.kind === 'dense' ? { warmup: config.epochs.warmup, perPhase: config.epochs.perPhase, dense: config.epochs.perPhase } : { ...config.epochs, dense: 0 };
    const result = await prepared.train({
      model,
      checkpointPath: job.file,
      kind: job.kind,
      targets: job.targets,
      epochs,
      emit,
      progress: (p) => reporter.step(p),
      signal: options.signal,
      resumeFrom: resume,
    });
    model.dispose();
    emit({ type: 'run-end', time: new Date().toISOString(), status: result.status, seconds: result.seconds });
    if (result.status === 'cancelled') return 130;
    const level = result.meta?.levels[0];
    rows.push([job.label, percent(level?.sparsity), percent(level?.metrics.accuracy)]);
  }
  console.log('\n' + textTable(['baseline', 'sparsity', 'test accuracy'], rows, [false, true, true]));
  console.log(`\nBaselines: ${paths.baselinesDir}`);
  return 0;
}
