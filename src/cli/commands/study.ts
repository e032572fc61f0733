/**
 * `elsa study <study.json>`: ELSA against its baselines over a grid of architectures × sparsifiers × seeds.
 * One folder per cell (`<outDir>/<model>-<sparsifier>-s<seed>/`, an ordinary run folder with its own config,
 * checkpoint, baselines and report); a finished cell is skipped and an interrupted one continues from its
 * last epoch (the resume of `train` and `baseline`). After every cell, study.json, study.md and the SVG
 * plots in plots/ are rewritten, so a study cut short still shows everything done so far.
 * `elsa study --plot <study-dir>` renders the plots again from study.json.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { MAX_CONFIG_BYTES, withBackend } from '../../core/config';
import { configError, isElsaError, usageError } from '../../core/errors';
import { acquireFolderLock } from '../../core/io/folderLock';
import { writeFileAtomic } from '../../core/io/atomic';
import { MAX_JSON_BYTES } from '../../core/io/limits';
import { readRegularFileSync } from '../../core/io/regularFile';
import { buildRunReport } from '../../core/report';
import { runPaths } from '../../core/run';
import {
  cellIdentity, cellRecordPath, measureStorage, readCellRecord, readCellReport, studyMarkdown, studyOutputs, STUDY_TABLE_HEADER, studyRows, summarizeStudy,
  type CellRecord, type CellState,
} from '../../core/study';
import { loadStudyConfig, type StudyCell, type StudyConfig } from '../../core/studyConfig';
import { studyGroupSvg } from '../../core/studyPlot';
import { isStudySummary, type StudySummary } from '../../protocol/study';
import { numberOption, type CommandSpec, type Parsed } from '../args';
import { textTable } from '../tables';
import { runBaselines } from './baseline';
import { formatReport } from './report';
import { cellJobArgs, runCellJobs } from './studyJobs';
import { runTraining } from './train';
import { CELL_LOCK_FILE, runConfigFileName, STUDY_PLOTS_DIR } from '../../protocol/runFolder';

export const studySpec: CommandSpec = {
  name: 'study',
  usage: 'study <study.json> | study --plot <study-dir>',
  summary:
    'Run a study: for every architecture × sparsifier × seed, train ELSA and its baselines (dense, and independent\n' +
    'networks at the strict and the cheap budget) in <outDir>/<model>-<sparsifier>-s<seed>/, then write\n' +
    'study.json, study.md and plots/*.svg (accuracy vs sparsity, mean ± spread over seeds) into <outDir>.\n' +
    'Finished cells are skipped; an interrupted cell continues from its last epoch when started again.',
  options: { backend: { type: 'string' }, plot: { type: 'boolean' }, jobs: { type: 'string' }, cells: { type: 'string' } },
  help: [
    '--backend <name>    auto | node | wasm | cpu (overrides the study)',
    '--jobs <n>          train up to n cells at once, each in its own process (default 1; one core each)',
    '--cells <names>     only these cells (comma-separated names, e.g. cnn-gmp-s2); the summary still covers all',
    '--plot              only render plots/*.svg from <study-dir>/study.json (or a study file\'s folder)',
  ],
  minPositionals: 1,
  maxPositionals: 1,
};

/** The group plots of a summary, written next to study.json. */
export async function writeStudyPlots(dir: string, summary: StudySummary): Promise<string[]> {
  const plots = path.join(dir, STUDY_PLOTS_DIR);
  mkdirSync(plots, { recursive: true });
  const written: string[] = [];
  for (const g of summary.groups.filter((x) => x.seeds.length > 0)) {
    const file = path.join(plots, `${g.key}.svg`);
    await writeFileAtomic(file, studyGroupSvg(summary, g));
    written.push(file);
  }
  return written;
}

async function writeSummary(study: StudyConfig): Promise<StudySummary> {
  const states: CellState[] = study.cells.map((cell) => ({ cell, record: readCellRecord(cell), report: readCellReport(cell) }));
  const summary = summarizeStudy(study, states);
  const out = studyOutputs(study.outDir);
  await writeFileAtomic(out.json, JSON.stringify(summary, null, 2) + '\n');
  await writeFileAtomic(out.markdown, studyMarkdown(summary));
  await writeStudyPlots(study.outDir, summary);
  return summary;
}

async function saveRecord(record: CellRecord, dir: string) {
  await writeFileAtomic(cellRecordPath({ dir }), JSON.stringify(record, null, 2) + '\n');
}

