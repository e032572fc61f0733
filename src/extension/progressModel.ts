/**
 * Training progress for the status bar, folded from events.jsonl events (pure, unit-tested): which phase and
 * epoch a run is in and its latest accuracy.
 */
import type { TrainingEvent } from '../protocol/events';
import { formatPercent } from '../protocol/format';
import { phaseProgressLabel } from '../protocol/levels';

export interface RunProgress {
  run?: string;
  /** K, the number of sparse levels. */
  sparseLevelCount?: number;
  phase?: number;
  /** The target sparsity of the phase (from its phase-start event). */
  targetSparsity?: number;
  epoch?: number;
  epochsInPhase?: number;
  accuracy?: number;
  sparsity?: number;
  status: 'starting' | 'running' | 'complete' | 'failed' | 'cancelled';
  message?: string;
}

export function foldProgress(p: RunProgress, e: TrainingEvent): RunProgress {
  switch (e.type) {
    case 'run-start':
      return { run: e.run, sparseLevelCount: e.targets.length, status: 'running' };
    case 'phase-start':
      return { ...p, phase: e.phase, targetSparsity: e.targetSparsity, epochsInPhase: e.epochs, epoch: 0, status: 'running' };
    case 'epoch':
      return { ...p, phase: e.phase, ...(e.phase === p.phase ? {} : { targetSparsity: undefined }), epoch: e.epoch, accuracy: e.evalAccuracy ?? e.accuracy, sparsity: e.sparsity, status: 'running' };
    case 'step':
      return { ...p, phase: e.phase, ...(e.phase === p.phase ? {} : { targetSparsity: undefined }), status: 'running' };
    case 'level-done':
      return { ...p, accuracy: e.accuracy, sparsity: e.sparsity };
    case 'checkpoint':
      return p;
    case 'run-end':
      return { ...p, status: e.status, message: e.message };
  }
}

const pct = (x: number) => formatPercent(x);

/** "phase 2/4 → 90 % · epoch 1/3 · acc 84.1 %": phase k of K sparse phases, named as the CLI names it (phaseProgressLabel). */
export function progressText(p: RunProgress): string {
  const parts: string[] = [];
  if (p.phase !== undefined) {
    parts.push(phaseProgressLabel(p.phase, p.sparseLevelCount, p.targetSparsity));
  }
  if (p.epoch !== undefined && p.epochsInPhase) parts.push(`epoch ${Math.min(p.epoch, p.epochsInPhase)}/${p.epochsInPhase}`);
  if (p.accuracy !== undefined) parts.push(`acc ${pct(p.accuracy)}`);
  if (p.status === 'starting') return 'starting…';
  if (p.status !== 'running') parts.unshift(p.status);
  return parts.join(' · ');
}
