/**
 * The PyTorch side of the tests: which interpreter (ELSA_TEST_PYTHON, default /usr/bin/python3), whether it has
 * torch, and how to run elsa_torch from this checkout. Without torch the suites are skipped with a clear
 * message -- except under CI=true, where a missing torch is a failure, not a skip.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..');
export const PYTHON_DIR = path.join(REPO, 'python');
export const PYTHON = process.env.ELSA_TEST_PYTHON ?? '/usr/bin/python3';
export const CLI = path.join(REPO, 'dist', 'cli.js');

const probe = spawnSync(PYTHON, ['-c', 'import torch, torch.distributed as d; assert d.is_available()'], { encoding: 'utf8' });
export const HAS_TORCH = probe.status === 0;
const ON_CI = process.env.CI === 'true';

/** `skip` option for describe(): false when torch is there; the reason otherwise; throws on CI. */
export function torchSkip(): false | string {
  if (HAS_TORCH) return false;
  const why = `PyTorch with torch.distributed is not installed for ${PYTHON} (apt-get install python3-torch, or set ELSA_TEST_PYTHON)`;
  if (ON_CI) throw new Error(`CI=true: the PyTorch engine tests must run, but ${why}`);
  return `${why}; the PyTorch engine tests are skipped`;
}

export function runPython(args: string[], options: { timeoutMs?: number; cwd?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(PYTHON, args, {
    encoding: 'utf8',
    cwd: options.cwd ? path.resolve(REPO, options.cwd) : REPO,
    timeout: options.timeoutMs ?? 300_000,
    env: { ...process.env, PYTHONPATH: PYTHON_DIR, OMP_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1' },
  });
}

export function runCli(args: string[], timeoutMs = 300_000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: REPO, timeout: timeoutMs, env: { ...process.env, ELSA_BACKEND: 'wasm' } });
}

export function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status ?? r.signal}):\n${(r.stderr || '').slice(-3000)}\n${(r.stdout || '').slice(-1500)}`);
  return r.stdout;
}
