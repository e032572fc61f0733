/**
 * The checkpoint as the trainer writes and resumes it. While a run is in progress the file carries, besides
 * the ELSA contract, the state a resumed run needs (`elsa.state/…` tensors: active masks and optimizer
 * slots); the complete checkpoint drops them.
 */
import type { ElsaMetadata, LevelInfo, ResumeInfo, TrainingState } from '../../protocol/checkpoint';
import { checkpointError } from '../errors';
import type { HostTensor } from '../io/dtype';
import { readElsaCheckpoint, writeElsaCheckpoint } from '../io/elsaCheckpoint';
import type { MaskedOptimizer } from './optimizer';

const ACTIVE_PREFIX = 'elsa.state/active/';
const OPTIMIZER_PREFIX = 'elsa.state/opt/';

/** What a run in progress adds to its checkpoint so it can resume; absent for the complete checkpoint. */
export interface InProgressState {
  active: Record<string, Uint8Array>;
  optimizer: MaskedOptimizer;
  appliedSparsity: number;
  globalEpoch: number;
}

export interface SaveParts {
  weights: Record<string, HostTensor>;
  codes: Record<string, Uint8Array>;
  levelParams: Record<number, Record<string, HostTensor>>;
  meta: Omit<ElsaMetadata, 'codes' | 'packing' | 'smallParams' | 'resume'>;
  smallParamsMode: 'perLevel' | 'frozen';
  inProgress?: InProgressState;
}

export async function saveTrainingCheckpoint(path: string, parts: SaveParts): Promise<ElsaMetadata> {
  const extraTensors: Record<string, HostTensor> = {};
  let meta: Omit<ElsaMetadata, 'codes' | 'packing' | 'smallParams'> = parts.meta;
  const state = parts.inProgress;
  if (state) {
    for (const [name, mask] of Object.entries(state.active)) {
      extraTensors[ACTIVE_PREFIX + name] = { dtype: 'U8', shape: [mask.length], data: mask };
    }
    const slots = await state.optimizer.exportState();
    for (const [name, t] of Object.entries(slots.tensors)) extraTensors[OPTIMIZER_PREFIX + name] = { dtype: 'F32', shape: t.shape, data: t.data };
    const resume: ResumeInfo = { appliedSparsity: state.appliedSparsity, optimizerStep: slots.step, globalEpoch: state.globalEpoch };
    meta = { ...meta, resume };
  }
  return writeElsaCheckpoint(path, {
    weights: parts.weights,
    codes: parts.codes,
    levelParams: parts.levelParams,
    extraTensors,
    meta: { ...meta, smallParamsMode: parts.smallParamsMode },
    packing: 'bits',
  });
}

export interface SavedState {
  meta: ElsaMetadata;
  training: TrainingState;
  info: ResumeInfo;
  weights: Record<string, HostTensor>;
  codes: Record<string, Uint8Array>;
  active: Record<string, Uint8Array>;
  levelParams: Record<number, Record<string, HostTensor>>;
  levels: LevelInfo[];
  optimizerState?: { step: number; tensors: Record<string, { data: Float32Array }> };
}

/** Read an in-progress checkpoint back; undefined when the file is a complete run. */
export async function loadTrainingState(path: string): Promise<SavedState | undefined> {
  const ckpt = await readElsaCheckpoint(path);
  try {
    const { meta } = ckpt;
    if (!meta.training || meta.training.status !== 'training') return undefined;
    if (!meta.resume) throw checkpointError(path, 'in-progress checkpoint without resume information');
    const weights: Record<string, HostTensor> = {};
    for (const name of ckpt.weightNames) weights[name] = await ckpt.readWeight(name);
    const codes: Record<string, Uint8Array> = {};
    for (const name of ckpt.sparseWeightNames) codes[name] = await ckpt.readCodes(name);
    const active: Record<string, Uint8Array> = {};
    const optTensors: Record<string, { data: Float32Array }> = {};
    for (const name of Object.keys(ckpt.header.tensors)) {
      if (name.startsWith(ACTIVE_PREFIX)) active[name.slice(ACTIVE_PREFIX.length)] = (await ckpt.readTensor(name)).data as Uint8Array;
      else if (name.startsWith(OPTIMIZER_PREFIX)) optTensors[name.slice(OPTIMIZER_PREFIX.length)] = { data: (await ckpt.readTensor(name)).data as Float32Array };
    }
    const levelParams: Record<number, Record<string, HostTensor>> = {};
    for (const level of meta.levels) levelParams[level.index] = await ckpt.readLevelParams(level.index);
    return {
      meta,
      training: meta.training,
      info: meta.resume,
      weights,
      codes,
      active,
      levelParams,
      levels: meta.levels,
      optimizerState: Object.keys(optTensors).length ? { step: meta.resume.optimizerStep, tensors: optTensors } : undefined,
    };
  } finally {
    await ckpt.close();
  }
}
