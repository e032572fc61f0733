/**
 * `elsa report <run-dir>`: the accuracy-vs-sparsity table — ELSA against the independent network trained as
 * many epochs as each ELSA level (strict) and the one trained one phase (cheap), and the dense network —
 * with the epochs behind every number, the test-set size and seed, and the storage each needs.
 */
import { writeFileAtomic } from '../../core/io/atomic';
import { buildRunReport } from '../../core/report';
import { runPaths } from '../../core/run';
import type { ReportPoint, RunReport } from '../../protocol/report';
import { accuracyUncertainty, describeUncertainty } from '../../protocol/uncertainty';
import type { CommandSpec } from '../args';
import { stopIfAborted, trackOutputDir } from '../supervisor';
import { percent, textTable } from '../tables';
import { formatBytes } from '../../protocol/format';

export const reportSpec: CommandSpec = {
  name: 'report',
  usage: 'report <run-dir>',
  summary:
    'Accuracy against sparsity for ELSA, the independent baselines (strict and cheap budget) and the dense network,\n' +
    'with the epochs behind each, and the storage each needs. Writes report.json and report.md into the run folder.',
  options: { json: { type: 'boolean' } },
  help: ['--json              print the report as JSON'],
  minPositionals: 1,
  maxPositionals: 1,
};

const bytes = formatBytes;
const pt = (d: number) => `${d >= 0 ? '+' : ''}${(d * 100).toFixed(2)} pt`;
const ep = (p: ReportPoint | undefined) => (p ? String(p.epochs) : '–');

export const REPORT_HEADER = ['level', 'target', 'sparsity', 'ELSA acc', 'epochs', 'indep. strict acc', 'epochs', 'Δ ELSA − strict', 'indep. cheap acc', 'epochs'];

/** One row per ELSA level; every accuracy is followed by the epochs behind it. */
export function reportRows(r: RunReport): string[][] {
  const K = r.elsa.filter((p) => p.targetSparsity > 0).length;
  return r.elsa.map((p) => {
    const dense = p.level > K;
    const strict = dense ? r.dense : r.independent.find((q) => q.level === p.level);
    const cheap = dense ? undefined : r.independentCheap.find((q) => q.level === p.level);
    return [
      dense ? `${p.level} (dense)` : String(p.level),
      percent(p.targetSparsity, 1),
      percent(p.sparsity),
      percent(p.accuracy),
      ep(p),
      strict ? percent(strict.accuracy) : '–',
      ep(strict),
      strict ? pt(p.accuracy - strict.accuracy) : '–',
      cheap ? percent(cheap.accuracy) : '–',
      ep(cheap),
    ];
  });
}

/** How far a single accuracy can move by the choice of test images, and what stands behind the table. */
export function reportPreamble(r: RunReport): string[] {
  const ref = r.elsa.at(-1)?.accuracy ?? 0.85;
  const u = accuracyUncertainty([ref], r.testCount);
  return [
    `Model ${r.model ?? '?'}, data ${r.dataset ?? '?'}, backend ${r.backend ?? '?'}; ${r.training ?? 'optimizer unknown'}.`,
    `Test set: ${r.testCount ?? '?'} images, seed ${r.seeds.join(', ') || '?'}: one accuracy is ${describeUncertainty(u, r.testCount)} at ${percent(ref, 1)}; a gap smaller than that is noise.`,
    'strict = the independent network trained as many epochs as the ELSA level has seen; cheap = one ELSA phase (warm-up + one phase). The dense row compares with the dense baseline.',
  ];
}

export function formatReport(r: RunReport, markdown = false): string {
  const rows = reportRows(r);
  const storage = r.storage.map((s) => [s.label, bytes(s.bytes)]);
  if (r.smallParamBytes) storage.splice(1, 0, ['  of which per-level small parameters', bytes(r.smallParamBytes)]);
  const notes = r.notes.map((n) => `Note: ${n}`);
  if (markdown) {
    const md = (h: string[], rs: string[][]) => [`| ${h.join(' | ')} |`, `|${h.map(() => '---').join('|')}|`, ...rs.map((x) => `| ${x.join(' | ')} |`)].join('\n');
    return [`# ELSA report: ${r.run}`, '', ...reportPreamble(r).flatMap((l) => [l, '']), md(REPORT_HEADER, rows), '', ...notes.flatMap((n) => [n, '']), '## Storage', '', md(['what', 'size'], storage), ''].join('\n');
  }
  return [
    `ELSA report: ${r.run}`,
    ...reportPreamble(r),
    '',
    textTable(REPORT_HEADER, rows, [false, true, true, true, true, true, true, true, true, true]),
    ...(notes.length ? ['', ...notes] : []),
    '',
    textTable(['storage', 'size'], storage, [false, true]),
  ].join('\n');
}

export async function runReportCommand(runDir: string, options: { json?: boolean }, signal?: AbortSignal): Promise<number> {
  const report = await buildRunReport(runDir);
  const paths = runPaths({ name: report.run, outDir: runDir });
  stopIfAborted(signal);
  trackOutputDir(paths.dir);
  await writeFileAtomic(paths.report, JSON.stringify(report, null, 2) + '\n');
  await writeFileAtomic(paths.reportMarkdown, formatReport(report, true));
  console.log(options.json ? JSON.stringify(report, null, 2) : formatReport(report));
  return 0;
}
