/**
 * The level vocabulary (docs/architecture.md §1, "Levels"). A run has K *sparse* levels 1..K and the dense
 * network as level K+1. Two counts, never mixed up:
 *
 *   sparseLevelCount = K     = targets.length        (codes on disk, packing, phases 1..K)
 *   levelCount       = K + 1 = levels incl. dense    (what a complete checkpoint lists; 0 = no levels at all,
 *                                                     a foreign safetensors / TF.js model)
 *
 * Code that holds one of them names it so; the conversions are here, and so are the words every front end
 * uses for levels and phases: `warm-up` (phase 0), `L2 90 %` / `level 2` (sparse level or phase k),
 * `dense` (level and phase K+1), `all weights` (a file without levels).
 */
import type { LevelInfo } from './checkpoint';
import { formatPercent, formatTargetPercent } from './format';

export const WARMUP_LABEL = 'warm-up';
export const DENSE_LABEL = 'dense';
export const ALL_WEIGHTS_LABEL = 'all weights';

/** K + 1 for K sparse levels: the number of networks an ELSA run holds, the dense one included. */
export const levelCountOf = (sparseLevelCount: number): number => sparseLevelCount + 1;

/** K for K + 1 levels; 0 for a file without levels (levelCount 0) and for a dense-only network (levelCount 1). */
export const sparseLevelCountOf = (levelCount: number): number => Math.max(0, levelCount - 1);

/** The epochs of a run's phases (the `epochs` of a run config). */
export interface PhaseEpochs {
  warmup: number;
  perPhase: number;
  dense: number;
}

/**
 * Epochs behind level `index` (1..K+1) of a run with `sparseLevelCount` = K sparse levels trained with
 * `epochs`: warm-up + min(index, K) phases + the dense phase for index K+1.
 */
export function epochsBehind(epochs: PhaseEpochs, sparseLevelCount: number, index: number): number {
  return epochs.warmup + Math.min(index, sparseLevelCount) * epochs.perPhase + (index > sparseLevelCount ? epochs.dense : 0);
}

/**
 * Short name of a level, for chart legends, selectors and axes: `L1 95 %` for sparse levels (`L1` when the
 * target is unknown), `dense` for level K+1 = `levelCount`, `all weights` when the file has no levels
 * (`levelCount` 0) or for level 0 (no level selected).
 */
export function levelLabel(level: number, levelCount: number, targetSparsity?: number): string {
  if (levelCount === 0 || level === 0) return ALL_WEIGHTS_LABEL;
  if (level === levelCount) return DENSE_LABEL;
  return targetSparsity === undefined ? `L${level}` : `L${level} ${formatTargetPercent(targetSparsity)}`;
}

/**
 * Short name of a training phase, for chart marks: 0 = `warm-up`, k = 1..K trains level k (named as the
 * level is everywhere else, `L2 90 %`), K+1 = `dense`. `levelCount` is K+1 (0 when not known yet).
 */
export function phaseLabel(phase: number, levelCount: number, targetSparsity?: number): string {
  if (phase === 0) return WARMUP_LABEL;
  if (levelCount > 0 && phase >= levelCount) return DENSE_LABEL;
  return levelLabel(phase, Math.max(levelCount, phase + 1), targetSparsity);
}

/**
 * A phase as progress text names it, the same in the CLI's progress lines, the status bar and the Checkpoints
 * tree: `warm-up` (phase 0), `phase 2/4 → 90 %` (sparse phase k of K = `sparseLevelCount`; `phase 2/4` when
 * the target is not at hand, `phase 2` when K is not known yet), `dense phase` (phase K+1).
 */
export function phaseProgressLabel(phase: number, sparseLevelCount: number | undefined, targetSparsity?: number): string {
  if (phase === 0) return WARMUP_LABEL;
  if (sparseLevelCount === undefined) return `phase ${phase}`;
  if (phase > sparseLevelCount) return `${DENSE_LABEL} phase`;
  return `phase ${phase}/${sparseLevelCount}${targetSparsity === undefined ? '' : ` → ${formatTargetPercent(targetSparsity)}`}`;
}

/** A level as a row names it: `Level 2 · 90.0 % sparse · acc 84.1 %` (the accuracy part only when measured). */
export function levelRowLabel(level: LevelInfo): string {
  const acc = level.metrics?.accuracy;
  return `Level ${level.index} · ${formatPercent(level.sparsity)} sparse${acc === undefined ? '' : ` · acc ${formatPercent(acc)}`}`;
}
