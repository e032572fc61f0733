/** One-shot magnitude pruning: the target mask from the first step of a phase, then fine-tuning. */
import { selectMagnitude } from './select';
import type { SelectionRequest, Sparsifier } from './types';

export function createOneShotMagnitude(options: { scope: 'global' | 'layer' }): Sparsifier {
  return {
    name: `magnitude(${options.scope})`,
    updateEvery: Number.POSITIVE_INFINITY,
    sparsityAt: (_p, _start, target) => target,
    select: (r: SelectionRequest) => selectMagnitude(r.tensors, r.sparsity, options.scope),
  };
}
