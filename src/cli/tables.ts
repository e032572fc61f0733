/** Plain-text tables for the terminal. */
import type { LevelInfo } from '../protocol/checkpoint';
import { alignTable } from '../core/io/inspectFormat';
import { formatPercent } from '../protocol/format';

/** Header, a rule of dashes, then the rows; one aligner for every table (core/io/inspectFormat.ts). */
export function textTable(header: string[], rows: string[][], alignRight: boolean[] = []): string {
  const [head, ...body] = alignTable([header, ...rows], header.map((_, i) => alignRight[i] ?? false));
  const widths = header.map((h) => h.length);
  for (const r of rows) for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i], (r[i] ?? '').length);
  return [head, widths.map((w) => '-'.repeat(w)).join('  '), ...body].join('\n');
}

/** A share in a terminal table: two decimals, `12.34 %` (the rule is src/protocol/format.ts). */
export const percent = (x: number | undefined, digits = 2) => formatPercent(x, digits);

export function levelsTable(levels: LevelInfo[]): string {
  return textTable(
    ['level', 'target', 'measured sparsity', 'test accuracy', 'test loss'],
    levels.map((l) => [
      l.dense ? `${l.index} (dense)` : String(l.index),
      percent(l.targetSparsity, 1),
      percent(l.sparsity),
      percent(l.metrics.accuracy),
      l.metrics.loss === undefined ? '–' : l.metrics.loss.toFixed(4),
    ]),
    [false, true, true, true, true],
  );
}
