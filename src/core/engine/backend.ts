/**
 * Chooses and starts the TensorFlow.js backend once per process.
 *
 * Order for `auto`: `@tensorflow/tfjs-node` (native, optional: loaded with a run-time `require` so
 * that the esbuild bundle keeps it external), else the WebAssembly backend with SIMD and our
 * gradient kernels (wasm lacks some and is slow on others), else the plain JS `cpu` backend.
 * `ELSA_BACKEND=auto|node|tensorflow|wasm|cpu` forces a choice when the caller asks for `auto`.
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { configError, engineError } from '../errors';
import { installFusedLayersBatchNorm, registerBatchNormWasmKernels } from './batchNorm';
import { blasCoreLabel } from './blasCore';
import { loadNativeAddon, registerNativeKernels } from './nativeKernels';
import { registerWasmGradKernels } from './wasmKernels';

export type BackendPreference = 'auto' | 'node' | 'wasm' | 'cpu';

export interface EngineInfo {
  /** `tensorflow` is the native libtensorflow binding (`@tensorflow/tfjs-node`). */
  backend: 'tensorflow' | 'wasm' | 'cpu';
  /** Whether wasm runs its SIMD build; null for the other backends. */
  simd: boolean | null;
  /** wasm worker threads; null for the other backends. */
  threads: number | null;
  /** One line for `elsa --version` and the dashboard: what runs and why. */
  detail: string;
  /** A few words for checkpoints and reports, e.g. `wasm + native OpenBLAS`. */
  label: string;
}

const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'];

let started: Promise<EngineInfo> | undefined;
let info: EngineInfo | undefined;

/** The directory this module runs from: `dist/` in the CLI bundle, `src/core/engine/` under tsx. */
function hereDir(): string {
  return typeof __dirname === 'string' ? __dirname : process.cwd();
}

/** `require` that resolves at run time (never bundled), from the running file's location. */
function runtimeRequire(): NodeJS.Require {
  return createRequire(path.join(hereDir(), 'noop.js'));
}

/**
 * Where the .wasm binaries are: beside the bundle (esbuild.config.mjs copies them into dist/),
 * else in the installed package (tests run from source).
 */
