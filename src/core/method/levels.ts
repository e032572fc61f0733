/**
 * Level codes (DESIGN §1): every sparsifiable weight carries code(w) in 1..K+1, the sparsest level that
 * contains it. The mask of level k is `code <= k`, so masks are nested by construction.
 */

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

/** Share of weights outside level k: measured sparsity of that level. */
export function codeSparsity(codes: Uint8Array, level: number): number {
  if (codes.length === 0) return 0;
  let outside = 0;
  for (let i = 0; i < codes.length; i++) if (codes[i] > level) outside++;
  return outside / codes.length;
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

/** Histogram of codes 1..levelCount as shares (sums to 1). */
export function codeShares(codes: Uint8Array, levelCount: number): number[] {
  const counts = new Array<number>(levelCount).fill(0);
  for (let i = 0; i < codes.length; i++) counts[codes[i] - 1]++;
  return counts.map((c) => (codes.length === 0 ? 0 : c / codes.length));
}

/**
 * Nesting check: codes are valid (1..K+1) and each level's measured sparsity does not increase with the
 * level index. With integer codes the masks are nested by construction; this verifies the data is sane.
 */
export function checkCodes(codes: Uint8Array, levelCount: number): { ok: boolean; problem?: string } {
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c < 1 || c > levelCount) return { ok: false, problem: `code ${c} at index ${i} is outside 1..${levelCount}` };
  }
  return { ok: true };
}

/** Mask of level k as 0/1 bytes. */
export function levelMask(codes: Uint8Array, level: number): Uint8Array {
  const out = new Uint8Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = codes[i] <= level ? 1 : 0;
  return out;
}

/** Measured sparsity of each level 1..levelCount in one tensor. */
export function levelSparsities(codes: Uint8Array, levelCount: number): number[] {
  const counts = new Array<number>(levelCount + 2).fill(0);
  for (let i = 0; i < codes.length; i++) counts[codes[i]]++;
  const out: number[] = [];
  let inside = 0;
  for (let k = 1; k <= levelCount; k++) {
    inside += counts[k];
    out.push(codes.length === 0 ? 0 : 1 - inside / codes.length);
  }
  return out;
}
