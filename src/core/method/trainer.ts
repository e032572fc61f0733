/**
 * The ELSA trainer: runs the phase plan on one TF.js Layers model with partial weight freezing, snapshots
 * per-level small parameters, evaluates each level, and writes a resumable checkpoint after every epoch
 * (atomically: the previous file stays until the new one is complete). Which weights are frozen, which may
 * move and which code a kept weight gets — the ELSA rule itself — is `levelBook.ts`.
 *
 * Independent baselines use the same trainer with one level and no dense phase (or no level, for the dense
 * baseline).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { portableConfig, type RunConfig } from '../config';
import type { ElsaMetadata, LevelInfo, Provenance } from '../../protocol/checkpoint';
import { BatchIterator } from '../data/batches';
import type { Dataset } from '../data/dataset';
import type { HostTensor } from '../io/dtype';
import type { TrainingEvent } from '../../protocol/events';
import { evaluateModel } from './evaluate';
import { eventLoopYielder } from './eventLoopYield';
import { LevelBook } from './levelBook';
import { learningRateAt } from './lrSchedule';
import { MaskedOptimizer } from './optimizer';
import { planPhases, type Phase } from './phases';
import { collectParams, readParam, writeParam, type ModelParam } from './params';
import { saveTrainingCheckpoint, type SavedState } from './trainingCheckpoint';
import { createSparsifier, type SparsifiableTensor } from './sparsifiers';
import { createTrainStep } from './trainStep';

export interface TrainProgress {
  phase: Phase;
  /** K: the run's sparse levels (phases 1..K sparsify, K+1 is dense). */
  sparseLevelCount: number;
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
  loss?: number;
}

export interface TrainerOptions {
  config: RunConfig;
  dataset: Dataset;
  model: tf.LayersModel;
  checkpointPath: string;
  kind: 'elsa' | 'independent' | 'dense';
  /** The levels to train (defaults to config.levels); [] trains a dense network only. */
  targets?: number[];
  epochs?: RunConfig['epochs'];
  provenance: Provenance;
  topology: unknown;
  emit: (event: TrainingEvent) => void;
  progress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
  /** State of an interrupted run of the same config, to continue from. */
  resumeFrom?: SavedState;
  /** Called at the end of each phase 1..K+1, on the live model (tests check exactness with it). */
  onLevelDone?: (level: number, model: tf.LayersModel) => Promise<void>;
  /** Called at every mask selection, before pruned weights are zeroed (tests check what was ranked). */
  onSelect?: (selection: SelectionRecord) => void;
}

/** One mask selection as the sparsifier saw it; the arrays are the trainer's and valid during the call only. */
export interface SelectionRecord {
  phase: number;
  /** Training steps of this phase taken before the selection (the phase end counts as `stepsInPhase`). */
  stepInPhase: number;
  sparsity: number;
  tensors: readonly SparsifiableTensor[];
  masks: readonly Uint8Array[];
}

export interface TrainResult {
  status: 'complete' | 'cancelled';
  /** The metadata of the last checkpoint written (undefined when stopped before the first save). */
  meta: ElsaMetadata | undefined;
  seconds: number;
}

const now = () => new Date().toISOString();

