/** Number and label formatting shared by the views and their hidden data tables. */

export function pct(v: number | null | undefined, digits = 1): string {
  return v === undefined || v === null || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(digits)}%`;
}

export function bytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

export function count(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—';
}

/**
 * Name of a level: `L1 95%` for sparse levels, `dense` for level K+1, `all weights` when the file has no
 * levels (foreign safetensors / TF.js models, levelCount 0).
 */
export function levelLabel(level: number, levelCount: number, targetSparsity?: number): string {
  if (levelCount === 0 || level === 0) return 'all weights';
  if (level === levelCount) return 'dense';
  if (targetSparsity === undefined) return `L${level}`;
  const whole = Math.abs(targetSparsity * 100 - Math.round(targetSparsity * 100)) < 1e-9;
  return `L${level} ${pct(targetSparsity, whole ? 0 : 1)}`;
}

/**
 * Name of a training phase, short enough for a chart mark: 0 = dense warm-up, k = 1..K trains level k (named as
 * the level is everywhere else, `L2 90%`), K+1 = the final dense phase.
 */
export function phaseLabel(phase: number, levelCount: number, targetSparsity?: number): string {
  if (phase === 0) return 'warm-up';
  if (levelCount > 0 && phase >= levelCount) return 'dense';
  return levelLabel(phase, Math.max(levelCount, phase + 1), targetSparsity);
}

/**
 * Short axis labels for layer names: the path segments every name shares at the start or the end
 * (`resnet/stage1/…/conv/kernel`) say nothing on an axis, so they are dropped; what is left is cut from the
 * left to `max` characters. Names stay distinct when they were (only shared segments are removed).
 */
export function shortLayerNames(names: readonly string[], max = 22): string[] {
  const parts = names.map((n) => n.split('/'));
  let head = 0;
  let tail = 0;
  if (names.length > 1) {
    const shortest = Math.min(...parts.map((p) => p.length));
    while (head < shortest - 1 && parts.every((p) => p[head] === parts[0][head])) head++;
    while (tail < shortest - 1 - head && parts.every((p) => p[p.length - 1 - tail] === parts[0][parts[0].length - 1 - tail])) tail++;
  }
  return parts.map((p) => {
    const name = p.slice(head, p.length - tail).join('/');
    return name.length <= max ? name : `…${name.slice(name.length - max + 1)}`;
  });
}
