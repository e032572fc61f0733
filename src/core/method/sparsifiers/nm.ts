/**
 * N:M structured sparsity (e.g. 2:4): in every group of M consecutive fan-in weights, N stay. A level of
 * sparsity s keeps N = (1 - s)·M; nested levels add weights inside the same groups. Like one-shot magnitude,
 * the free weights train densely for `rampFraction` of the phase before the one selection, so that the N
 * kept per group are the largest trained ones, not the first ones by index (docs/method.md).
 */
import { oneShotSparsity } from './magnitude';
import { selectNM } from './select';
import type { SelectionRequest, Sparsifier } from './types';

export function createNM(options: { m: number; rampFraction: number }): Sparsifier {
  return {
    name: `nm(m=${options.m})`,
    updateEvery: 1,
    sparsityAt: (p, start, target) => oneShotSparsity(p, start, target, options.rampFraction),
    select: (r: SelectionRequest) => {
      const n = Math.round((1 - r.sparsity) * options.m);
      if (n >= options.m) return r.tensors.map((t) => new Uint8Array(t.values.length).fill(1));
      return selectNM(r.tensors, n, options.m);
    },
  };
}