export function findWasmDir(): string | undefined {
  const hasAll = (dir: string) => WASM_FILES.every((f) => existsSync(path.join(dir, f)));
  const candidates: string[] = [hereDir()];
  try {
    const pkg = runtimeRequire().resolve('@tensorflow/tfjs-backend-wasm/package.json');
    candidates.push(path.join(path.dirname(pkg), 'dist'));
  } catch {
    // resolution can fail inside a bundle moved away from node_modules; walk up instead
  }
  for (let dir = hereDir(); ; dir = path.dirname(dir)) {
    candidates.push(path.join(dir, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist'));
    if (path.dirname(dir) === dir) break;
  }
  return candidates.find(hasAll);
}

const KNOWN = ['auto', 'node', 'tensorflow', 'wasm', 'cpu'] as const;
type Wanted = (typeof KNOWN)[number];

function known(value: string, source: string): Wanted {
  const v = value.trim().toLowerCase();
  if ((KNOWN as readonly string[]).includes(v)) return v as Wanted;
  throw configError(source, `unknown backend "${value}" (expected auto, node, wasm or cpu)`);
}

/** An explicit preference wins; `auto` defers to ELSA_BACKEND when it is set. */
function preferenceFromEnv(preference: BackendPreference): Wanted {
  const wanted = known(String(preference), 'backend');
  const fromEnv = process.env.ELSA_BACKEND;
  if (wanted !== 'auto' || !fromEnv?.trim()) return wanted;
  return known(fromEnv, 'ELSA_BACKEND');
}

function tryNode(): string | undefined {
  try {
    runtimeRequire()('@tensorflow/tfjs-node');
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0] : String(e);
  }
}

async function startNode(): Promise<EngineInfo | string> {
  const failure = tryNode();
  if (failure !== undefined) return `@tensorflow/tfjs-node not available (${failure})`;
  // tfjs-node registers 'tensorflow' in the shared global engine, even from its own tfjs-core copy
  if (!(await tf.setBackend('tensorflow'))) return '@tensorflow/tfjs-node loaded but its backend failed to start';
  return { backend: 'tensorflow', simd: null, threads: null, detail: 'tensorflow (native libtensorflow via @tensorflow/tfjs-node)', label: 'tensorflow' };
}

async function startWasm(): Promise<EngineInfo | string> {
  const dir = findWasmDir();
  if (!dir) return `tfjs-backend-wasm binaries not found beside ${hereDir()} or in node_modules`;
  setWasmPaths(dir + path.sep);
  let ok: boolean;
  try {
    ok = await tf.setBackend('wasm');
  } catch (e) {
    return `wasm backend failed to start (${e instanceof Error ? e.message : String(e)})`;
  }
  if (!ok) return 'wasm backend failed to start';
  registerWasmGradKernels();
  registerBatchNormWasmKernels();
  const fusedBn = installFusedLayersBatchNorm();
  const loaded = loadNativeAddon();
  const addon = typeof loaded === 'string' ? loaded : (registerNativeKernels(loaded) ?? loaded);
  const blas = typeof addon === 'string' ? '' : addon.describe().blas;
  const core = blasCoreLabel(blas, process.env.OPENBLAS_CORETYPE);
  const native = typeof addon === 'string' ? `no native kernels: ${addon}` : `native OpenBLAS kernels (${blas.split(' ').slice(0, 2).join(' ')}${core ? `, kernel set ${core}` : ''})`;
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const threads = getThreadsCount();
  return {
    backend: 'wasm',
    simd,
    threads,
    detail: `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'}, ELSA gradient kernels${fusedBn ? ` (batch norm unfused: ${fusedBn})` : ''}; ${native})`,
    // the kernel set is part of what a seed's numbers depend on (blasCore.ts), so checkpoints and reports name it
    label: typeof addon === 'string' ? 'wasm' : `wasm + native OpenBLAS${core ? ` (${core})` : ''}`,
  };
}

async function startCpu(reason: string | undefined): Promise<EngineInfo> {
  if (!(await tf.setBackend('cpu'))) throw engineError('the TensorFlow.js cpu backend failed to start');
  // the cpu backend prints a "install tfjs-node" banner on first use; our detail line says it instead
  const cpu = tf.backend() as { firstUse?: boolean };
  if ('firstUse' in cpu) cpu.firstUse = false;
  const why = reason ? `; ${reason}` : '';
  return { backend: 'cpu', simd: null, threads: null, detail: `cpu (plain JavaScript, slow${why})`, label: 'cpu' };
}

async function start(preference: BackendPreference): Promise<EngineInfo> {
  const wanted = preferenceFromEnv(preference);
  if (wanted === 'cpu') return startCpu(undefined);
  if (wanted === 'node' || wanted === 'tensorflow') {
    const r = await startNode();
    if (typeof r === 'string') throw engineError(`backend "node" requested but ${r}`);
    return r;
  }
  if (wanted === 'wasm') {
    const r = await startWasm();
    if (typeof r === 'string') throw engineError(`backend "wasm" requested but ${r}`);
    return r;
  }
  const node = await startNode();
  if (typeof node !== 'string') return node;
  const wasm = await startWasm();
  if (typeof wasm !== 'string') return wasm;
  return startCpu(wasm);
}

/**
 * Starts the engine once; later calls return the same info whatever they ask for (the backend
 * cannot change under tensors that already exist).
 */
export function initEngine(preference: BackendPreference = 'auto'): Promise<EngineInfo> {
  if (!started) {
    started = start(preference).then(
      (i) => {
        info = i;
        return i;
      },
      (e: unknown) => {
        started = undefined;
        throw e;
      },
    );
  }
  return started;
}

/** The running engine, or undefined before `initEngine` has finished. */
export function engineInfo(): EngineInfo | undefined {
  return info;
}
