/**
 * `elsa baseline <config>`: the comparison ELSA is measured against, at budgets that make it fair
 * (core/budgets.ts): one dense network trained as many epochs as ELSA's dense level, and per sparse level an
 * independently trained network (same sparsifier, optimizer and learning-rate schedule) at two budgets —
 * "strict", the epochs ELSA's level has seen in total, and "cheap", the epochs of one ELSA phase. Each is a
 * checkpoint under <outDir>/baselines/ whose name says its budget; finished ones are skipped on a rerun and an
 * interrupted one continues from its last epoch.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { baselineJobs, selectBaselineJobs, type BaselineJob } from '../../core/budgets';
import { loadRunConfig, portableConfig, requireBuiltinEngine, sameRun, withBackend, type RunConfig } from '../../core/config';
import { checkpointError, isElsaError } from '../../core/errors';
import { readElsaCheckpoint } from '../../core/io/elsaCheckpoint';
import type { ElsaMetadata } from '../../protocol/checkpoint';
import { loadTrainingState } from '../../core/method/trainingCheckpoint';
import { checkOutDir, eventLog, modelNotes, prepareRun, runPaths } from '../../core/run';
import type { TrainingEvent } from '../../protocol/events';
import type { CommandSpec } from '../args';
import { ProgressReporter } from '../progress';
import { makeOutputDir } from '../supervisor';
import { percent, textTable } from '../tables';
import { formatTargetPercent } from '../../protocol/format';

export const baselineSpec: CommandSpec = {
  name: 'baseline',
  usage: 'baseline <config.elsa.json>',
  summary:
    'Train the baselines of a run config into <outDir>/baselines/: a dense network trained as many epochs as\n' +
    "ELSA's dense level, and per level an independent sparse network at two budgets: strict (every epoch ELSA's\n" +
    'level has seen) and cheap (the epochs of one phase). Same optimizer and schedule. Finished ones are kept.',
  options: { fresh: { type: 'boolean' }, backend: { type: 'string' }, only: { type: 'string' } },
  help: [
    '--fresh             retrain baselines that are already complete',
    '--backend <name>    auto | node | wasm | cpu (overrides the config)',
    '--only <list>       a subset: dense, levels ("0.9"), strict or cheap; one kind adds up, kinds narrow each other',
    '                    ("0.9,strict": the 90 % network at the strict budget; "dense,0.9": dense and both 90 % ones)',
  ],
  minPositionals: 1,
  maxPositionals: 1,
};

async function completeMeta(file: string, config: RunConfig): Promise<ElsaMetadata | undefined> {
  if (!existsSync(file)) return undefined;
  const ckpt = await readElsaCheckpoint(file);
  await ckpt.close();
  return ckpt.meta.training?.status === 'complete' && sameRun(ckpt.meta.config, config) ? ckpt.meta : undefined;
}

const row = (job: BaselineJob, meta: ElsaMetadata | undefined) => {
  const level = meta?.levels[0];
  return [job.kind === 'dense' ? 'dense' : `independent ${formatTargetPercent(job.targets[0])}`, job.budgets.join(' + '), String(job.totalEpochs), percent(level?.sparsity), percent(level?.metrics.accuracy)];
};

/** Train (or reuse) every baseline of a run config; 130 when stopped by the signal. */
export async function runBaselines(config: RunConfig, options: { fresh?: boolean; only?: string; signal: AbortSignal }): Promise<number> {
  const jobs = selectBaselineJobs(baselineJobs(config), options.only);
  const paths = runPaths(config);
  console.log(`Baselines folder: ${paths.baselinesDir}`);
  // The folder and its event log are created only once data and model have loaded (validated).
  let log: ((e: TrainingEvent) => void) | undefined;
  const rows: string[][] = [];
  let prepared: Awaited<ReturnType<typeof prepareRun>> | undefined;
  // Every finished baseline is read before anything trains: a damaged file is one line now, not after the
  // other baselines have trained for an hour.
  const checked: { job: BaselineJob; file: string; done: ElsaMetadata | undefined }[] = [];
  for (const job of jobs) {
    const file = path.join(paths.baselinesDir, job.file);
    try {
      checked.push({ job, file, done: options.fresh ? undefined : await completeMeta(file, job.config) });
    } catch (e) {
      if (isElsaError(e)) throw checkpointError(file, `${e.problem} (delete it, or give --fresh to retrain the baselines)`);
      throw e;
    }
  }
  for (const { job, file, done } of checked) {
    if (done) {
      console.log(`${job.label}: already complete (${file})`);
      rows.push(row(job, done));
      continue;
    }
    if (options.signal.aborted) return 130;
    prepared ??= await prepareRun(config);
    const model = await prepared.buildModel();
    if (options.signal.aborted) {
      model.dispose();
      return 130;
    }
    makeOutputDir(paths.baselinesDir);
    const write = (log ??= eventLog(paths.baselineEvents));
    const reporter = new ProgressReporter(process.stdout, `${job.label}: `);
    const emit = (e: TrainingEvent) => {
      write(e);
      reporter.event(e, job.targets.length);
    };
    const notes = modelNotes(model);
    for (const n of notes) console.log(`${job.label}: note: ${n}`);
    const prior = !options.fresh && existsSync(file) ? await loadTrainingState(file).catch(() => undefined) : undefined;
    // Only a snapshot of this very job continues; anything else at that path is retrained from scratch.
    const resume = prior && sameRun(prior.meta.config, job.config) ? prior : undefined;
    emit({
      type: 'run-start', time: new Date().toISOString(), run: `${config.name}/${job.file.replace(/\.safetensors$/, '')}`, kind: job.kind, targets: job.targets,
      backend: prepared.engine.label, config: portableConfig(job.config), ...(notes.length ? { notes } : {}),
      ...(resume ? { resumedFrom: { phase: resume.training.phase, epoch: resume.training.epoch } } : {}),
    });
    const result = await prepared.train({
      config: job.config,
      model,
      checkpointPath: file,
      kind: job.kind,
      targets: job.targets,
      emit,
      progress: (p) => reporter.step(p),
      signal: options.signal,
      resumeFrom: resume,
    });
    model.dispose();
    emit({ type: 'run-end', time: new Date().toISOString(), status: result.status, seconds: result.seconds });
    if (result.status === 'cancelled') return 130;
    rows.push(row(job, result.meta));
  }
  console.log('\n' + textTable(['baseline', 'budget', 'epochs', 'sparsity', 'test accuracy'], rows, [false, false, true, true, true]));
  console.log(`\nBaselines: ${paths.baselinesDir}`);
  return 0;
}

export async function runBaselineCommand(configFile: string, options: { fresh?: boolean; backend?: string; only?: string; signal: AbortSignal }): Promise<number> {
  const config = withBackend(requireBuiltinEngine(loadRunConfig(configFile), configFile), options.backend);
  checkOutDir(configFile, runPaths(config).baselinesDir);
  return runBaselines(config, options);
}
