/**
 * Number and label formatting shared by the views and their hidden data tables. The rules and the level /
 * phase words are src/protocol (format.ts, levels.ts), the same for the CLI and the extension; these are the
 * webview's short names for them.
 */
import { formatBytes, formatCount, formatPercent } from '../src/protocol/format';

export { levelLabel, phaseLabel } from '../src/protocol/levels';

/** A share 0..1 as `95.0 %`. */
export const pct = formatPercent;
/** A size as `1.50 KiB`. */
export const bytes = formatBytes;
/** A count as `1,234,567`. */
export const count = formatCount;

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
