/** Plain-text tables for the terminal. */
import type { LevelInfo } from '../core/contract';

export function textTable(header: string[], rows: string[][], alignRight: boolean[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (alignRight[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const percent = (x: number | undefined, digits = 2) => (x === undefined || Number.isNaN(x) ? '–' : `${(x * 100).toFixed(digits)} %`);

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
