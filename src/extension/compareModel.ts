/**
 * "Compare Checkpoints" as a Markdown table (pure, unit-tested): for each checkpoint its levels' sparsity and
 * accuracy, side by side, matched by target sparsity, plus size and kind.
 */
import type { ElsaMetadata } from '../protocol/checkpoint';
import { formatBytes, formatPercent } from '../protocol/format';

export interface CompareEntry {
  name: string;
  fileSize: number;
  meta?: ElsaMetadata;
  error?: string;
}

const pct = (x: number | undefined) => formatPercent(x);
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Rows keyed by target sparsity (rounded to 0.1 %), densest last; one column per checkpoint. */
export function compareMarkdown(entries: readonly CompareEntry[]): string {
  const targets = new Set<number>();
  for (const e of entries) for (const lv of e.meta?.levels ?? []) targets.add(keyOf(lv.dense ? 0 : lv.targetSparsity));
  const rows = [...targets].sort((a, b) => b - a);
  const lines: string[] = ['# ELSA: checkpoint comparison', ''];
  lines.push(`| Target sparsity | ${entries.map((e) => cell(e.name)).join(' | ')} |`);
  lines.push(`| --- | ${entries.map(() => '---').join(' | ')} |`);
  for (const t of rows) {
    const cells = entries.map((e) => {
      const lv = e.meta?.levels.find((l) => keyOf(l.dense ? 0 : l.targetSparsity) === t);
      if (!lv) return '';
      return `L${lv.index}: ${pct(lv.sparsity)} sparse, acc ${pct(lv.metrics?.accuracy)}`;
    });
    lines.push(`| ${t === 0 ? 'dense' : pct(t / 1000)} | ${cells.join(' | ')} |`);
  }
  lines.push(`| kind | ${entries.map((e) => (e.error ? 'unreadable' : e.meta ? (e.meta.kind ?? 'elsa') : 'plain safetensors')).join(' | ')} |`);
  lines.push(`| size | ${entries.map((e) => formatBytes(e.fileSize)).join(' | ')} |`);
  const errors = entries.filter((e) => e.error);
  if (errors.length > 0) {
    lines.push('', ...errors.map((e) => `- ${cell(e.name)}: ${cell(e.error!)}`));
  }
  lines.push('');
  return lines.join('\n');
}

const keyOf = (s: number) => Math.round(s * 1000);
