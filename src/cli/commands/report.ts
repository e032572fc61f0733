/** `elsa report <run-dir>`: the accuracy-vs-sparsity table, ELSA vs independent vs dense, and storage. */
import { writeFileAtomic } from '../../core/io/atomic';
import { buildRunReport } from '../../core/report';
import { runPaths } from '../../core/run';
import type { RunReport } from '../../protocol/report';
import type { CommandSpec } from '../args';
import { stopIfAborted, trackOutputDir } from '../supervisor';
import { percent, textTable } from '../tables';

export const reportSpec: CommandSpec = {
  name: 'report',
  usage: 'report <run-dir>',
  summary: 'Accuracy against sparsity for ELSA, the independent baselines and the dense network, and the storage\neach needs. Writes report.json and report.md into the run folder.',
  options: { json: { type: 'boolean' } },
  help: ['--json              print the report as JSON'],
  minPositionals: 1,
  maxPositionals: 1,
};

const bytes = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

export function formatReport(r: RunReport, markdown = false): string {
  const header = ['level', 'target', 'ELSA sparsity', 'ELSA acc', 'independent sparsity', 'independent acc', 'Δ acc (ELSA − indep.)'];
  const rows = r.elsa.map((p) => {
    const ind = p.targetSparsity > 0 ? r.independent.find((q) => Math.abs(q.targetSparsity - p.targetSparsity) < 1e-9) : r.dense;
    const delta = ind ? `${((p.accuracy - ind.accuracy) * 100 >= 0 ? '+' : '')}${((p.accuracy - ind.accuracy) * 100).toFixed(2)} pt` : '–';
    return [p.targetSparsity > 0 ? String(p.level) : `${p.level} (dense)`, percent(p.targetSparsity, 1), percent(p.sparsity), percent(p.accuracy), ind ? percent(ind.sparsity) : '–', ind ? percent(ind.accuracy) : '–', delta];
  });
  const storage = r.storage.map((s) => [s.label, bytes(s.bytes)]);
  if (r.smallParamBytes) storage.splice(1, 0, ['  of which per-level small parameters', bytes(r.smallParamBytes)]);
  if (markdown) {
    const md = (h: string[], rs: string[][]) => [`| ${h.join(' | ')} |`, `|${h.map(() => '---').join('|')}|`, ...rs.map((x) => `| ${x.join(' | ')} |`)].join('\n');
    return [`# ELSA report: ${r.run}`, '', `Model ${r.model ?? '?'}, data ${r.dataset ?? '?'}, backend ${r.backend ?? '?'}.`, '', md(header, rows), '', '## Storage', '', md(['what', 'size'], storage), ''].join('\n');
  }
  return [
    `ELSA report: ${r.run}  (model ${r.model ?? '?'}, ${r.dataset ?? '?'}, backend ${r.backend ?? '?'})`,
    '',
    textTable(header, rows, [false, true, true, true, true, true, true]),
    r.dense ? `\nDense baseline: ${percent(r.dense.accuracy)} test accuracy` : '\n(no baselines yet: run `elsa baseline <config>` for the comparison)',
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
