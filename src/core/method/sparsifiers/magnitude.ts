/**
 * One-shot magnitude pruning, per phase: the free weights first train densely for `rampFraction` of the phase,
 * then the target mask is chosen once by magnitude, and the rest of the phase fine-tunes it.
 *
 * Selecting at the start of a phase would be wrong after phase 1: the free weights are exactly the ones the
 * previous phase pruned to +0, so the ranking would be a tie broken by array index (docs/method.md).
 */
import type { LayerTargets } from './layerTargets';
import { magnitudeSelector } from './select';
import type { SelectionRequest, Sparsifier } from './types';

/** Sparsity of a one-shot schedule: `start` until `rampFraction` of the phase, `target` from there on. */
export function oneShotSparsity(progress: number, start: number, target: number, rampFraction: number): number {
  return progress < rampFraction ? start : target;
}

export function createOneShotMagnitude(options: { scope: 'global' | 'layer'; rampFraction: number; layerTargets?: LayerTargets }): Sparsifier {
  const select = magnitudeSelector(options);
  return {
    name: `magnitude(${options.scope})`,
    // Asked every step; the trainer selects only when the answer changes, i.e. once.
    updateEvery: 1,
    sparsityAt: (p, start, target) => oneShotSparsity(p, start, target, options.rampFraction),
    select: (r: SelectionRequest) => select(r.tensors, r.sparsity),
  };
}