export async function trainElsa(options: TrainerOptions): Promise<TrainResult> {
  const { config, dataset, model, emit } = options;
  const targets = options.targets ?? config.levels;
  const K = targets.length;
  const denseLevel = K + 1;
  // An independent baseline is its one sparse level: no dense phase after it (that "level" would be the same
  // 95 %-zero network, listed as dense with 0 % sparsity).
  const phases = planPhases(targets, options.epochs ?? config.epochs).filter((p) => !(options.kind === 'independent' && p.kind === 'dense'));
  const sparsifier = createSparsifier(config.sparsifier);
  const started = Date.now();
  mkdirSync(path.dirname(options.checkpointPath), { recursive: true });

  const params = collectParams(model);
  const sparse = params.filter((p) => p.sparsifiable);
  const small = params.filter((p) => !p.sparsifiable);
  if (sparse.length === 0) throw new Error('the model has no Dense or Conv kernels to sparsify');
  const optimizer = new MaskedOptimizer(
    config.optimizer,
    params.filter((p) => p.trainable).map((p) => ({ name: p.name, variable: p.variable, decay: p.sparsifiable })),
  );
  const step = createTrainStep(model, optimizer, dataset.numClasses);
  const batches = new BatchIterator(dataset.train, { batchSize: config.batchSize, seed: config.seed, dropLast: false });

  // Run state: everything a checkpoint must hold to continue. The codes and masks (the ELSA rule) live in the book.
  const book = new LevelBook(sparse, denseLevel);
  const levelParams: Record<number, Record<string, HostTensor>> = {};
  const levels: LevelInfo[] = [];
  let position = { phase: 0, epoch: 0, step: 0, globalEpoch: 0 };
  let appliedSparsity = 0;

  const resume = options.resumeFrom;
  if (resume) {
    for (const p of params) {
      const w = resume.weights[p.name];
      if (!w) throw new Error(`resume checkpoint lacks weight ${p.name}`);
      writeParam(p, w.data as Float32Array);
    }
    book.restore(resume.codes, resume.active);
    Object.assign(levelParams, resume.levelParams);
    levels.push(...resume.levels);
    position = { phase: resume.training.phase, epoch: resume.training.epoch, step: resume.training.step, globalEpoch: resume.info.globalEpoch };
    appliedSparsity = resume.info.appliedSparsity;
  }

  // Frozen-mode small parameters: after phase 1 they keep their level-1 values, running statistics included.
  let frozenSmall: { param: ModelParam; value: tf.Tensor }[] = [];
  const freezeSmallParams = () => {
    for (const p of small) if (p.trainable) optimizer.setFrozen(p.name, true);
    frozenSmall = small.filter((p) => !p.trainable).map((p) => ({ param: p, value: tf.keep(p.variable.clone()) }));
  };

  /** Set the optimizer's update masks for a phase: free and active weights move, nothing else. */
  const syncUpdateMasks = (phase: Phase) => {
    for (const p of sparse) optimizer.setUpdateMask(p.name, book.updateMask(p.name, phase));
  };

  /** Choose the mask for sparsity `s` among free weights and zero the rest (exact +0, from the host). */
  const applySparsity = (phase: Phase, s: number, stepInPhase: number) => {
    const tensors = sparse.map((p) => ({ name: p.name, shape: p.shape, values: readParam(p), frozen: book.frozen(p.name, phase) }));
    const masks = sparsifier.select({ tensors, sparsity: s });
    options.onSelect?.({ phase: phase.index, stepInPhase, sparsity: s, tensors, masks });
    tensors.forEach((t, j) => {
      const mask = masks[j];
      const values = t.values;
      for (let i = 0; i < values.length; i++) if (!mask[i]) values[i] = 0;
      writeParam(sparse[j], values);
      book.setActive(t.name, mask);
    });
    appliedSparsity = s;
    syncUpdateMasks(phase);
  };

  const snapshotSmall = (): Record<string, HostTensor> =>
    Object.fromEntries(small.map((p) => [p.name, { dtype: 'F32', shape: p.shape, data: readParam(p) } as HostTensor]));

  const buildMeta = (status: 'training' | 'complete'): Omit<ElsaMetadata, 'codes' | 'packing' | 'smallParams' | 'resume'> => ({
    format: 'elsa/1',
    kind: options.kind,
    levels: [...levels],
    targets: [...targets],
    topology: options.topology,
    config: portableConfig(config, path.dirname(options.checkpointPath)),
    provenance: options.provenance,
    training: { status, phase: position.phase, epoch: position.epoch, step: position.step },
  });

  let lastSaved: ElsaMetadata | undefined;
  const save = async (status: 'training' | 'complete') => {
    const weights: Record<string, HostTensor> = {};
    for (const p of params) weights[p.name] = { dtype: 'F32', shape: p.shape, data: readParam(p) };
    lastSaved = await saveTrainingCheckpoint(options.checkpointPath, {
      weights,
      codes: Object.fromEntries(book.codes),
      levelParams,
      meta: buildMeta(status),
      smallParamsMode: config.smallParams,
      inProgress: status === 'training' ? { active: Object.fromEntries(book.active), optimizer, appliedSparsity, globalEpoch: position.globalEpoch } : undefined,
    });
    emit({ type: 'checkpoint', time: now(), path: options.checkpointPath, phase: position.phase, epoch: position.epoch });
  };

  const evaluate = () => evaluateModel(model, dataset.test, dataset.shape, { numClasses: dataset.numClasses });

  let cancelled = false;
  const yieldToSignals = eventLoopYielder();
  try {
    if (resume?.optimizerState) optimizer.importState(resume.optimizerState);
    if (config.smallParams === 'frozen' && position.phase >= 2) freezeSmallParams();

    for (const phase of phases) {
      if (phase.index < position.phase) continue;
      const fresh = !(resume && phase.index === position.phase && position.epoch > 0);
      if (phase.index > position.phase) position = { ...position, phase: phase.index, epoch: 0 };
      if (fresh) {
        emit({ type: 'phase-start', time: now(), phase: phase.index, targetSparsity: phase.target, epochs: phase.epochs });
        if (phase.index >= 1) {
          // Every free weight trains again from where it is (pruned ones restart at zero).
          book.activateAll();
          appliedSparsity = 0;
          optimizer.resetState();
        }
      }
      syncUpdateMasks(phase);

      const stepsInPhase = phase.epochs * batches.batchesPerEpoch;
      for (let e = position.epoch; e < phase.epochs; e++) {
        const epochStart = Date.now();
        let lossSum = tf.scalar(0);
        let correctSum = tf.scalar(0);
        let seen = 0;
        for (const batch of batches.epoch(position.globalEpoch)) {
          await yieldToSignals();
          if (options.signal?.aborted) {
            cancelled = true;
            break;
          }
          const stepInPhase = e * batches.batchesPerEpoch + batch.index;
          // No selection before the phase's first step: the free weights are the ones the previous phase pruned
          // to +0, and ranking zeros is ranking by array index (docs/method.md). A one-step phase selects at its end.
          if (phase.kind === 'sparse' && stepInPhase > 0) {
            const due = sparsifier.updateEvery === 1 || stepInPhase % sparsifier.updateEvery === 0 || stepInPhase === stepsInPhase - 1;
            if (due) {
              // The last step always lands on the target, whatever the schedule's granularity.
              const s = stepInPhase === stepsInPhase - 1 ? phase.target : sparsifier.sparsityAt(stepInPhase / stepsInPhase, 0, phase.target);
              if (s !== appliedSparsity) applySparsity(phase, s, stepInPhase);
            }
          }
          optimizer.learningRate = learningRateAt(config.lrSchedule, config.optimizer.learningRate, { stepInPhase, stepsInPhase, epochInPhase: e });
          const x = tf.tensor4d(batch.images, [batch.size, ...dataset.shape]);
          const y = tf.tensor1d(batch.labels, 'int32');
          const { loss, correct } = step(x, y);
          tf.dispose([x, y]);
          const nextLoss = tf.tidy(() => tf.add(lossSum, tf.mul(loss, batch.size))) as tf.Scalar;
          const nextCorrect = tf.add(correctSum, correct) as tf.Scalar;
          tf.dispose([lossSum, correctSum, loss, correct]);
          lossSum = nextLoss;
          correctSum = nextCorrect;
          for (const f of frozenSmall) f.param.variable.assign(f.value);
          seen += batch.size;
          position.step++;
          options.progress?.({ phase, sparseLevelCount: K, epoch: e, batch: batch.index, batchesPerEpoch: batches.batchesPerEpoch });
        }
        const trainLoss = seen ? (await lossSum.data())[0] / seen : NaN;
        const trainAcc = seen ? (await correctSum.data())[0] / seen : NaN;
        tf.dispose([lossSum, correctSum]);
        if (cancelled) break;
        const seconds = (Date.now() - epochStart) / 1000;
        const lastOfPhase = e === phase.epochs - 1;
        const ev = config.evalEvery === 'epoch' || lastOfPhase ? await evaluate() : undefined;
        position.epoch = e + 1;
        position.globalEpoch++;
        emit({
          type: 'epoch',
          time: now(),
          phase: phase.index,
          epoch: e + 1,
          step: position.step,
          loss: trainLoss,
          accuracy: trainAcc,
          evalLoss: ev?.loss,
          evalAccuracy: ev?.accuracy,
          sparsity: book.currentSparsity(),
          layerSparsity: book.layerSparsity(),
          seconds,
          samplesPerSecond: seen / Math.max(seconds, 1e-9),
          learningRate: optimizer.learningRate,
        });
        if (!lastOfPhase) await save('training');
      }
      if (cancelled) break;

      if (phase.index >= 1) {
        if (phase.kind === 'sparse') {
          if (appliedSparsity !== phase.target) applySparsity(phase, phase.target, stepsInPhase);
          book.assignLevel(phase.index);
        }
        const ev = await evaluate();
        const level = book.levelInfo(phase, { accuracy: ev.accuracy, loss: ev.loss });
        levels.push(level);
        // Frozen mode: one copy (level 1) serves every level.
        if (config.smallParams === 'perLevel' || phase.index === 1) levelParams[phase.index] = snapshotSmall();
        if (config.smallParams === 'frozen' && phase.index === 1) freezeSmallParams();
        await options.onLevelDone?.(phase.index, model);
        emit({ type: 'level-done', time: now(), level: phase.index, targetSparsity: phase.target, sparsity: level.sparsity, accuracy: ev.accuracy, loss: ev.loss });
      }
      // The phase is finished: the next save resumes at the start of the next phase.
      position = { ...position, phase: phase.index + 1, epoch: 0 };
      if (phase.index < denseLevel) await save('training');
    }

    if (!cancelled) {
      position = { ...position, phase: denseLevel, epoch: phases[phases.length - 1].epochs };
      await save('complete');
    }
  } finally {
    optimizer.dispose();
    for (const f of frozenSmall) f.value.dispose();
  }
  const seconds = (Date.now() - started) / 1000;
  return { status: cancelled ? 'cancelled' : 'complete', meta: lastSaved, seconds };
}
