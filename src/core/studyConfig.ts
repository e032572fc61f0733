/**
 * Study files (`*.study.json`): a grid of ELSA runs. Validated with schemas/elsa-study.schema.json for its
 * shape, then every cell is built as a run config and validated like any run config, so a bad value anywhere
 * stops the study before the first epoch, with one line naming the study file.
 */
import Ajv from 'ajv';
import path from 'node:path';
import studySchema from '../../schemas/elsa-study.schema.json';
import { resolveRunConfig, type RunConfig } from './config';
import { configError, isElsaError } from './errors';
import { readRegularFileSync } from './io/regularFile';
import { parseJsonc } from './jsonc';

export { studySchema };

export interface StudyCell {
  /** `<model>-<sparsifier>-s<seed>`: also the cell's folder and run name. */
  name: string;
  model: string;
  sparsifier: string;
  seed: number;
  dir: string;
  /** The cell's run config (outDir = its folder). */
  config: RunConfig;
  /** The same config as written to `<dir>/<name>.elsa.json`, so a cell can be rerun by hand. */
  file: Record<string, unknown>;
}

export interface StudyConfig {
  name: string;
  /** Absolute study folder. */
  outDir: string;
  /** The study file. */
  file: string;
  levels: number[];
  seeds: number[];
  cells: StudyCell[];
}

type RawSparsifier = { type: string; label?: string; [k: string]: unknown };
interface RawStudy {
  name: string;
  outDir?: string;
  base: Record<string, unknown> & { levels: number[]; data?: { path?: string } };
  models: string[];
  sparsifiers: RawSparsifier[];
  seeds: number[];
  extraGrids?: { models: string[]; sparsifiers: RawSparsifier[]; levels?: number[] }[];
}

let validator: ReturnType<Ajv['compile']> | undefined;
function studyProblems(value: unknown): string[] {
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(studySchema);
  if (validator(value)) return [];
  const out = new Set<string>();
  for (const e of validator.errors ?? []) {
    let msg = `${e.instancePath || '(top level)'} ${e.message ?? 'is invalid'}`;
    if (e.keyword === 'additionalProperties') msg = `${e.instancePath || '(top level)'} has unknown property "${String(e.params.additionalProperty)}"`;
    if (e.keyword === 'enum') msg += ` (${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')})`;
    out.add(msg);
  }
  return [...out];
}

/**
 * Cells in one study. Each cell trains ELSA and its baselines (minutes to hours); a file asking for more is a
 * mistake, and expanding, validating and tracking it would take memory and time before any training starts.
 */
export const MAX_STUDY_CELLS = 1000;

export function resolveStudyConfig(value: unknown, file: string): StudyConfig {
  const problems = studyProblems(value);
  if (problems.length) throw configError(file, problems.slice(0, 3).join('; ') + (problems.length > 3 ? ` (+${problems.length - 3} more)` : ''));
  const raw = value as RawStudy;
  const baseDir = path.dirname(path.resolve(file));
  const outDir = path.resolve(baseDir, raw.outDir ?? path.join('runs', raw.name));
  // Paths in `base` are relative to the study file; cell configs live elsewhere, so they get absolute ones.
  const base = { ...raw.base, ...(raw.base.data ? { data: { ...raw.base.data, ...(raw.base.data.path ? { path: path.resolve(baseDir, raw.base.data.path) } : {}) } } : {}) };
  const grids: { models: string[]; sparsifiers: RawSparsifier[]; levels?: number[] }[] = [{ models: raw.models, sparsifiers: raw.sparsifiers }, ...(raw.extraGrids ?? [])];
  const count = raw.seeds.length * grids.reduce((n, g) => n + g.models.length * g.sparsifiers.length, 0);
  if (count > MAX_STUDY_CELLS) throw configError(file, `${count} cells (seeds × models × sparsifiers, extraGrids included): at most ${MAX_STUDY_CELLS} in one study; split it into several study files`);
  const cells: StudyCell[] = [];
  const seen = new Set<string>();
  // Seed-major: after the first seed every group has one complete cell, so a cut-short study still shows all of it.
  for (const seed of raw.seeds) {
    for (const grid of grids) {
      for (const model of grid.models) {
        for (const sp of grid.sparsifiers) {
          const { label, ...sparsifier } = sp;
          const spName = label ?? sparsifier.type;
          const name = `${model}-${spName}-s${seed}`;
          if (seen.has(name)) throw configError(file, `two cells are named "${name}": give one of the "${spName}" sparsifiers a distinct "label"`);
          seen.add(name);
          const dir = path.join(outDir, name);
          const cellFile: Record<string, unknown> = { name, model: { type: model }, ...base, ...(grid.levels ? { levels: grid.levels } : {}), sparsifier, seed, outDir: '.' };
          let config: RunConfig;
          try {
            config = resolveRunConfig(cellFile, file, dir);
          } catch (e) {
            // The run-config message names the study file; say which cell it is about.
            throw configError(file, `cell ${name}: ${isElsaError(e) ? e.problem : (e as Error).message}`);
          }
          cells.push({ name, model, sparsifier: spName, seed, dir, config, file: cellFile });
        }
      }
    }
  }
  return { name: raw.name, outDir, file: path.resolve(file), levels: [...raw.base.levels], seeds: [...raw.seeds], cells };
}

/** A study file is a few hundred bytes; anything this large is not one (and is not read whole). */
const MAX_STUDY_FILE_BYTES = 1 << 20;

/** Read, parse (JSONC, as run configs) and validate a study file; every failure is one ConfigError line naming it. */
export function loadStudyConfig(file: string): StudyConfig {
  const text = readRegularFileSync(file, { maxBytes: MAX_STUDY_FILE_BYTES, what: 'a study file (*.study.json)', fail: (problem) => configError(file, problem) }).toString('utf8');
  let value: unknown;
  try {
    value = parseJsonc(text);
  } catch (e) {
    throw configError(file, `invalid JSON: ${(e as Error).message}`);
  }
  return resolveStudyConfig(value, file);
}
