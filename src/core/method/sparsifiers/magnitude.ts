/** One-shot magnitude pruning: the target mask from the first step of a phase, then fine-tuning. */
import type { LayerTargets } from './layerTargets';
import { magnitudeSelector } from './select';
import type { SelectionRequest, Sparsifier } from './types';

export function createOneShotMagnitude(options: { scope: 'global' | 'layer'; layerTargets?: LayerTargets }): Sparsifier {
  const select = magnitudeSelector(options);
  return {
    name: `magnitude(${options.scope})`,
    updateEvery: Number.POSITIVE_INFINITY,
    sparsityAt: (_p, _start, target) => target,
    select: (r: SelectionRequest) => select(r.tensors, r.sparsity),
  };
}
