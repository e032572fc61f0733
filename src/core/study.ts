/**
 * Study results: per cell a record of its wall time and storage (`cell.json`), and over all cells the
 * summary `study.json` / `study.md` — mean ± spread over seeds per level per method (ELSA, independent at the
 * strict and the cheap budget, dense), with the epochs behind each (README "Studies").
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ReportPoint, RunReport } from '../protocol/report';
import { isRunReport } from '../protocol/report';
import { METHOD_LABELS, STUDY_FORMAT, type StudyCellStatus, type StudyGroup, type StudyMethod, type StudyPoint, type StudyStorage, type StudySummary } from '../protocol/study';
import { accuracyUncertainty, mean, sampleStd } from '../protocol/uncertainty';
import { runIdentity, portableConfig } from './config';
import { MAX_JSON_BYTES } from './io/limits';
import { readRegularFileSync } from './io/regularFile';
import { writeSafetensors } from './io/safetensors';
import { writeSparseLevel } from './io/sparseFormat';
import { extractLevel } from './method/extract';
import { describeTraining } from './report';
import { STUDY_TABLE_HEADER, studyRows } from '../protocol/studyTable';

export { formatStat, STUDY_TABLE_HEADER, studyRows } from '../protocol/studyTable';
import type { StudyCell, StudyConfig } from './studyConfig';
import { REPORT_FILE, STUDY_FILE, STUDY_MARKDOWN_FILE } from '../protocol/runFolder';
import { formatBytes, formatPercent } from '../protocol/format';

export interface CellRecord {
  format: 'elsa-study-cell/1';
  name: string;
  /** The cell's run config as stored in its checkpoints (a changed study reruns the cell). */
  identity: string;
  status: 'running' | 'complete';
  /** Wall seconds over all attempts that ended normally or by a signal (a hard kill loses its attempt's time). */
  seconds: { elsa: number; baselines: number };
  storage?: StudyStorage;
}

export const cellRecordPath = (cell: Pick<StudyCell, 'dir'>) => path.join(cell.dir, 'cell.json');
export const cellIdentity = (cell: StudyCell) => runIdentity(portableConfig(cell.config));

/**
 * A JSON file the study wrote into a cell folder (cell.json, report.json), read as any input is: a regular file
 * of bounded size. Throws on anything else; the callers treat that as "not there" (the cell is run again).
 */
function readStudyRecord(file: string): unknown {
  return JSON.parse(readRegularFileSync(file, { maxBytes: MAX_JSON_BYTES, what: 'a study record', fail: (problem) => new Error(`${file}: ${problem}`) }).toString('utf8'));
}

export function readCellRecord(cell: StudyCell): CellRecord | undefined {
  try {
    const r = readStudyRecord(cellRecordPath(cell)) as CellRecord;
    return r.format === 'elsa-study-cell/1' && r.identity === cellIdentity(cell) ? r : undefined;
  } catch {
    return undefined;
  }
}

