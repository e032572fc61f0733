/**
 * Run configs (`*.elsa.json`): validated with the JSON schema that ships in `schemas/` (the same one VS Code
 * uses for editing), then completed with defaults into a `RunConfig` the trainer can trust.
 */
import Ajv from 'ajv';
import path from 'node:path';
import runSchema from '../../schemas/elsa-run.schema.json';
import type { DatasetSpec } from './data/dataset';
import { configError, usageError } from './errors';
import { readRegularFileSync } from './io/regularFile';
import { parseJsonc } from './jsonc';
import { CONSTANT_LR, type LrScheduleSpec } from './method/lrSchedule';

export type { LrScheduleSpec };

export type ModelSpec = { type: 'mlp' } | { type: 'cnn' } | { type: 'resnet' } | { type: 'layers-json'; path: string };

export interface SparsifierSpec {
  type: 'gmp' | 'magnitude' | 'nm' | 'acdc';
  scope: 'global' | 'layer';
  m: number;
  pruneEvery: number;
  rampFraction: number;
  /** Per level target (as written, "0.9") the sparsity of named weight tensors; layer scope only. */
  layerTargets?: Record<string, Record<string, number>>;
}

export interface OptimizerSpec {
  type: 'sgd' | 'adam';
  learningRate: number;
  momentum: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** Which engine trains a run; absent = the built-in TypeScript engine. */
export interface TorchEngineSpec {
  type: 'torch';
  /** `module:function`, `script.py:function` or `script.py`, relative to the config file (docs/format.md). */
  entry: string;
  /** Processes on this machine (`torchrun --nproc_per_node`). */
  nproc: number;
}

export interface RunConfig {
  name: string;
  model: ModelSpec;
  data: { path?: string; name?: 'fashion-mnist' | 'fashion-mnist-small'; limitTrain?: number; limitTest?: number };
  levels: number[];
  sparsifier: SparsifierSpec;
  optimizer: OptimizerSpec;
  /** How the learning rate moves within each phase (constant when absent from the file). */
  lrSchedule: LrScheduleSpec;
  epochs: { warmup: number; perPhase: number; dense: number };
  batchSize: number;
  smallParams: 'perLevel' | 'frozen';
  seed: number;
  /** Absolute output folder. */
  outDir: string;
  backend: 'auto' | 'node' | 'wasm' | 'cpu';
  evalEvery: 'epoch' | 'phase';
  /** Folder of the config file: relative paths in the config are relative to it. */
  baseDir: string;
  /** Set when PyTorch (elsa_torch under torchrun) trains the run instead of the built-in engine. */
  engine?: TorchEngineSpec;
}

export { runSchema };

type RawConfig = {
  name: string;
  model?: ModelSpec;
  data?: RunConfig['data'];
  levels: number[];
  sparsifier?: Partial<SparsifierSpec> & { type: SparsifierSpec['type'] };
  optimizer?: Partial<OptimizerSpec> & { type: OptimizerSpec['type'] };
  lrSchedule?: { type: LrScheduleSpec['type']; minFactor?: number; gamma?: number; stepEpochs?: number; milestones?: number[] };
  epochs?: Partial<RunConfig['epochs']>;
  batchSize?: number;
  smallParams?: RunConfig['smallParams'];
  seed?: number;
  outDir?: string;
  backend?: RunConfig['backend'];
  evalEvery?: RunConfig['evalEvery'];
  engine?: { type: 'builtin' } | { type: 'torch'; entry: string; nproc?: number };
};

let validator: ReturnType<Ajv['compile']> | undefined;
function validate(value: unknown) {
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(runSchema);
  const ok = validator(value);
  return { ok, errors: validator.errors ?? [] };
}

/** Schema problems as short readable phrases, e.g. `/levels/0 must be < 1`. */
export function schemaProblems(value: unknown): string[] {
  const { ok, errors } = validate(value);
  if (ok) return [];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of errors) {
    // oneOf branches repeat each other; keep the most specific line per place.
    if (e.keyword === 'oneOf' || e.keyword === 'if') continue;
    let msg = `${e.instancePath || '(top level)'} ${e.message ?? 'is invalid'}`;
    if (e.keyword === 'additionalProperties') msg = `${e.instancePath || '(top level)'} has unknown property "${String(e.params.additionalProperty)}"`;
    if (e.keyword === 'false schema') msg = `${e.instancePath} is not allowed here`;
    if (e.keyword === 'enum') msg += ` (${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')})`;
    if (!seen.has(msg)) {
      seen.add(msg);
      out.push(msg);
    }
  }
  return out;
}

