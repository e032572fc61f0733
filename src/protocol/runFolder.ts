/**
 * The run-folder layout (docs/format.md, docs/architecture.md §2): the names of the files `elsa train`,
 * `elsa baseline`, `elsa report` and `elsa study` write, and how a file name tells what it is. The CLI, the
 * extension and the tests take them from here; pure string functions, so the webview bundle may use them too.
 *
 *   <outDir>/<name>.elsa.safetensors   the ELSA checkpoint (resumable while training)
 *   <outDir>/events.jsonl              the training event log (its presence makes a folder a run folder)
 *   <outDir>/report.json, report.md    ELSA vs independent vs dense, after `elsa report`
 *   <outDir>/baselines/                one checkpoint + events.jsonl per independent / dense network
 *   <outDir>/previous-<n>/             an older run moved aside by `train --fresh`
 *   <studyDir>/study.json, study.md    a study's summary (its presence makes a folder a study folder)
 *   <studyDir>/plots/                  the study's SVG plots
 */

/** The training event log of a run (one JSON event per line, src/protocol/events.ts). */
export const EVENTS_FILE = 'events.jsonl';
/** The comparison report of a run folder (src/protocol/report.ts) and its Markdown rendering. */
export const REPORT_FILE = 'report.json';
export const REPORT_MARKDOWN_FILE = 'report.md';
/** Where `elsa baseline` writes its networks, inside the run folder. */
export const BASELINES_DIR = 'baselines';
/** The summary of a study folder (src/protocol/study.ts) and its Markdown rendering. */
export const STUDY_FILE = 'study.json';
export const STUDY_MARKDOWN_FILE = 'study.md';
/** The study's SVG plots, inside the study folder. */
export const STUDY_PLOTS_DIR = 'plots';
/** Held in a study cell's folder while a process trains the cell (src/core/io/folderLock.ts). */
export const CELL_LOCK_FILE = 'cell.lock';
/** The folder `train --fresh` moves run n's files into. */
export const previousRunDir = (n: number): string => `previous-${n}`;

/** `NAME.elsa.safetensors`: an ELSA checkpoint (docs/format.md). */
export const CHECKPOINT_SUFFIX = '.elsa.safetensors';
export const SAFETENSORS_SUFFIX = '.safetensors';
/** A Hugging Face style sharded model: this index plus its shards opens as one model. */
export const SHARD_INDEX_SUFFIX = '.safetensors.index.json';
/** A run config. */
export const RUN_CONFIG_SUFFIX = '.elsa.json';
/** A TF.js Layers model: `model.json` or `NAME.model.json`. */
export const TFJS_MODEL_FILE = 'model.json';

/**
 * The weight file a TF.js model writes beside its model.json: `weights.bin` for `model.json` (as tfjs-node
 * names it), `NAME.weights.bin` for `NAME.model.json` or `NAME.json` — so two models saved into one folder
 * never share (and overwrite) one weight file.
 */
export function tfjsWeightsFileName(modelJsonPath: string): string {
  const name = baseName(modelJsonPath);
  if (name.toLowerCase() === TFJS_MODEL_FILE) return 'weights.bin';
  const stem = name.replace(/(\.model)?\.json$/i, '');
  return `${stem || 'model'}.weights.bin`;
}

/** The checkpoint file name of the run `name`. */
export const checkpointFileName = (name: string): string => `${name}${CHECKPOINT_SUFFIX}`;
/** The run config file name of the run `name`. */
export const runConfigFileName = (name: string): string => `${name}${RUN_CONFIG_SUFFIX}`;

/** The last path segment of a file path or URI path (either separator). */
function baseName(p: string): string {
  return p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);
}

/** An ELSA checkpoint (`*.elsa.safetensors`, any case), by path or name. */
export const isCheckpointFile = (p: string): boolean => p.toLowerCase().endsWith(CHECKPOINT_SUFFIX);
/** Any single-file safetensors (ELSA checkpoints included). */
export const isSafetensorsFile = (p: string): boolean => p.toLowerCase().endsWith(SAFETENSORS_SUFFIX);
/** The index of a sharded safetensors model. */
export const isShardIndexFile = (p: string): boolean => p.toLowerCase().endsWith(SHARD_INDEX_SUFFIX);
/** A TF.js Layers model file. */
export const isTfjsModelFile = (p: string): boolean => {
  const name = baseName(p).toLowerCase();
  return name === TFJS_MODEL_FILE || name.endsWith(`.${TFJS_MODEL_FILE}`);
};
/** A run's event log: the file that makes its folder a run folder. */
export const isEventsFile = (p: string): boolean => baseName(p).toLowerCase() === EVENTS_FILE;
/** A study's summary: the file that makes its folder a study folder. */
export const isStudyFile = (p: string): boolean => baseName(p).toLowerCase() === STUDY_FILE;
/** A run's report.json. */
export const isReportFile = (p: string): boolean => baseName(p) === REPORT_FILE;

/**
 * Every file the Checkpoints view lists (the default of the `elsa.checkpointGlob` setting in package.json,
 * which a test keeps equal to this).
 */
export const ARTIFACT_GLOB = `**/{*${SAFETENSORS_SUFFIX},*${SHARD_INDEX_SUFFIX},${EVENTS_FILE},${STUDY_FILE},${TFJS_MODEL_FILE},*.${TFJS_MODEL_FILE}}`;
