/**
 * Which Python runs a PyTorch-engine run, and its command line (pure; unit-tested). The interpreter is the
 * Python extension's selected one when that extension is installed, else the `elsa.pythonPath` setting, else
 * `python3` on PATH. The bundled `elsa_torch` package (the extension's `python/` folder) goes first on
 * PYTHONPATH, so the user's environment needs torch only.
 */
import * as path from 'node:path';
import { torchrunArgs, type TorchEngineSpec } from '../core/config';

export type PythonSource = 'python-extension' | 'setting' | 'default';

export interface PythonChoice {
  command: string;
  source: PythonSource;
}

export function choosePython(fromPythonExtension: string | undefined, setting: string | undefined): PythonChoice {
  const selected = fromPythonExtension?.trim();
  if (selected) return { command: selected, source: 'python-extension' };
  const configured = setting?.trim();
  if (configured) return { command: configured, source: 'setting' };
  return { command: process.platform === 'win32' ? 'python' : 'python3', source: 'default' };
}

export interface TorchProcess {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** `python -m elsa_torch.torchrun --standalone --nproc_per_node N -m elsa_torch launch <config>` (docs/format.md). */
export function torchProcess(python: string, engine: TorchEngineSpec, configPath: string, bundledPythonDir: string, inheritedPythonPath: string | undefined): TorchProcess {
  const pythonPath = [bundledPythonDir, ...(inheritedPythonPath ? [inheritedPythonPath] : [])].join(path.delimiter);
  // Unbuffered: the task terminal shows each rank's lines as they come.
  return { command: python, args: torchrunArgs(engine, configPath), env: { PYTHONPATH: pythonPath, PYTHONUNBUFFERED: '1' } };
}

/** Reads the engine of a run config's text: the torch spec, or undefined for the built-in engine / unreadable JSON. */
export function torchEngineOf(text: string): TorchEngineSpec | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const engine = (raw as { engine?: { type?: unknown; entry?: unknown; nproc?: unknown } } | null)?.engine;
  if (!engine || engine.type !== 'torch' || typeof engine.entry !== 'string') return undefined;
  const nproc = typeof engine.nproc === 'number' && Number.isInteger(engine.nproc) && engine.nproc >= 1 ? engine.nproc : 1;
  return { type: 'torch', entry: engine.entry, nproc };
}
