// Builds the optional native kernels (elsa_*.c → dist/elsa_native.node) when gcc, Node's headers
// and OpenBLAS are present. Never fails the install: without them, the engine runs its wasm kernels.
// Usage: node src/core/engine/native/build.mjs [--quiet]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..', '..');
const out = path.join(root, 'dist', 'elsa_native.node');
// what the addon was compiled for; the loader refuses it on a CPU without these flags (it would crash)
const sidecar = path.join(root, 'dist', 'elsa_native.json');
const quiet = process.argv.includes('--quiet');
const say = (line) => { if (!quiet) console.log(`elsa native kernels: ${line}`); };

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function nodeIncludeDir() {
  const candidates = [process.env.ELSA_NODE_INCLUDE, path.join(path.dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node'];
  return candidates.find((d) => d && existsSync(path.join(d, 'node_api.h')));
}

function openblasFlags() {
  const pc = run('pkg-config', ['--cflags', '--libs', 'openblas']);
  if (pc) return pc.split(/\s+/).filter(Boolean);
  const header = ['/usr/include/x86_64-linux-gnu/cblas.h', '/usr/include/openblas/cblas.h', '/usr/include/cblas.h'].find(existsSync);
  return header ? [`-I${path.dirname(header)}`, '-lopenblas'] : undefined;
}

function main() {
  if (process.env.ELSA_NATIVE === '0') return say('skipped (ELSA_NATIVE=0)');
  if (process.platform !== 'linux') return say(`skipped (${process.platform}: only Linux builds are set up)`);
  if (!run('gcc', ['--version'])) return say('skipped (no gcc); the wasm kernels will run');
  const include = nodeIncludeDir();
  if (!include) return say('skipped (node_api.h not found; set ELSA_NODE_INCLUDE)');
  const blas = openblasFlags();
  if (!blas) return say('skipped (OpenBLAS not found: apt install libopenblas-dev)');
  mkdirSync(path.dirname(out), { recursive: true });
  const cpuFlags = process.arch === 'x64' && existsSync('/proc/cpuinfo')
    ? new Set((readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/))
    : new Set();
  const v3 = ['avx2', 'fma', 'bmi2', 'f16c', 'movbe'].every((f) => cpuFlags.has(f));
  const requires = v3 ? ['avx2', 'fma', 'bmi2', 'f16c', 'movbe'] : [];
  const args = ['-O3', '-std=c11', '-ffp-contract=off', '-fno-math-errno', ...(v3 ? ['-march=x86-64-v3'] : []), '-fPIC', '-shared', '-Wall', '-DNODE_GYP_MODULE_NAME=elsa_native', `-I${include}`,
    '-fvisibility=hidden', path.join(here, 'elsa_native.c'), path.join(here, 'elsa_norm.c'), path.join(here, 'elsa_direct_conv.c'), '-o', out, ...blas, '-lm'];
  try {
    execFileSync('gcc', args, { stdio: quiet ? 'pipe' : 'inherit' });
  } catch {
    rmSync(out, { force: true });
    rmSync(sidecar, { force: true });
    return say('build failed; the wasm kernels will run');
  }
  // load it once in a child: a broken addon must never reach the engine
  const check = spawnSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(out)}).describe().version)`], { encoding: 'utf8' });
  if (check.status !== 0) {
    rmSync(out, { force: true });
    rmSync(sidecar, { force: true });
    return say(`built but does not load (${(check.stderr || '').split('\n')[0]}); removed`);
  }
  writeFileSync(sidecar, `${JSON.stringify({ requiresCpuFlags: requires })}\n`);
  say(`built ${path.relative(root, out)}${v3 ? ' (x86-64-v3)' : ''}`);
}

main();
