/**
 * Which OpenBLAS kernels the native addon runs with (docs/benchmarks.md, "Same seed, same numbers"). No tfjs
 * import: the CLI's main thread calls this before it starts the worker that loads tfjs.
 *
 * The OpenBLAS kernel set the addon runs with. OpenBLAS (DYNAMIC_ARCH) picks its kernels by CPU, and kernels sum
 * in different orders: the same seed then trains to different weights on different machines (the demo's level 1
 * is 82.30 % with Haswell kernels, 82.90 % with SkylakeX and 82.80 % with Cooperlake, on one CPU). So the
 * addon pins `Haswell`, which every CPU it runs on has (it is built for x86-64-v3: AVX2 + FMA), and a seed gives
 * the same numbers on every such machine. `ELSA_BLAS_CORE=<name>` picks another set (`auto`: OpenBLAS's choice,
 * faster on some AVX-512 CPUs); an `OPENBLAS_CORETYPE` already set is left as it is. Must run before the addon,
 * and with it libopenblas, is loaded (OpenBLAS reads the variable once, when it starts), and on the main thread:
 * a worker's `process.env` is its own copy, which the C library never sees. So the CLI's supervisor calls it
 * before it starts the command's worker (which inherits the variable), and loadNativeAddon calls it for the
 * processes that load the engine on their main thread (the extension host, tests, scripts).
 */
export const DEFAULT_BLAS_CORE = 'Haswell';

export function pinBlasCore(): void {
  if (process.arch !== 'x64' || process.env.OPENBLAS_CORETYPE) return;
  const wanted = process.env.ELSA_BLAS_CORE?.trim() || DEFAULT_BLAS_CORE;
  if (wanted.toLowerCase() !== 'auto') process.env.OPENBLAS_CORETYPE = wanted;
}

/** The kernel set named in OpenBLAS's config line (`OpenBLAS 0.3.21 … DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64`). */
export function blasCore(config: string): string | undefined {
  return config
    .split(/\s+/)
    .slice(2)
    .find((t) => /^[A-Z][a-z][A-Za-z0-9]*$/.test(t));
}

/**
 * How checkpoints and reports name the kernels: `Haswell`, or, when OpenBLAS ran another set than the one asked
 * for (a misspelt ELSA_BLAS_CORE: OpenBLAS then falls back to its own choice without a word), what ran and what
 * was asked, so that the run's header shows the mistake.
 */
export function blasCoreLabel(config: string, requested: string | undefined): string | undefined {
  const core = blasCore(config);
  if (!core || !requested || requested.toLowerCase() === core.toLowerCase()) return core;
  return `${core}, not the requested "${requested}"`;
}
