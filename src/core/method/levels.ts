/**
 * Level codes (docs/architecture.md §1): every sparsifiable weight carries code(w) in 1..K+1, the sparsest level that
 * contains it. The mask of level k is `code <= k`, so masks are nested by construction.
 */

import type { ElsaMetadata } from '../../protocol/checkpoint';
import { formatTargetPercent } from '../../protocol/format';
import { checkpointError } from '../errors';

/** Level of a requested sparsity: exact level index `k` (1..K+1), or the level whose target is nearest `s` (0 <= s < 1). */
export function resolveLevel(request: number, targets: number[]): number {
  const denseLevel = targets.length + 1;
  if (Number.isInteger(request) && request >= 1) {
    if (request > denseLevel) throw new RangeError(`level ${request} does not exist (levels 1..${denseLevel}, ${denseLevel} = dense)`);
    return request;
  }
  if (request >= 0 && request < 1) {
    const all = [...targets, 0];
    let best = 0;
    for (let i = 1; i < all.length; i++) if (Math.abs(all[i] - request) < Math.abs(all[best] - request)) best = i;
    if (Math.abs(all[best] - request) > 0.005) {
      throw new RangeError(`no level with sparsity ${request} (targets: ${targets.join(', ')}, dense: 0)`);
    }
    return best + 1;
  }
  throw new RangeError(`level must be an index 1..${denseLevel} or a sparsity in [0, 1), got ${request}`);
}

/** Sparsity of level k over several tensors together (weights counted, not averaged per tensor). */
export function totalSparsity(codeTensors: Uint8Array[], level: number): number {
  let outside = 0;
  let total = 0;
  for (const codes of codeTensors) {
    for (let i = 0; i < codes.length; i++) if (codes[i] > level) outside++;
    total += codes.length;
  }
  return total === 0 ? 0 : outside / total;
}

/** Level by index (1..K+1) or by sparsity (a fraction in [0,1) matching one of the targets, 0 = dense). */
export function levelFromRequest(request: number, meta: ElsaMetadata, file: string): number {
  try {
    const level = resolveLevel(request, meta.targets);
    if (meta.kind === 'independent' && level > meta.targets.length) {
      throw new RangeError(`level ${level} does not exist: an independent baseline has one level (1, ${formatTargetPercent(meta.targets[0])} sparse)`);
    }
    if (!meta.levels.some((l) => l.index === level)) throw new RangeError(`level ${level} has not finished training in this checkpoint`);
    return level;
  } catch (e) {
    throw checkpointError(file, (e as Error).message);
  }
}
