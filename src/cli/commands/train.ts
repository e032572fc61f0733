/** `elsa train <config>`: train ELSA levels, resuming an interrupted run of the same config. */
import { existsSync } from 'node:fs';
import { loadRunConfig, portableConfig, requireBuiltinEngine, sameRun, withBackend, type RunConfig } from '../../core/config';
import { configError } from '../../core/errors';
import { writeFileAtomic } from '../../core/io/atomic';
import { readElsaCheckpoint } from '../../core/io/elsaCheckpoint';
import { loadTrainingState, type SavedState } from '../../core/method/trainingCheckpoint';
import { checkOutDir, checkRunFolderIsOurs, eventLog, modelNotes, movePreviousRun, prepareRun, runPaths } from '../../core/run';
import type { TrainingEvent } from '../../protocol/events';
import type { CommandSpec } from '../args';
import { ProgressReporter } from '../progress';
import { makeOutputDir, stopIfAborted } from '../supervisor';
import { levelsTable } from '../tables';

export const trainSpec: CommandSpec = {
  name: 'train',
  usage: 'train <config.elsa.json>',
  summary:
    'Train the ELSA levels of a run config: dense warm-up, then one phase per sparsity level with the weights of\n' +
    'earlier levels frozen, then the dense phase. Writes <outDir>/<name>.elsa.safetensors and events.jsonl after\n' +
    'every epoch; an interrupted run continues from its last completed epoch when started again.',
  options: { fresh: { type: 'boolean' }, backend: { type: 'string' } },
  help: ['--fresh             start over; the previous run\'s files move to <outDir>/previous-<n>/', '--backend <name>    auto | node | wasm | cpu (overrides the config)'],
  minPositionals: 1,
  maxPositionals: 1,
};

/** What to do with a checkpoint already at the run's path. */
async function priorState(path: string, config: RunConfig): Promise<'none' | 'complete' | SavedState> {
  if (!existsSync(path)) return 'none';
  const ckpt = await readElsaCheckpoint(path);
  const status = ckpt.meta.training?.status;
  await ckpt.close();
  if (!sameRun(ckpt.meta.config, config)) {
    throw configError(path, 'this checkpoint was trained with a different config; use --fresh to start over (the old run is moved to previous-<n>/ in its folder, not deleted)');
  }
  if (status === 'complete') return 'complete';
  return (await loadTrainingState(path)) ?? 'none';
}

export async function runTrainingCommand(
  configFile: string,
  options: { fresh?: boolean; backend?: string; signal: AbortSignal },
): Promise<number> {
  const config = withBackend(requireBuiltinEngine(loadRunConfig(configFile), configFile), options.backend);
  checkOutDir(configFile, config.outDir);
  return runTraining(config, options);
}

/** Train (or continue, or find complete) the ELSA run of a resolved config; 130 when stopped by the signal. */
export async function runTraining(config: RunConfig, options: { fresh?: boolean; signal: AbortSignal }): Promise<number> {
  const paths = runPaths(config);
  console.log(`Run folder: ${paths.dir}`);
  checkRunFolderIsOurs(paths);
  const prior = options.fresh ? 'none' : await priorState(paths.checkpoint, config);
  if (prior === 'complete') {
    console.log(`${paths.checkpoint} is already complete (use --fresh to train again).`);
    return 0;
  }
  const resume = typeof prior === 'object' ? prior : undefined;
  // Data, engine and model are loaded (and so validated) before anything in the run folder is touched.
  const prepared = await prepareRun(config);
  const model = await prepared.buildModel();
  let log: (e: TrainingEvent) => void;
  try {
    stopIfAborted(options.signal);
    makeOutputDir(paths.dir);
    if (options.fresh) {
      const moved = movePreviousRun(paths);
      if (moved) console.log(`The previous run is kept in ${moved}`);
    }
    if (!resume) await writeFileAtomic(paths.events, '');
    log = eventLog(paths.events);
  } catch (e) {
    model.dispose();
    throw e;
  }
  const K = config.levels.length;
  const reporter = new ProgressReporter();
  const emit = (e: TrainingEvent) => {
    log(e);
    reporter.event(e, K);
  };
  console.log(
    `ELSA run "${config.name}": ${K} level${K === 1 ? '' : 's'} (${config.levels.map((s) => `${s * 100}%`).join(', ')}) + dense, model ${config.model.type}, ` +
      `${prepared.dataset.name} (${prepared.dataset.train.count} train / ${prepared.dataset.test.count} test), backend ${prepared.engine.label}`,
  );
  const notes = modelNotes(model);
  for (const n of notes) console.log(`Note: ${n}`);
  if (resume) console.log(`Resuming from phase ${resume.training.phase}, epoch ${resume.training.epoch} of ${paths.checkpoint}`);
  emit({
    type: 'run-start',
    time: new Date().toISOString(),
    run: config.name,
    kind: 'elsa',
    targets: config.levels,
    backend: prepared.engine.label,
    config: portableConfig(config),
    ...(notes.length ? { notes } : {}),
    ...(resume ? { resumedFrom: { phase: resume.training.phase, epoch: resume.training.epoch } } : {}),
  });
  const started = Date.now();
  try {
    const result = await prepared.train({
      model,
      checkpointPath: paths.checkpoint,
      kind: 'elsa',
      emit,
      progress: (p) => reporter.step(p),
      signal: options.signal,
      resumeFrom: resume,
    });
    emit({ type: 'run-end', time: new Date().toISOString(), status: result.status, seconds: result.seconds });
    if (result.status === 'cancelled') {
      console.log(`Stopped. The last complete epoch is saved in ${paths.checkpoint}; run the same command to continue.`);
      return 130;
    }
    console.log('');
    console.log(levelsTable(result.meta?.levels ?? []));
    console.log(`\nCheckpoint: ${paths.checkpoint}\nEvents:     ${paths.events}`);
    return 0;
  } catch (e) {
    emit({ type: 'run-end', time: new Date().toISOString(), status: 'failed', seconds: (Date.now() - started) / 1000, message: (e as Error).message });
    throw e;
  } finally {
    model.dispose();
  }
}