export interface StudyOptions {
  backend?: string;
  /** Cells trained at once, each in a child process (1: in this process, one after the other). */
  jobs?: number;
  /** Only these cells (names); the summary still covers every cell of the study. */
  cells?: string[];
  signal: AbortSignal;
}

/** The cells of `summary` (which read every record and report) not yet complete, among `cells`. */
function incomplete(summary: StudySummary, cells: StudyCell[]): StudyCell[] {
  const done = new Set(summary.cells.filter((c) => c.status === 'complete').map((c) => c.name));
  return cells.filter((c) => !done.has(c.name));
}

/** The `--cells` selection, in study order; an unknown name is a usage error listing the study's cells. */
export function selectCells(study: StudyConfig, names: string[] | undefined): StudyCell[] {
  if (!names) return study.cells;
  const known = new Set(study.cells.map((c) => c.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) throw usageError(`study: no cell ${unknown.map((n) => JSON.stringify(n)).join(', ')} in ${path.basename(study.file)} (its cells: ${study.cells.map((c) => c.name).join(', ')})`);
  return study.cells.filter((c) => names.includes(c.name));
}

export async function runStudy(file: string, options: StudyOptions): Promise<number> {
  const loaded = loadStudyConfig(file);
  const study: StudyConfig = { ...loaded, cells: loaded.cells.map((c) => ({ ...c, config: withBackend(c.config, options.backend) })) };
  const selected = selectCells(study, options.cells);
  const jobs = options.jobs ?? 1;
  mkdirSync(study.outDir, { recursive: true });
  const before = await writeSummary(study);
  const total = study.cells.length;
  const which = selected.length < total ? ` (running ${selected.length}: ${selected.map((c) => c.name).join(', ')})` : '';
  console.log(`Study "${study.name}": ${total} cells in ${study.outDir}${which}`);
  const tag = (cell: StudyCell) => `[${study.cells.indexOf(cell) + 1}/${total}] ${cell.name}`;
  const pending = incomplete(before, selected);
  for (const c of selected.filter((x) => !pending.includes(x))) console.log(`${tag(c)}: complete, skipped`);
  if (jobs > 1) return runStudyJobs(study, selected, pending, jobs, options);
  for (const cell of pending) {
    if (options.signal.aborted) break;
    console.log(tag(cell));
    mkdirSync(cell.dir, { recursive: true });
    const release = acquireFolderLock(path.join(cell.dir, CELL_LOCK_FILE), `cell ${cell.name}`);
    try {
      if (!(await runCell(study, cell, options.signal))) break;
    } finally {
      release();
    }
  }
  return finishStudy(study, selected);
}

/** A cell's own config file as it is now; undefined when it is missing or not a small regular file (it is rewritten). */
function currentText(file: string): string | undefined {
  try {
    return readRegularFileSync(file, { maxBytes: MAX_CONFIG_BYTES, what: 'a run config', fail: (problem) => new Error(problem) }).toString('utf8');
  } catch {
    return undefined;
  }
}

/** Trains one cell (ELSA, then its baselines) and records it; false when it stopped before the end. */
async function runCell(study: StudyConfig, cell: StudyCell, signal: AbortSignal): Promise<boolean> {
  const prior = readCellRecord(cell);
  const cellConfig = path.join(cell.dir, runConfigFileName(cell.name));
  const text = JSON.stringify(cell.file, null, 2) + '\n';
  if (currentText(cellConfig) !== text) await writeFileAtomic(cellConfig, text);
  const record: CellRecord = { format: 'elsa-study-cell/1', name: cell.name, identity: cellIdentity(cell), status: 'running', seconds: prior?.seconds ?? { elsa: 0, baselines: 0 } };
  let t = Date.now();
  const elsa = await runTraining(cell.config, { signal }).catch((e: unknown) => {
    // `train` would suggest --fresh; a study keeps finished work, so say what to delete instead.
    if (isElsaError(e) && /different config/.test(e.problem)) {
      throw configError(e.file, `was trained with another config than ${path.basename(study.file)} now gives cell ${cell.name}; delete ${cell.dir} to retrain this cell`);
    }
    throw e;
  });
  record.seconds.elsa += (Date.now() - t) / 1000;
  // Saved now, not only at the end: a cell whose baselines are then hard-killed keeps ELSA's wall time (it
  // used to show "ELSA 0 s" once resumed, though ELSA had trained for minutes in the killed attempt).
  await saveRecord(record, cell.dir);
  if (elsa !== 0) return false;
  t = Date.now();
  const baselines = await runBaselines(cell.config, { signal });
  record.seconds.baselines += (Date.now() - t) / 1000;
  if (baselines !== 0) {
    await saveRecord(record, cell.dir);
    return false;
  }
  const report = await buildRunReport(cell.dir);
  const paths = runPaths(cell.config);
  await writeFileAtomic(paths.report, JSON.stringify(report, null, 2) + '\n');
  await writeFileAtomic(paths.reportMarkdown, formatReport(report, true));
  record.storage = await measureStorage(cell.dir, report);
  record.status = 'complete';
  await saveRecord(record, cell.dir);
  await writeSummary(study);
  return true;
}

/** `--jobs n`: the pending cells, n at a time in child processes. */
async function runStudyJobs(study: StudyConfig, selected: StudyCell[], pending: StudyCell[], jobs: number, options: StudyOptions): Promise<number> {
  const results = pending.length ? await runCellJobs(pending, jobs, (cell) => cellJobArgs(__filename, study.file, cell.name, options.backend), options.signal) : [];
  const failed = results.filter((r) => r.code !== 0 && r.code !== 130);
  const code = await finishStudy(study, selected);
  if (failed.length) {
    for (const r of failed) console.error(r.error ?? `Error: cell ${r.cell} failed (exit ${r.code})`);
    return 1;
  }
  return code;
}

/** The summary from every cell on disk, the tables on the terminal, and the exit code for the selected cells. */
async function finishStudy(study: StudyConfig, selected: StudyCell[]): Promise<number> {
  const summary = await writeSummary(study);
  const out = studyOutputs(study.outDir);
  for (const g of summary.groups.filter((x) => x.seeds.length)) {
    console.log(`\n${g.model} / ${g.sparsifier}, seeds ${g.seeds.join(', ')} (accuracy %, mean ± std over seeds; one seed: ±95 % binomial)`);
    console.log(textTable(STUDY_TABLE_HEADER, studyRows(g), [false, true, true, true, true, true, true, true, true, true]));
  }
  const done = summary.cells.filter((c) => c.status === 'complete').length;
  console.log(`\n${done} of ${study.cells.length} cells complete. ${out.markdown}\n${out.json}`);
  if (incomplete(summary, selected).length) {
    console.log('Stopped before the end: run the same command to continue.');
    return 130;
  }
  return 0;
}

/** `--plot`: the SVGs of an existing study folder (or of a study file's output folder). */
export async function plotStudy(target: string): Promise<number> {
  let dir = target;
  if (existsSync(target) && statSync(target).isFile()) dir = loadStudyConfig(target).outDir;
  const json = studyOutputs(dir).json;
  const text = readRegularFileSync(json, {
    maxBytes: MAX_JSON_BYTES,
    what: 'a study summary',
    fail: (problem) => configError(json, problem === 'file not found' ? 'no study.json here; run `elsa study <study.json>` first' : problem),
  }).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw configError(json, `unreadable (${(e as Error).message})`);
  }
  if (!isStudySummary(value)) throw configError(json, 'not a study summary (format elsa-study/1)');
  const written = await writeStudyPlots(dir, value);
  for (const f of written) console.log(`wrote ${f}`);
  if (!written.length) console.log('No complete cell yet: nothing to plot.');
  return 0;
}

const MAX_JOBS = 64;

/** `--jobs` and `--cells` as given on the command line. */
export function parseStudyOptions(values: Parsed['values']): Pick<StudyOptions, 'jobs' | 'cells'> {
  const jobs = numberOption(values, 'jobs');
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1 || jobs > MAX_JOBS)) throw usageError(`study: --jobs must be a whole number from 1 to ${MAX_JOBS}, got ${String(values.jobs)}`);
  const cells = typeof values.cells === 'string' ? values.cells.split(',').map((c) => c.trim()).filter(Boolean) : undefined;
  if (cells && !cells.length) throw usageError('study: --cells needs at least one cell name');
  return { ...(jobs !== undefined ? { jobs } : {}), ...(cells ? { cells } : {}) };
}


export async function runStudyCommand(target: string, options: { backend?: string; plot?: boolean; values?: Parsed['values']; signal: AbortSignal }): Promise<number> {
  if (options.plot) {
    for (const o of ['jobs', 'cells', 'backend']) if (options.values?.[o] !== undefined) throw usageError(`study: --${o} applies to running a study, not to --plot`);
    return plotStudy(target);
  }
  return runStudy(target, { backend: options.backend, signal: options.signal, ...(options.values ? parseStudyOptions(options.values) : {}) });
}