const OPTIMIZER_DEFAULTS: Record<OptimizerSpec['type'], Omit<OptimizerSpec, 'type'>> = {
  sgd: { learningRate: 0.05, momentum: 0.9, weightDecay: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  adam: { learningRate: 1e-3, momentum: 0, weightDecay: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
};

/** Validate a parsed config and fill in defaults. `file` names the config in error messages. */
export function resolveRunConfig(value: unknown, file: string, baseDir = path.dirname(path.resolve(file))): RunConfig {
  const problems = schemaProblems(value);
  if (problems.length > 0) throw configError(file, problems.slice(0, 3).join('; ') + (problems.length > 3 ? ` (+${problems.length - 3} more)` : ''));
  const raw = value as RawConfig;
  const levels = raw.levels;
  for (let i = 1; i < levels.length; i++) {
    if (!(levels[i] < levels[i - 1])) throw configError(file, `levels must be strictly decreasing, sparsest first (got ${levels.join(', ')})`);
  }
  const sparsifier: SparsifierSpec = {
    type: raw.sparsifier?.type ?? 'gmp',
    scope: raw.sparsifier?.scope ?? 'global',
    m: raw.sparsifier?.m ?? 4,
    pruneEvery: raw.sparsifier?.pruneEvery ?? 20,
    rampFraction: raw.sparsifier?.rampFraction ?? 0.75,
  };
  if (raw.sparsifier?.layerTargets) sparsifier.layerTargets = checkLayerTargets(file, raw.sparsifier.layerTargets, sparsifier, levels);
  if (sparsifier.type === 'nm') {
    for (const s of levels) {
      const n = (1 - s) * sparsifier.m;
      if (Math.abs(n - Math.round(n)) > 1e-6 || Math.round(n) < 1) {
        throw configError(file, `N:M with m=${sparsifier.m} cannot reach sparsity ${s}: (1 - s) * m must be a whole number ≥ 1`);
      }
    }
  }
  const optType = raw.optimizer?.type ?? 'sgd';
  const optimizer: OptimizerSpec = { type: optType, ...OPTIMIZER_DEFAULTS[optType] };
  for (const [k, v] of Object.entries(raw.optimizer ?? {})) if (v !== undefined) (optimizer as unknown as Record<string, unknown>)[k] = v;
  const lrSchedule = resolveLrSchedule(raw.lrSchedule, file);
  const model: ModelSpec = raw.model ?? { type: 'cnn' };
  if (model.type === 'layers-json') model.path = path.resolve(baseDir, model.path);
  const data = { ...(raw.data ?? {}) };
  if (data.path) data.path = path.resolve(baseDir, data.path);
  return {
    name: raw.name,
    model,
    data,
    levels: [...levels],
    sparsifier,
    optimizer,
    lrSchedule,
    epochs: { warmup: raw.epochs?.warmup ?? 1, perPhase: raw.epochs?.perPhase ?? 2, dense: raw.epochs?.dense ?? 1 },
    batchSize: raw.batchSize ?? 64,
    smallParams: raw.smallParams ?? 'perLevel',
    seed: raw.seed ?? 1,
    outDir: path.resolve(baseDir, raw.outDir ?? path.join('runs', raw.name)),
    backend: raw.backend ?? 'auto',
    evalEvery: raw.evalEvery ?? 'epoch',
    baseDir,
    ...(raw.engine?.type === 'torch' ? { engine: { type: 'torch', entry: raw.engine.entry, nproc: raw.engine.nproc ?? 1 } } : {}),
  };
}

function resolveLrSchedule(raw: RawConfig['lrSchedule'], file: string): LrScheduleSpec {
  if (!raw || raw.type === 'constant') return CONSTANT_LR;
  if (raw.type === 'cosine') return { type: 'cosine', minFactor: raw.minFactor ?? 0.01 };
  if (raw.stepEpochs && raw.milestones) throw configError(file, 'lrSchedule: give either stepEpochs or milestones, not both');
  const milestones = raw.milestones ?? (raw.stepEpochs ? [] : [0.5, 0.75]);
  for (let i = 1; i < milestones.length; i++) {
    if (!(milestones[i] > milestones[i - 1])) throw configError(file, `lrSchedule.milestones must be increasing (got ${milestones.join(', ')})`);
  }
  return { type: 'step', gamma: raw.gamma ?? 0.1, ...(raw.stepEpochs ? { stepEpochs: raw.stepEpochs } : {}), milestones };
}

/**
 * `sparsifier.layerTargets`: every key is one of the levels, the sparsifier ranks per layer, and a layer's
 * sparsity never rises from a sparser level to a denser one (its kept weights must nest like the levels').
 */
function checkLayerTargets(file: string, targets: Record<string, Record<string, number>>, sparsifier: SparsifierSpec, levels: number[]): Record<string, Record<string, number>> {
  if (sparsifier.type === 'nm') throw configError(file, 'sparsifier.layerTargets does not apply to N:M sparsity');
  if (sparsifier.scope !== 'layer') throw configError(file, 'sparsifier.layerTargets needs "scope": "layer"');
  const keys = Object.keys(targets);
  for (const key of keys) {
    if (!levels.some((l) => Math.abs(l - Number(key)) < 1e-9)) throw configError(file, `sparsifier.layerTargets has level "${key}", which is not one of the levels (${levels.join(', ')})`);
  }
  const ordered = [...keys].sort((a, b) => Number(b) - Number(a));
  const names = new Set(keys.flatMap((k) => Object.keys(targets[k])));
  for (const name of names) {
    let prev = 1;
    for (const key of ordered) {
      const v = Object.prototype.hasOwnProperty.call(targets[key], name) ? targets[key][name] : Number(key);
      if (v > prev + 1e-12) throw configError(file, `sparsifier.layerTargets: "${name}" is sparser at level ${key} (${v}) than at a sparser level (${prev}); levels must nest`);
      prev = v;
    }
  }
  return structuredClone(targets);
}


/** A run config is a few hundred bytes; anything this large is not one (and is not read whole). */
export const MAX_CONFIG_BYTES = 1 << 20;

/**
 * Read, parse (JSONC: comments, trailing commas and a BOM allowed, as in VS Code's settings) and validate a
 * config file; every failure is a ConfigError naming the file, with line and column for syntax errors.
 */
export function loadRunConfig(file: string): RunConfig {
  // The most likely wrong file (`elsa baseline run.elsa.safetensors`): say what it is, not that it is too large.
  if (file.toLowerCase().endsWith('.safetensors')) {
    throw configError(file, 'is a checkpoint, not a run config (*.elsa.json): give the *.elsa.json the run was trained from');
  }
  const text = readRegularFileSync(file, { maxBytes: MAX_CONFIG_BYTES, what: 'a run config (*.elsa.json)', fail: (problem) => configError(file, problem) }).toString('utf8');
  let value: unknown;
  try {
    value = parseJsonc(text);
  } catch (e) {
    throw configError(file, `invalid JSON: ${(e as Error).message}`);
  }
  return resolveRunConfig(value, file);
}

/** The torchrun command line of a PyTorch-engine run (elsa_torch.torchrun = torchrun, docs/format.md). */
export function torchrunArgs(engine: TorchEngineSpec, configPath: string): string[] {
  return ['-m', 'elsa_torch.torchrun', '--standalone', '--nnodes', '1', '--nproc_per_node', String(engine.nproc), '-m', 'elsa_torch', 'launch', configPath];
}

/** The built-in trainer cannot run a PyTorch-engine config: say how to start it instead. */
export function requireBuiltinEngine(config: RunConfig, file: string): RunConfig {
  if (!config.engine) return config;
  throw configError(file, `this run uses the PyTorch engine: start it with the elsa task in the editor, or python3 ${torchrunArgs(config.engine, file).join(' ')}`);
}

const BACKENDS: readonly RunConfig['backend'][] = ['auto', 'node', 'wasm', 'cpu'];

/** A `--backend` override: where to compute is not part of what a run is. */
export function withBackend(config: RunConfig, backend: string | undefined): RunConfig {
  if (backend === undefined) return config;
  if (!BACKENDS.includes(backend as RunConfig['backend'])) throw usageError(`--backend must be one of ${BACKENDS.join(', ')}, got "${backend}"`);
  return { ...config, backend: backend as RunConfig['backend'] };
}

/**
 * A stored config as a comparable string, without the backend (where to compute is not part of what a run
 * is) and without the `ignore`d keys. Checkpoints from before learning-rate schedules existed were trained
 * at a constant rate.
 */
export function runIdentity(stored: unknown, ignore: readonly string[] = []): string {
  if (typeof stored !== 'object' || stored === null) return JSON.stringify(stored);
  // Where the run trains and where its files lie are not what it is.
  const { backend: _b, configDir: _c, lrSchedule, ...rest } = stored as Record<string, unknown>;
  for (const k of ignore) delete rest[k];
  return JSON.stringify({ ...rest, lrSchedule: lrSchedule ?? CONSTANT_LR });
}

/**
 * Whether a checkpoint's stored config describes the same run (the backend may differ). Stored paths are
 * relative to the config's folder (absolute in checkpoints written before paths were stored relative): both
 * kinds are compared as absolute paths from this config's folder, so a moved or cloned project still resumes.
 */
export function sameRun(stored: unknown, config: RunConfig): boolean {
  const absolute = (c: unknown) => (typeof c === 'object' && c !== null ? withPaths(c as Record<string, unknown>, (p) => path.resolve(config.baseDir, p)) : c);
  return runIdentity(absolute(stored)) === runIdentity(absolute(portableConfig(config)));
}

/** `model.path` and `data.path` of a (stored or resolved) config, mapped. */
function withPaths(c: Record<string, unknown>, map: (p: string) => string): Record<string, unknown> {
  const out = { ...c };
  for (const key of ['model', 'data'] as const) {
    const part = out[key];
    if (typeof part === 'object' && part !== null && typeof (part as { path?: unknown }).path === 'string') {
      out[key] = { ...part, path: map((part as { path: string }).path) };
    }
  }
  return out;
}

/**
 * The config as stored in checkpoint metadata and the run log: no machine-specific folders. The output folder,
 * model and data paths are relative to the config's folder (forward slashes), as the user wrote them. With
 * `fileDir` (the folder of the checkpoint that stores it) it also says where the config's folder is from there
 * (`configDir`), which `checkpointDataSpec` needs: an `outDir` such as `../runs/demo` (the demo's) cannot be
 * walked back to the config's folder, and baselines live one folder below `outDir`.
 */
export function portableConfig(config: RunConfig, fileDir?: string): Record<string, unknown> {
  const { baseDir: _b, outDir: _o, ...rest } = config;
  const relative = (p: string, from = config.baseDir) => path.relative(from, p).split(path.sep).join('/') || '.';
  return { ...withPaths(rest, relative), outDir: relative(config.outDir), ...(fileDir ? { configDir: relative(config.baseDir, fileDir) } : {}) };
}

/**
 * The dataset a checkpoint was trained on. Its stored config names the data relative to the run config's
 * folder (core/config.ts portableConfig); that folder is found from the checkpoint's own folder (`configDir`,
 * stored relative to it; older checkpoints: from `outDir`), so a moved or cloned project still finds its data. Paths are only
 * resolved here, never opened: loadDataset reads them, and the extension runs `eval` only in a trusted
 * workspace, after asking about data outside it (src/extension/commands.ts).
 */
export function checkpointDataSpec(file: string, stored: unknown): DatasetSpec {
  const config = (typeof stored === 'object' && stored !== null ? stored : {}) as { data?: unknown; outDir?: unknown; configDir?: unknown };
  const raw = (typeof config.data === 'object' && config.data !== null ? config.data : {}) as Record<string, unknown>;
  // Only fields of the right type: a checkpoint is input, its metadata may be anything.
  const data: DatasetSpec = {};
  if (typeof raw.name === 'string') data.name = raw.name;
  if (typeof raw.limitTest === 'number') data.limitTest = raw.limitTest;
  if (typeof raw.path === 'string') data.path = path.resolve(storedConfigDir(file, config.outDir, config.configDir), raw.path);
  return data;
}

/**
 * The run config's folder: `configDir` from the checkpoint's folder where it is stored; for checkpoints written
 * before it was, from a checkpoint in `<configDir>/<outDir>/` (right only for an `outDir` inside the config's
 * folder).
 */
function storedConfigDir(file: string, outDir: unknown, configDir?: unknown): string {
  const runDir = path.dirname(path.resolve(file));
  if (typeof configDir === 'string' && !path.isAbsolute(configDir)) return path.resolve(runDir, configDir);
  if (typeof outDir !== 'string' || path.isAbsolute(outDir)) return runDir;
  const root = path.parse(runDir).root;
  return path.resolve(runDir, path.relative(path.resolve(root, outDir), root));
}
