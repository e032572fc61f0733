/** Gradual magnitude pruning with the cubic schedule of Zhu & Gupta (2017): the default sparsifier. */
import type { LayerTargets } from './layerTargets';
import { magnitudeSelector } from './select';
import type { SelectionRequest, Sparsifier } from './types';

export function gmpSparsity(progress: number, start: number, target: number, rampFraction: number): number {
  if (progress >= rampFraction) return target;
  const t = Math.max(0, progress) / rampFraction;
  return target + (start - target) * (1 - t) ** 3;
}

export function createGmp(options: { scope: 'global' | 'layer'; pruneEvery: number; rampFraction: number; layerTargets?: LayerTargets }): Sparsifier {
  const select = magnitudeSelector(options);
  return {
    name: `gmp(${options.scope})`,
    updateEvery: options.pruneEvery,
    sparsityAt: (p, start, target) => gmpSparsity(p, start, target, options.rampFraction),
    select: (r: SelectionRequest) => select(r.tensors, r.sparsity),
  };
}
