/**
 * `elsa study <study.json>`: ELSA against its baselines over a grid of architectures × sparsifiers × seeds.
 * One folder per cell (`<outDir>/<model>-<sparsifier>-s<seed>/`, an ordinary run folder with its own config,
 * checkpoint, baselines and report); a finished cell is skipped and an interrupted one continues from its
 * last epoch (the resume of `train` and `baseline`). After every cell, study.json, study.md and the SVG
 * plots in plots/ are rewritten, so a study cut short still shows everything done so far.
 * `elsa study --plot <study-dir>` renders the plots again from study.json.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { withBackend } from '../../core/config';
import { configError, isElsaError } from '../../core/errors';
import { writeFileAtomic } from '../../core/io/atomic';
import { buildRunReport } from '../../core/report';
import { runPaths } from '../../core/run';
import {
  cellIdentity, cellRecordPath, measureStorage, readCellRecord, readCellReport, studyMarkdown, studyOutputs, STUDY_TABLE_HEADER, studyRows, summarizeStudy,
  type CellRecord, type CellState,
} from '../../core/study';
import { loadStudyConfig, type StudyConfig } from '../../core/studyConfig';
import { studyGroupSvg } from '../../core/studyPlot';
import { isStudySummary, type StudySummary } from '../../protocol/study';
import type { CommandSpec } from '../args';
import { textTable } from '../tables';
import { runBaselines } from './baseline';
import { formatReport } from './report';
import { runTraining } from './train';
import { runConfigFileName, STUDY_PLOTS_DIR } from '../../protocol/runFolder';

export const studySpec: CommandSpec = {
  name: 'study',
  usage: 'study <study.json> | study --plot <study-dir>',
  summary:
    'Run a study: for every architecture × sparsifier × seed, train ELSA and its baselines (dense, and independent\n' +
    'networks at the strict and the cheap budget) in <outDir>/<model>-<sparsifier>-s<seed>/, then write\n' +
    'study.json, study.md and plots/*.svg (accuracy vs sparsity, mean ± spread over seeds) into <outDir>.\n' +
    'Finished cells are skipped; an interrupted cell continues from its last epoch when started again.',
  options: { backend: { type: 'string' }, plot: { type: 'boolean' } },
  help: ['--backend <name>    auto | node | wasm | cpu (overrides the study)', '--plot              only render plots/*.svg from <study-dir>/study.json (or a study file\'s folder)'],
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

export async function runStudy(file: string, options: { backend?: string; signal: AbortSignal }): Promise<number> {
  const loaded = loadStudyConfig(file);
  const study: StudyConfig = { ...loaded, cells: loaded.cells.map((c) => ({ ...c, config: withBackend(c.config, options.backend) })) };
  mkdirSync(study.outDir, { recursive: true });
  await writeSummary(study);
  const total = study.cells.length;
  console.log(`Study "${study.name}": ${total} cells in ${study.outDir}`);
  for (const [i, cell] of study.cells.entries()) {
    if (options.signal.aborted) break;
    const prior = readCellRecord(cell);
    if (prior?.status === 'complete' && readCellReport(cell)) {
      console.log(`[${i + 1}/${total}] ${cell.name}: complete, skipped`);
      continue;
    }
    console.log(`[${i + 1}/${total}] ${cell.name}`);
    mkdirSync(cell.dir, { recursive: true });
    const cellConfig = path.join(cell.dir, runConfigFileName(cell.name));
    const text = JSON.stringify(cell.file, null, 2) + '\n';
    if (!existsSync(cellConfig) || readFileSync(cellConfig, 'utf8') !== text) await writeFileAtomic(cellConfig, text);
    const record: CellRecord = { format: 'elsa-study-cell/1', name: cell.name, identity: cellIdentity(cell), status: 'running', seconds: prior?.seconds ?? { elsa: 0, baselines: 0 } };
    let t = Date.now();
    const elsa = await runTraining(cell.config, { signal: options.signal }).catch((e: unknown) => {
      // `train` would suggest --fresh; a study keeps finished work, so say what to delete instead.
      if (isElsaError(e) && /different config/.test(e.problem)) {
        throw configError(e.file, `was trained with another config than ${path.basename(study.file)} now gives cell ${cell.name}; delete ${cell.dir} to retrain this cell`);
      }
      throw e;
    });
    record.seconds.elsa += (Date.now() - t) / 1000;
    if (elsa !== 0) {
      await saveRecord(record, cell.dir);
      break;
    }
    t = Date.now();
    const baselines = await runBaselines(cell.config, { signal: options.signal });
    record.seconds.baselines += (Date.now() - t) / 1000;
    if (baselines !== 0) {
      await saveRecord(record, cell.dir);
      break;
    }
    const report = await buildRunReport(cell.dir);
    const paths = runPaths(cell.config);
    await writeFileAtomic(paths.report, JSON.stringify(report, null, 2) + '\n');
    await writeFileAtomic(paths.reportMarkdown, formatReport(report, true));
    record.storage = await measureStorage(cell.dir, report);
    record.status = 'complete';
    await saveRecord(record, cell.dir);
    await writeSummary(study);
  }
  const summary = await writeSummary(study);
  const out = studyOutputs(study.outDir);
  for (const g of summary.groups.filter((x) => x.seeds.length)) {
    console.log(`\n${g.model} / ${g.sparsifier}, seeds ${g.seeds.join(', ')} (accuracy %, mean ± std over seeds; one seed: ±95 % binomial)`);
    console.log(textTable(STUDY_TABLE_HEADER, studyRows(g), [false, true, true, true, true, true, true, true, true, true]));
  }
  const done = summary.cells.filter((c) => c.status === 'complete').length;
  console.log(`\n${done} of ${total} cells complete. ${out.markdown}\n${out.json}`);
  if (done < total) {
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
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(json, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw configError(json, code === 'ENOENT' ? 'no study.json here; run `elsa study <study.json>` first' : `unreadable (${(e as Error).message})`);
  }
  if (!isStudySummary(value)) throw configError(json, 'not a study summary (format elsa-study/1)');
  const written = await writeStudyPlots(dir, value);
  for (const f of written) console.log(`wrote ${f}`);
  if (!written.length) console.log('No complete cell yet: nothing to plot.');
  return 0;
}

export async function runStudyCommand(target: string, options: { backend?: string; plot?: boolean; signal: AbortSignal }): Promise<number> {
  return options.plot ? plotStudy(target) : runStudy(target, options);
}
