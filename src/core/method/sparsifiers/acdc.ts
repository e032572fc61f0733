/**
 * AC/DC (Peste et al. 2021): alternate compressed (masked to the target) and decompressed (all free weights
 * train) stretches, ending compressed. Here: a short dense start, then equal alternating stretches until
 * `rampFraction`, then compressed fine-tuning.
 */
import type { LayerTargets } from './layerTargets';
import { magnitudeSelector } from './select';
import type { SelectionRequest, Sparsifier } from './types';

export function acdcSparsity(progress: number, start: number, target: number, rampFraction: number): number {
  const warm = 0.1 * rampFraction;
  if (progress < warm) return start;
  if (progress >= rampFraction) return target;
  const stretch = (rampFraction - warm) / 5; // compressed, decompressed, compressed, decompressed, compressed
  const i = Math.floor((progress - warm) / stretch);
  return i % 2 === 0 ? target : start;
}

export function createAcdc(options: { scope: 'global' | 'layer'; rampFraction: number; layerTargets?: LayerTargets }): Sparsifier {
  const select = magnitudeSelector(options);
  return {
    name: `acdc(${options.scope})`,
    updateEvery: 1,
    sparsityAt: (p, start, target) => acdcSparsity(p, start, target, options.rampFraction),
    select: (r: SelectionRequest) => select(r.tensors, r.sparsity),
  };
}
