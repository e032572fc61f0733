/**
 * Protects "same seed, same numbers" across machines (docs/benchmarks.md): OpenBLAS picks its kernels by CPU
 * unless told, and different kernels train a seed to different weights. The `elsa` command must pin them from
 * its main thread (a worker's process.env never reaches the C library), honour ELSA_BLAS_CORE, leave a user's
 * OPENBLAS_CORETYPE alone, and name the kernels it ran with. Skipped where the addon was not built.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { blasCore, blasCoreLabel, DEFAULT_BLAS_CORE } from '../../../src/core/engine/blasCore';
import { findNativeAddon } from '../../../src/core/engine/nativeKernels';

const root = path.resolve(__dirname, '../../..');
const cli = path.join(root, 'dist', 'cli.js');

it('reads the kernel set from the OpenBLAS config line', () => {
  assert.equal(blasCore('OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64'), 'Haswell');
  assert.equal(blasCore('OpenBLAS 0.3.26  DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=128'), 'Cooperlake');
  assert.equal(blasCore('OpenBLAS 0.3.21 NO_AFFINITY HASWELL MAX_THREADS=64'), undefined, 'a build for one CPU names no choice');
});

it('names a kernel set that OpenBLAS did not honour (a misspelt ELSA_BLAS_CORE) beside the one that ran', () => {
  const config = 'OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64';
  assert.equal(blasCoreLabel(config, 'cooperlake'), 'Cooperlake');
  assert.equal(blasCoreLabel(config, undefined), 'Cooperlake');
  assert.equal(blasCoreLabel(config, 'Haswel'), 'Cooperlake, not the requested "Haswel"');
});

/** The kernel set `elsa --version` reports, run as a user runs it, with the given environment (OPENBLAS_CORETYPE unset unless given). */
function versionCore(env: Record<string, string>): string | undefined {
  const base = { ...process.env };
  delete base.OPENBLAS_CORETYPE;
  delete base.ELSA_BLAS_CORE;
  delete base.ELSA_NATIVE;
  const r = spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8', env: { ...base, ...env }, timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return /OpenBLAS [\d.]+, kernel set ([^)]+)\)/.exec(r.stdout)?.[1];
}

/** What OpenBLAS picks by itself on this CPU (the addon loaded with nothing set). */
function openblasOwnChoice(addon: string): string | undefined {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  const r = spawnSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(addon)}).describe().blas)`], { encoding: 'utf8', env });
  return blasCore(r.stdout);
}

const addon = process.arch === 'x64' ? findNativeAddon() : undefined;
describe('the OpenBLAS kernels are pinned', { skip: addon ? false : 'dist/elsa_native.node not built, or not x86-64' }, () => {
  it('by the elsa command: Haswell by default, ELSA_BLAS_CORE picks another, a set OPENBLAS_CORETYPE wins', () => {
    if (!existsSync(cli)) spawnSync(process.execPath, ['esbuild.config.mjs', 'cli'], { cwd: root, stdio: 'inherit' });
    assert.equal(versionCore({}), DEFAULT_BLAS_CORE);
    // Sandybridge runs on every CPU the addon runs on, and OpenBLAS never picks it by itself for such a CPU:
    // reported here only if the choice reached the C library before it started.
    assert.equal(versionCore({ ELSA_BLAS_CORE: 'Sandybridge' }), 'Sandybridge');
    assert.equal(versionCore({ ELSA_BLAS_CORE: 'Sandybridge', OPENBLAS_CORETYPE: 'Zen' }), 'Zen');
    assert.equal(versionCore({ ELSA_BLAS_CORE: 'auto' }), openblasOwnChoice(addon as string));
    assert.equal(versionCore({ ELSA_BLAS_CORE: 'Haswel' }), `${openblasOwnChoice(addon as string)}, not the requested "Haswel"`);
  });
});
