import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import * as esbuild from 'esbuild';
import { findPackageRoot } from '../../../src/core/data/dataset';

// The CLI and the extension run from cjs bundles in dist/: the embedded data must be found from there,
// whatever the working directory. Bundle a small entry the same way, inside the package, and run it from /tmp.
const root = findPackageRoot();
const outDir = path.join(root ?? '.', '.tmp', `bundle-test-${process.pid}`);
after(() => rmSync(outDir, { recursive: true, force: true }));

test('a cjs esbuild bundle inside the package finds the embedded dataset from any working directory', async () => {
  assert.ok(root, 'package root found from the sources');
  mkdirSync(outDir, { recursive: true });
  const entry = path.join(outDir, 'entry.ts');
  writeFileSync(
    entry,
    `import { loadDataset } from ${JSON.stringify(path.join(root, 'src/core/data/dataset'))};\n` +
      `void loadDataset({ name: 'fashion-mnist-small', limitTrain: 10, limitTest: 10 }).then((d) => console.log(JSON.stringify({ source: d.source, train: d.train.count, shape: d.shape })));\n`,
  );
  const bundle = path.join(outDir, 'dist', 'bundle.js');
  await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'silent' });
  // `node -e require(...)`: no script path in argv, cwd outside the package, so only __dirname can lead home.
  const out = execFileSync(process.execPath, ['-e', `require(${JSON.stringify(bundle)})`], { cwd: tmpdir(), encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), { source: 'embedded', train: 10, shape: [28, 28, 1] });
});