export function readCellReport(cell: Pick<StudyCell, 'dir'>): RunReport | undefined {
  try {
    const r = readStudyRecord(path.join(cell.dir, REPORT_FILE));
    return isRunReport(r) ? r : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What keeping every network costs: the one ELSA checkpoint against the dense baseline + the K strict
 * independent networks, each written as plain safetensors and in the sparse-compressed export format.
 */
export async function measureStorage(cellDir: string, report: RunReport): Promise<StudyStorage> {
  const elsaFile = report.elsa[0]?.file;
  const separate = [...report.independent, ...(report.dense ? [report.dense] : [])].map((p) => p.file).filter((f): f is string => !!f);
  const tmp = mkdtempSync(path.join(cellDir, '.storage-'));
  try {
    let plain = 0;
    let sparse = 0;
    for (const [i, f] of separate.entries()) {
      const { weights } = await extractLevel(path.join(cellDir, f), 1);
      const a = path.join(tmp, `${i}.safetensors`);
      const b = path.join(tmp, `${i}.sparse.safetensors`);
      await writeSafetensors(a, weights);
      await writeSparseLevel(b, weights);
      plain += statSync(a).size;
      sparse += statSync(b).size;
    }
    return { elsaBytes: elsaFile ? statSync(path.join(cellDir, elsaFile)).size : 0, separatePlainBytes: plain, separateSparseBytes: sparse, networks: separate.length };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function aggregate(points: (ReportPoint | undefined)[], testCount: number | undefined): StudyPoint | undefined {
  const ps = points.filter((p): p is ReportPoint => p !== undefined && Number.isFinite(p.accuracy));
  if (!ps.length) return undefined;
  const u = accuracyUncertainty(ps.map((p) => p.accuracy), testCount);
  return {
    level: ps[0].level,
    targetSparsity: ps[0].targetSparsity,
    sparsity: mean(ps.map((p) => p.sparsity)),
    mean: u.value,
    std: sampleStd(ps.map((p) => p.accuracy)),
    low: u.low,
    high: u.high,
    interval: u.kind,
    n: ps.length,
    // Budgets are fixed by the study config, the same for every seed; the largest is the honest one to print.
    epochs: Math.max(...ps.map((p) => p.epochs)),
  };
}

const METHOD_POINTS: Record<StudyMethod, (r: RunReport, level: number) => ReportPoint | undefined> = {
  elsa: (r, k) => r.elsa.find((p) => p.level === k),
  'independent-strict': (r, k) => r.independent.find((p) => p.level === k),
  'independent-cheap': (r, k) => r.independentCheap.find((p) => p.level === k),
  dense: (r, k) => (r.dense?.level === k ? r.dense : undefined),
};

export interface CellState {
  cell: StudyCell;
  record?: CellRecord;
  report?: RunReport;
}

export function summarizeStudy(study: StudyConfig, states: CellState[]): StudySummary {
  const complete = states.filter((s) => s.record?.status === 'complete' && s.report);
  const first = complete[0]?.report;
  const testCount = first?.testCount;
  const groups: StudyGroup[] = [];
  const keys = [...new Set(states.map((s) => `${s.cell.model}-${s.cell.sparsifier}`))];
  for (const key of keys) {
    const done = complete.filter((s) => `${s.cell.model}-${s.cell.sparsifier}` === key);
    const any = states.find((s) => `${s.cell.model}-${s.cell.sparsifier}` === key) as CellState;
    const K = any.cell.config.levels.length;
    const series = (Object.keys(METHOD_POINTS) as StudyMethod[]).map((method) => ({
      method,
      points: Array.from({ length: K + 1 }, (_, i) => aggregate(done.map((s) => METHOD_POINTS[method](s.report as RunReport, i + 1)), testCount)).filter((p): p is StudyPoint => p !== undefined),
    }));
    const storages = done.map((s) => s.record?.storage).filter((x): x is StudyStorage => !!x);
    groups.push({
      key,
      model: any.cell.model,
      sparsifier: any.cell.sparsifier,
      levels: [...any.cell.config.levels],
      seeds: done.map((s) => s.cell.seed).sort((a, b) => a - b),
      series: series.filter((s) => s.points.length > 0),
      seconds: { elsa: mean(done.map((s) => s.record?.seconds.elsa ?? NaN)) || 0, baselines: mean(done.map((s) => s.record?.seconds.baselines ?? NaN)) || 0 },
      ...(storages.length ? { storage: storages[0] } : {}),
    });
  }
  const cells: StudyCellStatus[] = states.map((s) => ({
    name: s.cell.name,
    model: s.cell.model,
    sparsifier: s.cell.sparsifier,
    seed: s.cell.seed,
    status: s.record?.status === 'complete' && s.report ? 'complete' : 'pending',
    ...(s.record ? { seconds: s.record.seconds } : {}),
  }));
  const c0 = study.cells[0]?.config;
  return {
    format: STUDY_FORMAT,
    name: study.name,
    createdAt: new Date().toISOString(),
    dataset: first?.dataset,
    testCount,
    trainCount: first?.trainCount,
    levels: study.levels,
    epochs: c0 ? { ...c0.epochs } : { warmup: 0, perPhase: 0, dense: 0 },
    training: c0 ? describeTraining(c0) : undefined,
    seeds: study.seeds,
    groups,
    cells,
  };
}

const bytes = formatBytes;

export function studyMarkdown(s: StudySummary): string {
  const md = (h: string[], rs: string[][]) => [`| ${h.join(' | ')} |`, `|${h.map(() => '---').join('|')}|`, ...rs.map((x) => `| ${x.join(' | ')} |`)].join('\n');
  const e = s.epochs;
  const done = s.cells.filter((c) => c.status === 'complete').length;
  const out = [
    `# Study: ${s.name}`,
    '',
    `Data: ${s.dataset ?? '?'}; every accuracy is measured on ${s.testCount ?? '?'} test images. Seeds: ${s.seeds.join(', ')}. Levels: ${s.levels.map((x) => formatPercent(x)).join(', ')} + dense.`,
    '',
    `Training: ${s.training ?? '?'}; warm-up ${e.warmup}, ${e.perPhase} epochs per phase, dense phase ${e.dense}: ELSA's level k has seen ${e.warmup} + ${e.perPhase}·k epochs, its dense level (K + 1) ${e.warmup} + ${e.perPhase}·K + ${e.dense}.`,
    '',
    `Methods: ${(Object.keys(METHOD_LABELS) as StudyMethod[]).map((m) => METHOD_LABELS[m]).join('; ')}. strict = trained as many epochs as the ELSA level has seen; cheap = warm-up + one phase. Accuracies are mean ± sample std over the seeds; with one seed, (±x) is the 95 % binomial interval of the test-set size. Every accuracy is followed by the epochs behind it.`,
    '',
    `Cells complete: ${done} of ${s.cells.length}.`,
    '',
  ];
  for (const g of s.groups) {
    const K = g.levels.length;
    out.push(`## ${g.model} / ${g.sparsifier} (seeds ${g.seeds.join(', ') || 'none yet'})`, '');
    if (!g.seeds.length) {
      out.push('No complete cell yet.', '');
      continue;
    }
    out.push(md(STUDY_TABLE_HEADER, studyRows(g)), '');
    out.push(`Wall time per cell (mean): ELSA ${g.seconds.elsa.toFixed(0)} s for all ${K + 1} networks; baselines ${g.seconds.baselines.toFixed(0)} s (dense + strict and cheap independent networks).`, '');
    if (g.storage) {
      const st = g.storage;
      out.push(
        md(['storage', 'size'], [
          [`ELSA: one checkpoint, all ${K + 1} networks`, bytes(st.elsaBytes)],
          [`dense + ${st.networks - 1} independent, plain safetensors`, bytes(st.separatePlainBytes)],
          [`dense + ${st.networks - 1} independent, sparse-compressed`, bytes(st.separateSparseBytes)],
        ]),
        '',
      );
    }
  }
  out.push('## Cells', '', md(['cell', 'status', 'ELSA s', 'baselines s'], s.cells.map((c) => [c.name, c.status, c.seconds ? c.seconds.elsa.toFixed(0) : '–', c.seconds ? c.seconds.baselines.toFixed(0) : '–'])), '');
  return out.join('\n');
}

export function studyOutputs(dir: string) {
  return { json: path.join(dir, STUDY_FILE), markdown: path.join(dir, STUDY_MARKDOWN_FILE) };
}

export function isStudyDir(dir: string): boolean {
  return existsSync(studyOutputs(dir).json);
}
