/**
 * The level vocabulary (docs/architecture.md §1, "Levels"). A run has K *sparse* levels 1..K and the dense
 * network as level K+1. Two counts, never mixed up:
 *
 *   sparseLevelCount = K     = targets.length        (codes on disk, packing, phases 1..K)
 *   levelCount       = K + 1 = levels incl. dense    (what a complete checkpoint lists; 0 = no levels at all,
 *                                                     a foreign safetensors / TF.js model)
 *
 * Code that holds one of them names it so; the conversions are here.
 */

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
