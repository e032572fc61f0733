/** The inspection report as an aligned text table, for the terminal (`elsa inspect`) and the log. */
import type { InspectReport, TensorReport } from './inspect';
import { shortName } from './limits';
import { formatBytes, formatPercent } from '../../protocol/format';

const KIND_NAMES: Record<InspectReport['kind'], string> = {
  'elsa-checkpoint': 'ELSA checkpoint',
  safetensors: 'safetensors',
  'safetensors-sharded': 'sharded safetensors model',
  'elsa-sparse': 'ELSA sparse level',
  'tfjs-layers': 'TF.js Layers model',
};

/**
 * The report as JSON for `elsa inspect --json`. JSON has no Infinity or NaN (JSON.stringify writes null, which
 * reads as "no data"), so non-finite statistics are written as the strings "Infinity", "-Infinity" and "NaN".
 */
export function reportJson(report: InspectReport): string {
  return JSON.stringify(report, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2);
}

const pct = (x: number) => formatPercent(x);
const num = (x: number) => (Number.isNaN(x) ? '-' : !Number.isFinite(x) ? (x > 0 ? '+Inf' : '-Inf') : x === 0 ? '0' : Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toPrecision(4));
/** Integer tensors: min and max are integers and print as such (`-7`, not `-7.000`). */
const intNum = (x: number) => (Number.isFinite(x) && Math.abs(x) < 1e15 ? String(x) : num(x));
const INTEGER_DTYPES = new Set(['I64', 'I32', 'I16', 'I8', 'U32', 'U16', 'U8', 'BOOL', 'int32', 'bool']);
const int = (x: number) => x.toLocaleString('en-US');

/** Columns padded to their widest cell; numeric columns right-aligned. */
export function alignTable(rows: string[][], rightAligned: boolean[]): string[] {
  // Plain loops: spreading 200,000 widths into Math.max overflows the call stack.
  const widths: number[] = rows[0].map(() => 0);
  for (const r of rows) for (let c = 0; c < widths.length; c++) widths[c] = Math.max(widths[c], (r[c] ?? '').length);
  return rows.map((r) => widths.map((w, c) => (rightAligned[c] ? (r[c] ?? '').padStart(w) : (r[c] ?? '').padEnd(w))).join('  ').trimEnd());
}

/** The N:M column: the sparsest pattern every group satisfies, else the best share of 2:4 groups. */
function nmCell(t: TensorReport): string {
  const nm = t.stats?.nm;
  if (!nm) return '';
  const axis = (a: string) => (a === 'first' ? '↓' : '→');
  const sampled = t.stats?.sampled ? '~' : '';
  if (nm.holds) {
    const p = nm.patterns.find((q) => q.pattern === nm.holds)!;
    return `${p.pattern}${axis(p.axis)} all${sampled}`;
  }
  const p = nm.patterns.find((q) => q.pattern === '2:4') ?? nm.patterns[0];
  return `${p.pattern}${axis(p.axis)} ${pct(p.share)}${sampled}`;
}

function tensorRow(t: TensorReport, withLevels: boolean, withNans: boolean, withShards: boolean): string[] {
  const s = t.stats;
  const whole = INTEGER_DTYPES.has(t.dtype) ? intNum : num;
  const row = [
    shortName(t.name) + (t.role === 'weight' ? ' *' : ''),
    t.dtype + (t.encoding ? `/${t.encoding}` : ''),
    shortName(`[${t.shape.join(',')}]`, 40),
    int(t.params),
    formatBytes(t.bytes),
    s ? pct(s.zeroShare) + (s.sampled ? '~' : '') : '',
    s ? whole(s.min) : '',
    s ? whole(s.max) : '',
    s ? num(s.mean) : '',
    s ? num(s.std) : '',
    nmCell(t),
  ];
  if (withShards) row.push(shortName(t.shard ?? '', 60));
  if (withNans) row.push(s ? int(s.nans) : '');
  if (withLevels) row.push(t.levelSparsity ? t.levelSparsity.map(pct).join(' ') : '');
  return row;
}

