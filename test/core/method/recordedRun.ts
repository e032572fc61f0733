/**
 * Runs the real trainer on a small synthetic task and records what the method tests check: every mask
 * selection as the sparsifier saw it (step, sparsity, frozen set, |values|, masks), the live weights at the
 * end of every phase, and the final codes of the checkpoint.
 */
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../../../src/core/config';
import type { ElsaMetadata } from '../../../src/protocol/checkpoint';
import { readElsaCheckpoint } from '../../../src/core/io/elsaCheckpoint';
import { collectParams, readParam } from '../../../src/core/method/params';
import { trainElsa } from '../../../src/core/method/trainer';
import { buildModel } from '../../../src/core/models/builders';
import { modelTopology } from '../../../src/core/models/weights';
import { runPaths } from '../../../src/core/run';
import type { TrainingEvent } from '../../../src/protocol/events';
import { quadrantDataset, testConfig } from '../../helpers/synthetic';

export interface RecordedSelection {
  phase: number;
  stepInPhase: number;
  sparsity: number;
  names: string[];
  shapes: number[][];
  magnitudes: Float32Array[];
  frozen: Uint8Array[];
  masks: Uint8Array[];
}

export interface RecordedRun {
  config: RunConfig;
  stepsPerEpoch: number;
  selections: RecordedSelection[];
  /** Live weights (all parameters, by name) at the end of phase k, k = 1..K+1. */
  atPhaseEnd: Map<number, Map<string, Float32Array>>;
  /** Final codes of the checkpoint, by sparsifiable weight name (model order). */
  codes: Map<string, Uint8Array>;
  shapes: Map<string, number[]>;
  meta: ElsaMetadata;
  events: TrainingEvent[];
}

export async function recordRun(overrides: Record<string, unknown>, kind: 'elsa' | 'independent' = 'elsa', trainCount = 192): Promise<RecordedRun> {
  const config = testConfig(overrides);
  const dataset = quadrantDataset(trainCount, 64, 11);
  const model = await buildModel(config.model, dataset.shape, dataset.numClasses, config.seed);
  const selections: RecordedSelection[] = [];
  const atPhaseEnd = new Map<number, Map<string, Float32Array>>();
  const events: TrainingEvent[] = [];
  const paths = runPaths(config);
  try {
    const result = await trainElsa({
      config,
      dataset,
      model,
      checkpointPath: paths.checkpoint,
      kind,
      targets: kind === 'independent' ? config.levels.slice(0, 1) : undefined,
      provenance: { tool: 'test', version: '0', backend: tf.getBackend(), createdAt: '' },
      topology: modelTopology(model),
      emit: (e) => events.push(e),
      onSelect: (s) => {
        // Copies: the trainer zeroes the pruned values right after this call.
        selections.push({
          phase: s.phase,
          stepInPhase: s.stepInPhase,
          sparsity: s.sparsity,
          names: s.tensors.map((t) => t.name),
          shapes: s.tensors.map((t) => [...t.shape]),
          magnitudes: s.tensors.map((t) => Float32Array.from(t.values, Math.abs)),
          frozen: s.tensors.map((t) => Uint8Array.from(t.frozen)),
          masks: s.masks.map((m) => Uint8Array.from(m)),
        });
      },
      onLevelDone: async (level, live) => {
        atPhaseEnd.set(level, new Map(collectParams(live).map((p) => [p.name, readParam(p)])));
      },
    });
    if (result.status !== 'complete') throw new Error(`training ended ${result.status}`);
  } finally {
    model.dispose();
  }
  const ckpt = await readElsaCheckpoint(paths.checkpoint);
  const codes = new Map<string, Uint8Array>();
  const shapes = new Map<string, number[]>();
  try {
    for (const name of ckpt.sparseWeightNames) {
      codes.set(name, await ckpt.readCodes(name));
      shapes.set(name, (await ckpt.readWeight(name)).shape);
    }
  } finally {
    await ckpt.close();
  }
  return { config, stepsPerEpoch: Math.ceil(trainCount / config.batchSize), selections, atPhaseEnd, codes, shapes, meta: ckpt.meta, events };
}

/** The last selection of phase k: the one whose mask defines level k. */
export function finalSelection(run: RecordedRun, phase: number): RecordedSelection {
  const all = run.selections.filter((s) => s.phase === phase);
  if (all.length === 0) throw new Error(`phase ${phase} made no selection`);
  return all[all.length - 1];
}

/** Pearson correlation of x and y (0/1 here: index vs. selected). */
export function correlation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < x.length; i++) {
    n++;
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    syy += y[i] * y[i];
    sxy += x[i] * y[i];
  }
  const den = Math.sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
  return den === 0 ? 0 : (n * sxy - sx * sy) / den;
}
