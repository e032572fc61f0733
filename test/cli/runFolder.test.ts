/**
 * Writes stay where the user expects and nothing is lost on failure: a run folder is touched only after the
 * config, data and model are validated; `--fresh` moves the previous run to `previous-<n>/`; an `outDir` that is
 * a file is a one-line error; a moved project (layers-json model, paths stored relative to the config) resumes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { readElsaCheckpoint } from '../../src/core/io/elsaCheckpoint';
import { tempDir } from '../helpers/synthetic';
import { writeSoftmaxModel } from './fixtures';
import { CLI as cli, ensureCliBuilt, runElsa } from '../helpers/cli';

const elsa = runElsa;

function config(dir: string, name: string, extra: Record<string, unknown> = {}): string {
  const file = path.join(dir, `${name}.elsa.json`);
  const body = {
    name,
    model: { type: 'mlp' },
    data: { name: 'fashion-mnist-small', limitTrain: 256, limitTest: 64 },
    levels: [0.5],
    epochs: { warmup: 1, perPhase: 1, dense: 1 },
    backend: 'wasm',
    ...extra,
  };
  writeFileSync(file, JSON.stringify(body, null, 2));
  return file;
}

describe('run folders', () => {
  const dir = tempDir('elsa-runfolder-');

  before(() => {
    ensureCliBuilt();
  });

  it('outDir that is a file: one typed line, nothing written', () => {
    writeFileSync(path.join(dir, 'taken'), 'not a folder');
    const r = elsa(['train', config(dir, 'onfile', { outDir: 'taken' })], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr.trim(), /^ConfigError: .*onfile\.elsa\.json: outDir .*taken is a file, not a folder$/);
    assert.equal(readFileSync(path.join(dir, 'taken'), 'utf8'), 'not a folder');
  });

  it('an invalid config or a missing data path creates no run folder', () => {
    const bad = elsa(['train', config(dir, 'bad', { levels: [0.5, 0.9] })], dir);
    assert.equal(bad.code, 1, bad.stderr);
    const noData = elsa(['train', config(dir, 'nodata', { data: { path: 'no/such/data' } })], dir);
    assert.equal(noData.code, 1);
    assert.match(noData.stderr, /^DataError: .*no\/such\/data: dataset path not found/m);
    for (const name of ['bad', 'nodata']) assert.equal(existsSync(path.join(dir, 'runs', name)), false, `runs/${name} was created`);
  });

  it('--fresh with a mistyped data path keeps the completed run byte for byte; --fresh moves it aside', () => {
    const file = config(dir, 'keep');
    const first = elsa(['train', file], dir);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`^Run folder: ${path.join(dir, 'runs', 'keep').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    const runDir = path.join(dir, 'runs', 'keep');
    const events = readFileSync(path.join(runDir, 'events.jsonl'));
    const checkpoint = readFileSync(path.join(runDir, 'keep.elsa.safetensors'));
    assert.ok(events.length > 0);

    config(dir, 'keep', { data: { path: 'typo/fashion' } });
    const typo = elsa(['train', file, '--fresh'], dir);
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, /DataError: .*typo\/fashion: dataset path not found/);
    assert.deepEqual(readFileSync(path.join(runDir, 'events.jsonl')), events, 'events.jsonl changed');
    assert.deepEqual(readFileSync(path.join(runDir, 'keep.elsa.safetensors')), checkpoint, 'checkpoint changed');
    assert.deepEqual(readdirSync(runDir).sort(), ['events.jsonl', 'keep.elsa.safetensors']);

    config(dir, 'keep', { seed: 9 });
    const fresh = elsa(['train', file, '--fresh'], dir);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(fresh.stdout, /The previous run is kept in .*previous-1/);
    assert.deepEqual(readFileSync(path.join(runDir, 'previous-1', 'events.jsonl')), events);
    assert.deepEqual(readFileSync(path.join(runDir, 'previous-1', 'keep.elsa.safetensors')), checkpoint);
    assert.notDeepEqual(readFileSync(path.join(runDir, 'keep.elsa.safetensors')), checkpoint);
  });

  it('a project with a layers-json model, moved to another folder, resumes its run', async () => {
    const project = path.join(dir, 'project');
    await writeSoftmaxModel(path.join(project, 'models', 'net', 'model.json'), 'layer');
    const file = config(project, 'moved', {
      model: { type: 'layers-json', path: 'models/net/model.json' },
      data: { name: 'fashion-mnist-small', limitTrain: 512, limitTest: 64 },
      epochs: { warmup: 8, perPhase: 1, dense: 1 },
    });
    // Stop the run once the first epoch is saved.
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [cli, 'train', file], { cwd: project, env: { ...process.env, CI: '1' } });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/warm-up\] epoch 2 /.test(out)) child.kill('SIGTERM');
      });
      child.on('error', reject);
      child.on('exit', (code) => (code === 130 ? resolve() : reject(new Error(`exit ${code}: ${out}`))));
    });
    const stored = await readElsaCheckpoint(path.join(project, 'runs', 'moved', 'moved.elsa.safetensors'));
    await stored.close();
    assert.deepEqual((stored.meta.config as { model: unknown }).model, { type: 'layers-json', path: 'models/net/model.json' });

    const moved = path.join(dir, 'elsewhere', 'project-copy');
    cpSync(project, moved, { recursive: true });
    rmSync(project, { recursive: true });
    const resumed = elsa(['train', path.join(moved, 'moved.elsa.json')], moved);
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
    assert.match(resumed.stdout, /Resuming from phase 0, epoch [1-9]/);
  });
});