export function formatInspectReport(report: InspectReport): string {
  const lines: string[] = [];
  lines.push(`${report.label}: ${KIND_NAMES[report.kind]}, ${formatBytes(report.fileSize)}, ${report.tensorCount} tensors, ${int(report.totalParams)} parameters`);
  for (const p of report.problems ?? []) lines.push(`NOT A VALID ELSA CHECKPOINT: ${p}`);
  const e = report.elsa;
  if (e) {
    lines.push(`levels: K=${e.targets.length}${e.kind ? `, ${e.kind} run` : ''}, codes ${e.packing} (${formatBytes(e.codeBytes)})` +
      (e.smallParamsMode ? `, small params ${e.smallParamsMode} (${formatBytes(e.levelParamBytes)})` : ''));
    if (e.levels.length) {
      const rows = [['level', 'target', 'sparsity', 'accuracy']];
      for (const l of e.levels) {
        rows.push([String(l.index) + (l.dense ? ' (dense)' : ''), pct(l.targetSparsity), pct(l.sparsity), l.accuracy === undefined ? '-' : pct(l.accuracy)]);
      }
      lines.push(...alignTable(rows, [false, true, true, true]).map((l) => `  ${l}`));
    } else {
      lines.push('  no finished levels yet');
    }
    if (e.training) lines.push(`training: ${e.training.status}, phase ${e.training.phase}, epoch ${e.training.epoch}, step ${e.training.step}`);
    if (e.provenance) {
      const p = e.provenance;
      lines.push(`provenance: ${p.tool} ${p.version}, backend ${p.backend}, ${p.createdAt}${p.dataset ? `, data ${p.dataset}` : ''}${p.seed !== undefined ? `, seed ${p.seed}` : ''}`);
    }
  } else if (report.sparse) {
    const s = report.sparse;
    const ratio = s.storedBytes ? s.denseF32Bytes / s.storedBytes : 0;
    lines.push(`sparse storage: ${formatBytes(s.storedBytes)} of tensors vs ${formatBytes(s.denseF32Bytes)} dense F32 (${ratio.toFixed(2)}x smaller)` +
      (s.source?.level !== undefined ? `, level ${s.source.level}` : '') + (s.source?.checkpoint ? ` of ${s.source.checkpoint}` : ''));
  } else {
    for (const [k, v] of Object.entries(report.metadata)) lines.push(`${shortName(k)}: ${v.replace(/\s+/g, ' ')}`);
  }
  const withLevels = report.tensors.some((t) => t.levelSparsity);
  const withNans = report.tensors.some((t) => (t.stats?.nans ?? 0) > 0);
  const withShards = report.tensors.some((t) => t.shard !== undefined);
  const head = ['tensor', 'dtype', 'shape', 'params', 'bytes', 'zeros', 'min', 'max', 'mean', 'std', 'N:M'];
  if (withShards) head.push('shard');
  if (withNans) head.push('NaN');
  if (withLevels) head.push('sparsity per level (1..K+1)');
  const rows = [head, ...report.tensors.map((t) => tensorRow(t, withLevels, withNans, withShards))];
  lines.push('', ...alignTable(rows, [false, false, false, true, true, true, true, true, true, true, false, ...(withShards ? [false] : []), ...(withNans ? [true] : []), false]));
  const notes: string[] = [];
  if (withLevels) notes.push('* sparsifiable weight (has level codes)');
  if (report.tensors.some((t) => t.stats?.nm)) {
    notes.push('N:M: "2:4→ all" = every group of 4 holds at most 2 nonzeros; else the share of 2:4 groups. → groups along the last axis (PyTorch [out, in…] fan-in), ↓ along the first axes (TF.js [… in, out] fan-in)');
  }
  if (report.tensors.some((t) => t.stats?.sampled)) notes.push('~ statistics from evenly spaced chunks of a large tensor (zeros and N:M too)');
  if (report.tensors.some((t) => t.stats && t.stats.nans > 0)) notes.push('NaN: elements that are NaN (min, max, mean and std leave them out)');
  if (notes.length) lines.push('', ...notes);
  return lines.join('\n');
}
