/**
 * `elsa sensitivity` as a user runs it (the built bundle): on a tiny checkpoint and on a bare model.json,
 * a curve per prunable layer, a suggested config that `elsa train` accepts, and SIGTERM honoured between
 * evaluations (exit 130 within a second, nothing written).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { resolveRunConfig } from '../../src/core/config';
import { initEngine } from '../../src/core/engine/backend';
import { buildBuiltinModel } from '../../src/core/models/builders';
import { saveLayersModelFile } from '../../src/core/models/layersFile';
import { tempDir } from '../core/io/ioTestUtil';
import { writeLevelCheckpoint } from '../helpers/levelCheckpoint';
import { CLI as cli, ensureCliBuilt, runElsa } from '../helpers/cli';

const tmp = tempDir('elsa-sens-');
after(tmp.cleanup);

const elsa = (args: string[]) => runElsa(args, tmp.dir);

describe('elsa sensitivity', () => {
  const ckpt = tmp.file('tiny.elsa.safetensors');
  before(async () => {
    ensureCliBuilt();
    await initEngine('wasm');
    const config = { name: 'tiny', model: { type: 'mlp' }, data: { name: 'fashion-mnist-small' }, levels: [0.9, 0.5], sparsifier: { type: 'gmp', scope: 'global', pruneEvery: 20, rampFraction: 0.75 }, seed: 3, outDir: 'runs/tiny' };
    await writeLevelCheckpoint(ckpt, { type: 'mlp', shape: [28, 28, 1], numClasses: 10, targets: [0.9, 0.5], seed: 3, config });
  });

  it('scans a checkpoint level and writes a config elsa train accepts', () => {
    const out = tmp.file('suggested.elsa.json');
    const r = elsa(['sensitivity', ckpt, '--level', '2', '--target', '0.9', '--limit', '60', '--backend', 'wasm', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.level, 2);
    assert.deepEqual(result.scan.layers.map((l: { name: string }) => l.name), ['dense1/kernel', 'dense2/kernel', 'logits/kernel']);
    for (const layer of result.scan.layers) {
      // Level 2 keeps about half of each layer (random codes): the points start at the level's own sparsity.
      assert.ok(Math.abs(layer.baseSparsity - 0.5) < 0.05, `${layer.name}: ${layer.baseSparsity}`);
      const above = [50, 75, 90, 95, 98].filter((f) => f / 100 > layer.baseSparsity + 0.005);
      assert.deepEqual(layer.points.slice(1).map((p: { sparsity: number }) => Math.round(p.sparsity * 100)), above);
      assert.equal(layer.points[0].accuracy, result.scan.baseline.accuracy);
    }
    assert.match(r.stderr, new RegExp(`\\[1/${result.scan.evaluations}\\] baseline`));
    const written = JSON.parse(readFileSync(out, 'utf8'));
    const config = resolveRunConfig(written, out);
    assert.deepEqual(config.levels, [0.9, 0.5]);
    assert.equal(config.sparsifier.scope, 'layer');
    const at90 = config.sparsifier.layerTargets!['0.9'];
    const sizes = { 'dense1/kernel': 784 * 300, 'dense2/kernel': 300 * 100, 'logits/kernel': 100 * 10 };
    const overall = Object.entries(sizes).reduce((n, [k, size]) => n + at90[k] * size, 0) / Object.values(sizes).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(overall - 0.9) < 1e-3, `overall ${overall}`);
    // Scanned on top of level 2: no suggestion un-prunes a layer below its sparsity there.
    for (const level of Object.values(config.sparsifier.layerTargets!)) {
      for (const layer of result.scan.layers) if (level[layer.name] !== undefined) assert.ok(level[layer.name] >= layer.baseSparsity - 1e-4, layer.name);
    }
  });

  it('scans a bare model.json on the default data, the config pointing at the model', async () => {
    const model = buildBuiltinModel({ type: 'mlp' }, [28, 28, 1], 10, 4);
    const file = tmp.file('bare/model.json');
    await saveLayersModelFile(model, file);
    model.dispose();
    const r = elsa(['sensitivity', file, '--limit', '40', '--target', '0.8', '--backend', 'wasm']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Suggested per-layer sparsity for 80\.0 % overall/);
    const written = JSON.parse(readFileSync(tmp.file('bare/model.suggested.elsa.json'), 'utf8'));
    assert.deepEqual(written.model, { type: 'layers-json', path: 'model.json' });
    assert.deepEqual(Object.keys(written.sparsifier.layerTargets), ['0.8']);
    resolveRunConfig(written, tmp.file('bare/model.suggested.elsa.json'));
  });

  it('refuses a bad level and a bad target in one line', () => {
    const bad = elsa(['sensitivity', ckpt, '--level', '7', '--backend', 'wasm']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr.trim(), /^CheckpointError: .*tiny\.elsa\.safetensors: .*level/);
    const usage = elsa(['sensitivity', ckpt, '--target', '1.5']);
    assert.equal(usage.code, 2);
    assert.equal(usage.stderr.trim().split('\n').length, 1);
  });

  it('stops within a second of SIGTERM, between evaluations, writing nothing', async () => {
    const out = tmp.file('interrupted.elsa.json');
    const child = spawn(process.execPath, [cli, 'sensitivity', ckpt, '--limit', '200', '--backend', 'wasm', '--out', out], { cwd: tmp.dir, env: { ...process.env, CI: '1' } });
    let stderr = '';
    let sentAt = 0;
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (!sentAt && /\[2\/\d+\]/.test(stderr)) {
          sentAt = Date.now();
          child.kill('SIGTERM');
        }
      });
      child.on('exit', (c) => resolve(c));
    });
    const waited = Date.now() - sentAt;
    assert.ok(sentAt > 0, `never saw progress: ${stderr}`);
    assert.equal(code, 130, stderr);
    assert.ok(waited < 1000, `took ${waited} ms to stop`);
    assert.match(stderr, /Interrupted after \d+ evaluations; no config written/);
    assert.equal(existsSync(out), false);
  });
});
