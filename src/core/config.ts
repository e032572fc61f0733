/**
 * Run configs (`*.elsa.json`): validated with the JSON schema that ships in `schemas/` (the same one VS Code
 * uses for editing), then completed with defaults into a `RunConfig` the trainer can trust.
 */
import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import runSchema from '../../schemas/elsa-run.schema.json';
import { configError, usageError } from './errors';

export type ModelSpec = { type: 'mlp' } | { type: 'cnn' } | { type: 'resnet' } | { type: 'layers-json'; path: string };

export interface SparsifierSpec {
  type: 'gmp' | 'magnitude' | 'nm' | 'acdc';
  scope: 'global' | 'layer';
  m: number;
  pruneEvery: number;
  rampFraction: number;
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

/** Read, parse and validate a config file; every failure is a ConfigError naming the file. */
export function loadRunConfig(file: string): RunConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw configError(file, code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(e)})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
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

/** Whether a checkpoint's stored config describes the same run (the backend may differ). */
export function sameRun(stored: unknown, config: RunConfig): boolean {
  const strip = (c: unknown) => {
    if (typeof c !== 'object' || c === null) return c;
    const { backend: _b, ...rest } = c as Record<string, unknown>;
    return rest;
  };
  return JSON.stringify(strip(stored)) === JSON.stringify(strip(portableConfig(config)));
}

/** The config as stored in checkpoint metadata: relative to nothing, no machine-specific folders. */
export function portableConfig(config: RunConfig): Record<string, unknown> {
  const { baseDir: _b, outDir: _o, ...rest } = config;
  return { ...rest, outDir: path.relative(config.baseDir, config.outDir) || '.' };
}
