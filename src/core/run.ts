/**
 * What `train` and `baseline` share: where a run's files go, the engine, the data, the dense starting model,
 * provenance, and an append-only event log.
 */
import type * as tf from '@tensorflow/tfjs';
import { appendFileSync, existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import type { TrainingEvent } from '../protocol/events';
import type { RunConfig } from './config';
import type { Provenance } from '../protocol/checkpoint';
import { loadDataset, type Dataset } from './data/dataset';
import { initEngine, type EngineInfo } from './engine/backend';
import { configError } from './errors';
import { buildModel, exportTopology, hasSplitSoftmax } from './models/builders';
import { trainElsa, type TrainerOptions, type TrainResult } from './method/trainer';
import { VERSION } from './version';
import { BASELINES_DIR, checkpointFileName, EVENTS_FILE, isCheckpointFile, previousRunDir, REPORT_FILE, REPORT_MARKDOWN_FILE } from '../protocol/runFolder';

export interface RunPaths {
  dir: string;
  checkpoint: string;
  events: string;
  baselinesDir: string;
  baselineEvents: string;
  report: string;
  reportMarkdown: string;
}

export function runPaths(config: Pick<RunConfig, 'name' | 'outDir'>): RunPaths {
  const dir = config.outDir;
  return {
    dir,
    checkpoint: path.join(dir, checkpointFileName(config.name)),
    events: path.join(dir, EVENTS_FILE),
    baselinesDir: path.join(dir, BASELINES_DIR),
    baselineEvents: path.join(dir, BASELINES_DIR, EVENTS_FILE),
    report: path.join(dir, REPORT_FILE),
    reportMarkdown: path.join(dir, REPORT_MARKDOWN_FILE),
  };
}

/** What a caller chooses per training job; the prepared run fills in config, data, provenance and topology. */
export type TrainJob = Omit<TrainerOptions, 'config' | 'dataset' | 'provenance' | 'topology'> & {
  /** The run's config with other epochs (a baseline's budget, core/budgets.ts); same data and model. */
  config?: RunConfig;
};

export interface PreparedRun {
  engine: EngineInfo;
  dataset: Dataset;
  /** A fresh dense model built from the config (same seed → same initial weights). */
  buildModel(): Promise<tf.LayersModel>;
  provenance(): Provenance;
  /** Train one job (the ELSA run or one baseline) on this run's data. */
  train(job: TrainJob): Promise<TrainResult>;
}

export async function prepareRun(config: RunConfig): Promise<PreparedRun> {
  const engine = await initEngine(config.backend);
  const dataset = await loadDataset(config.data, config.baseDir);
  const provenance = (): Provenance => ({
      tool: 'elsa-studio',
      version: VERSION,
      backend: engine.label,
      createdAt: new Date().toISOString(),
      dataset: `${dataset.name} (${dataset.source}; ${dataset.train.count} train / ${dataset.test.count} test)`,
      seed: config.seed,
  });
  return {
    engine,
    dataset,
    buildModel: async () => buildModel(config.model, dataset.shape, dataset.numClasses, config.seed),
    provenance,
    train: (job) => trainElsa({ ...job, config: job.config ?? config, dataset, provenance: provenance(), topology: exportTopology(job.model) }),
  };
}


/** Appends events to a JSONL file (one line each, flushed at once, so a live tail and a killed run both see them). */
export function eventLog(file: string): (e: TrainingEvent) => void {
  mkdirSync(path.dirname(file), { recursive: true });
  return (e) => appendFileSync(file, JSON.stringify(e) + '\n');
}

/** A one-line ConfigError (naming the config) when the output folder or one of its parents is a file. */
export function checkOutDir(configFile: string, dir: string): void {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (existsSync(d)) {
      if (!statSync(d).isDirectory()) {
        throw configError(configFile, d === path.resolve(dir) ? `outDir ${d} is a file, not a folder` : `outDir ${path.resolve(dir)} cannot be created: ${d} is a file`);
      }
      return;
    }
    if (path.dirname(d) === d) return;
  }
}

/**
 * One run per folder: a folder that holds another run's checkpoint (another config's name) is refused before
 * anything in it is touched — training there would overwrite that run's events.jsonl and leave two
 * checkpoints that `elsa report` cannot tell apart. `previous-<n>/` folders are not looked into.
 */
export function checkRunFolderIsOurs(paths: RunPaths): void {
  if (!existsSync(paths.dir) || !statSync(paths.dir).isDirectory()) return;
  const others = readdirSync(paths.dir).filter((f) => isCheckpointFile(f) && path.join(paths.dir, f) !== paths.checkpoint);
  if (others.length > 0) {
    throw configError(paths.dir, `holds another run's checkpoint (${others.join(', ')}); one run per folder: give this config its own outDir`);
  }
}

/**
 * `train --fresh`: the previous run's files (checkpoint, events, report, baselines) move into
 * `<outDir>/previous-<n>/` (the first free n) instead of being overwritten. Other files in the folder stay.
 * Returns that folder, or undefined when there was nothing to keep.
 */
export function movePreviousRun(paths: RunPaths): string | undefined {
  const items = [paths.checkpoint, paths.events, paths.report, paths.reportMarkdown, paths.baselinesDir].filter((f) => existsSync(f));
  if (items.length === 0) return undefined;
  let n = 1;
  while (existsSync(path.join(paths.dir, previousRunDir(n)))) n++;
  const target = path.join(paths.dir, previousRunDir(n));
  mkdirSync(target);
  for (const f of items) renameSync(f, path.join(target, path.basename(f)));
  return target;
}

/** What a run log and the console should say about how the model is trained. */
export function modelNotes(model: tf.LayersModel): string[] {
  return hasSplitSoftmax(model)
    ? ['the model ends in softmax: it is trained on its logits (softmax split off, so the softmax cross-entropy loss does not apply it twice); the checkpoint and every export keep the softmax']
    : [];
}
