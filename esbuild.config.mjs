// One config, three bundles: the CLI (node), the extension host (node, cjs, `vscode` external) and the
// webview (browser, iife). `tsc --noEmit` type-checks; esbuild only bundles.
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

/** The wasm backend loads its .wasm files from beside the bundle at run time. */
function copyWasmBinaries() {
  const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  mkdirSync('dist', { recursive: true });
  for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
    const src = path.join(dir, 'dist', f);
    if (existsSync(src)) cpSync(src, path.join('dist', f));
  }
}

const builds = [
  {
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // tfjs-node is optional and native: load it at run time when present, never bundle it.
    external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
  },
];

if (existsSync('src/extension/extension.ts')) {
  builds.push({
    ...common,
    entryPoints: { extension: 'src/extension/extension.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  });
}

if (existsSync('webview/main.ts')) {
  builds.push({
    ...common,
    entryPoints: { webview: 'webview/main.ts' },
    outdir: 'dist',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    loader: { '.css': 'text' },
  });
}

// `node esbuild.config.mjs cli` (or extension / webview) builds only the named bundles.
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const selected = only.length ? builds.filter((b) => only.some((name) => name in b.entryPoints)) : builds;

copyWasmBinaries();
if (watch) {
  for (const b of selected) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(selected.map((b) => esbuild.build(b)));
}
