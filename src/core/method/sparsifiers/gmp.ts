/** Gradual magnitude pruning with the cubic schedule of Zhu & Gupta (2017): the default sparsifier. */
import type { LayerTargets } from './layerTargets';
import { magnitudeSelector } from './select';
import type { SelectionRequest, Sparsifier } from './types';

/**
 * Sparsity at `progress` through a phase: `start` until `rampStart` (Zhu & Gupta's t0, as a fraction of the
 * phase; 0 unless an experiment sets it, docs/experiments/level-gap.md), then the cubic ramp to `target` at
 * `rampFraction`, then `target`.
 */
export function gmpSparsity(progress: number, start: number, target: number, rampFraction: number, rampStart = 0): number {
  if (progress >= rampFraction) return target;
  if (progress < rampStart) return start;
  const t = Math.max(0, progress - rampStart) / (rampFraction - rampStart);
  return target + (start - target) * (1 - t) ** 3;
}

export function createGmp(options: { scope: 'global' | 'layer'; pruneEvery: number; rampFraction: number; rampStart?: number; layerTargets?: LayerTargets }): Sparsifier {
  const select = magnitudeSelector(options);
  return {
    name: `gmp(${options.scope})`,
    updateEvery: options.pruneEvery,
    sparsityAt: (p, start, target) => gmpSparsity(p, start, target, options.rampFraction, options.rampStart ?? 0),
    select: (r: SelectionRequest) => select(r.tensors, r.sparsity),
  };
}
