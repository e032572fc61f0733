/**
 * The `elsa` command as a user runs it: the built bundle in a child process, on the embedded data. Covers the
 * whole path train → baseline → report → extract (three formats) → eval → inspect, resuming after a kill,
 * and the one-line errors with exit codes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { parseTrainingEvents } from '../../src/protocol/events';
import { isRunReport } from '../../src/protocol/report';
import { tempDir } from '../helpers/synthetic';
import { CLI as cli, ensureCliBuilt, runElsa } from '../helpers/cli';

const root = path.resolve(__dirname, '../..');

const elsa = runElsa;

function writeConfig(dir: string, name: string, extra: Record<string, unknown> = {}) {
  const file = path.join(dir, `${name}.elsa.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name,
      model: { type: 'mlp' },
      data: { name: 'fashion-mnist-small', limitTrain: 640, limitTest: 200 },
      levels: [0.9, 0.5],
      epochs: { warmup: 1, perPhase: 1, dense: 1 },
      seed: 2,
      backend: 'wasm',
      ...extra,
    }),
  );
  return file;
}

describe('elsa CLI', () => {
  const dir = tempDir('elsa-cli-');
  let config: string;
  const run = () => path.join(dir, 'runs', 'cli');
  const checkpoint = () => path.join(run(), 'cli.elsa.safetensors');

  before(() => {
    ensureCliBuilt();
    config = writeConfig(dir, 'cli');
  });

  it('prints help and the backend', () => {
    const help = elsa(['--help'], dir);
    assert.equal(help.code, 0);
    for (const c of ['train', 'baseline', 'extract', 'eval', 'inspect', 'report']) assert.match(help.stdout, new RegExp(`elsa.*\\n[\\s\\S]*  ${c} `));
    assert.equal(elsa(['extract', '--help'], dir).code, 0);
    const version = elsa(['--version'], dir);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /backend: (wasm|tensorflow|cpu)/);
  });

  it('trains, with one plain line per epoch when not on a TTY', () => {
    const r = elsa(['train', config], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(checkpoint()));
    const epochLines = r.stdout.split('\n').filter((l) => / epoch \d+ /.test(l));
    assert.equal(epochLines.length, 4, r.stdout); // warm-up, two sparse phases, dense
    const events = parseTrainingEvents(readFileSync(path.join(run(), 'events.jsonl'), 'utf8'));
    assert.equal(events[0].type, 'run-start');
    assert.equal(events.at(-1)?.type, 'run-end');
    assert.equal(events.filter((e) => e.type === 'level-done').length, 3);
    assert.match(elsa(['train', config], dir).stdout, /already complete/);
  });

  it('trains baselines at fair budgets and reports ELSA vs independent vs dense with the epochs behind each', () => {
    const b = elsa(['baseline', config], dir);
    assert.equal(b.code, 0, b.stderr);
    // warm-up 1, 1 epoch per phase, dense 1, K = 2: ELSA's levels have seen 2 / 3 epochs, its dense level 4.
    for (const f of ['independent-90-cheap-strict-2ep', 'independent-50-strict-3ep', 'independent-50-cheap-2ep', 'dense-4ep']) {
      assert.ok(existsSync(path.join(run(), 'baselines', `${f}.safetensors`)), f);
    }
    assert.match(elsa(['baseline', config], dir).stdout, /dense \(4 epochs\): already complete/);
    const r = elsa(['report', run()], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Test set: 200 images, seed 2: one accuracy is ±\d+\.\d pt \(95 % binomial/);
    assert.match(r.stdout, /ELSA acc +epochs +indep\. strict acc +epochs +Δ ELSA − strict +indep\. cheap acc +epochs/);
    const report = JSON.parse(readFileSync(path.join(run(), 'report.json'), 'utf8'));
    assert.ok(isRunReport(report));
    assert.equal(report.format, 'elsa-report/2');
    assert.equal(report.testCount, 200);
    assert.deepEqual(report.seeds, [2]);
    assert.deepEqual(report.elsa.map((p: { epochs: number }) => p.epochs), [2, 3, 4]);
    assert.deepEqual(report.independent.map((p: { epochs: number }) => p.epochs), [2, 3]);
    assert.deepEqual(report.independentCheap.map((p: { epochs: number }) => p.epochs), [2, 2]);
    assert.equal(report.dense?.epochs, 4);
    assert.deepEqual(report.notes, []);
    for (const p of [...report.elsa, ...report.independent, ...report.independentCheap]) assert.ok(Math.abs(p.sparsity - p.targetSparsity) <= 0.01);
    assert.ok(report.dense && report.dense.accuracy > 0.5, 'the dense baseline is in the report');
    // Every accuracy in the table is followed by the epochs behind it.
    const rows = r.stdout.split('\n').filter((l) => /^\d( \(dense\))? /.test(l));
    assert.equal(rows.length, 3);
    for (const row of rows) for (const m of row.matchAll(/(\d+\.\d+ %) +(\S+)/g)) if (!m[0].includes('pt')) assert.ok(/^\d+$|^\d+\.\d+$/.test(m[2]), row);
    const md = readFileSync(path.join(run(), 'report.md'), 'utf8');
    assert.match(md, /\| 3 \(dense\) \| 0\.0 % \| 0\.00 % \| \d+\.\d+ % \| 4 \| \d+\.\d+ % \| 4 \| [+-]\d+\.\d+ pt \| – \| – \|/);
  });

  it('extracts a level in three formats that agree with each other', async () => {
    const st = path.join(dir, 'exports', 'new-folder', 'l1.safetensors');
    const sparse = path.join(dir, 'l1.sparse.safetensors');
    const tfjsDir = path.join(dir, 'l1-tfjs');
    assert.equal(elsa(['extract', checkpoint(), '--level', '0.9', '--format', 'safetensors', '--out', st], dir).code, 0);
    assert.equal(elsa(['extract', checkpoint(), '--level', '1', '--format', 'sparse', '--out', sparse], dir).code, 0);
    const t = elsa(['extract', checkpoint(), '-l', '1', '-f', 'tfjs', '-o', tfjsDir], dir);
    assert.equal(t.code, 0, t.stderr);
    assert.ok(statSync(sparse).size < statSync(st).size * 0.4, 'the sparse form of a 90 % level is much smaller');
    // Stock tf.loadLayersModel on the exported files.
    const modelJson = JSON.parse(readFileSync(path.join(tfjsDir, 'model.json'), 'utf8'));
    const bin = readFileSync(path.join(tfjsDir, modelJson.weightsManifest[0].paths[0]));
    await tf.setBackend('cpu');
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }));
    const kernel = model.getWeights()[0].dataSync();
    let zeros = 0;
    for (const v of kernel) if (v === 0) zeros++;
    assert.ok(zeros / kernel.length > 0.8, 'the exported level is sparse');
    const y = model.predict(tf.zeros([1, 28, 28, 1])) as tf.Tensor;
    assert.deepEqual(y.shape, [1, 10]);
    for (const f of [st, sparse, path.join(tfjsDir, 'model.json')]) assert.equal(elsa(['inspect', f], dir).code, 0, f);
  });

  it('never writes over its own input or another run, and checks an output before the work (hostile-user findings)', () => {
    const before = readFileSync(checkpoint());
    const copy = path.join(dir, 'self.elsa.safetensors');
    copyFileSync(checkpoint(), copy);
    const link = path.join(dir, 'self-link.elsa.safetensors');
    if (!existsSync(link)) symlinkSync(copy, link);
    // --out naming the input (by its own name, or the input given through a symlink): refused, the input intact.
    for (const [input, format] of [[copy, 'safetensors'], [copy, 'sparse'], [copy, 'onnx'], [link, 'safetensors']]) {
      const r = elsa(['extract', input, '--level', '1', '--format', format, '--out', copy], dir);
      assert.equal(r.code, 2, `${format}: ${r.stderr}`);
      assert.match(r.stderr, /^UsageError: extract: --out .*self\.elsa\.safetensors is the input .*; writing it would destroy the input/);
    }
    const s = elsa(['sensitivity', copy, '--limit', '50', '--out', copy], dir);
    assert.equal(s.code, 2, s.stderr);
    assert.match(s.stderr, /sensitivity: --out .* is the input/);
    assert.deepEqual(readFileSync(copy), before, 'the checkpoint is untouched');
    // sensitivity's --out is checked before the scan: a folder is refused at once, with the usage code.
    const folder = elsa(['sensitivity', copy, '--out', dir], dir);
    assert.equal(folder.code, 2, folder.stderr);
    assert.match(folder.stderr, /is a folder; give a file name/);
    const extractFolder = elsa(['extract', copy, '--level', '1', '--format', 'onnx', '--out', dir], dir);
    assert.equal(extractFolder.code, 2, extractFolder.stderr);
    assert.match(extractFolder.stderr, /^UsageError: extract: --out .* is a folder; give a file name, e\.g\. .*level\.onnx/);
    // Two TF.js exports into one folder: each model.json keeps its own weight file (they shared weights.bin).
    const ex = path.join(dir, 'two-exports');
    assert.equal(elsa(['extract', checkpoint(), '-l', '1', '-f', 'tfjs', '-o', path.join(ex, 'level1.json')], dir).code, 0);
    assert.equal(elsa(['extract', checkpoint(), '-l', '3', '-f', 'tfjs', '-o', path.join(ex, 'level3.json')], dir).code, 0);
    const cmp = elsa(['compare', `${checkpoint()}@1`, path.join(ex, 'level1.json'), '--json'], dir);
    assert.equal(cmp.code, 0, cmp.stderr);
    for (const layer of JSON.parse(cmp.stdout).layers) assert.equal(layer.jaccard, 1, `${layer.name}: level1.json holds level 1's weights`);
    // A second run's config pointing into a folder that holds another run: refused before the folder is touched.
    const events = readFileSync(path.join(run(), 'events.jsonl'));
    const intruder = writeConfig(dir, 'intruder', { outDir: run() });
    const t = elsa(['train', intruder], dir);
    assert.equal(t.code, 1, t.stderr);
    assert.match(t.stderr, /^ConfigError: .*: holds another run's checkpoint \(cli\.elsa\.safetensors\); one run per folder/);
    assert.deepEqual(readFileSync(path.join(run(), 'events.jsonl')), events);
    // A damaged finished baseline is reported before any other baseline trains (it was hit after them).
    const dense = path.join(run(), 'baselines', 'dense-4ep.safetensors');
    const denseBytes = readFileSync(dense);
    const cheap = path.join(run(), 'baselines', 'independent-50-cheap-2ep.safetensors');
    const cheapBytes = readFileSync(cheap);
    try {
      truncateSync(dense, 100);
      rmSync(cheap);
      const d = elsa(['baseline', config], dir);
      assert.equal(d.code, 1, d.stderr);
      assert.match(d.stderr, /^CheckpointError: .*dense-4ep\.safetensors: .*\(delete it, or give --fresh to retrain the baselines\)/);
      assert.doesNotMatch(d.stdout, / epoch \d+ /, 'nothing trained');
      assert.ok(!existsSync(cheap), 'the missing baseline was not trained first');
    } finally {
      writeFileSync(dense, denseBytes);
      writeFileSync(cheap, cheapBytes);
    }
    // A checkpoint where a config belongs says so (it said "over the 1 MiB limit").
    const b = elsa(['baseline', checkpoint()], dir);
    assert.equal(b.code, 1);
    assert.match(b.stderr, /is a checkpoint, not a run config/);
    // Numbers as a person writes them, counts ≥ 1: usage errors (exit 2).
    assert.match(elsa(['eval', checkpoint(), '--level', '0x1'], dir).stderr, /--level must be a number, got "0x1"/);
    const zero = elsa(['eval', checkpoint(), '--limit', '0'], dir);
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /--limit must be a whole number of at least 1/);
  });

  it('eval takes a test set that lacks some classes, and refuses one the model cannot read in one line', () => {
    const row = (label: number, pixels: number) => [label, ...Array.from({ length: pixels }, (_, i) => (i * 7 + label) % 256)].join(',');
    const nine = path.join(dir, 'nine-classes.csv');
    writeFileSync(nine, `${Array.from({ length: 36 }, (_, i) => row(i % 9, 784)).join('\n')}\n`);
    const ok = elsa(['eval', checkpoint(), '--data', nine, '--json'], dir);
    assert.equal(ok.code, 0, ok.stderr);
    for (const l of JSON.parse(ok.stdout).levels) assert.ok(Number.isFinite(l.loss) && l.accuracy >= 0 && l.accuracy <= 1);
    const small = path.join(dir, 'ten-by-ten.csv');
    writeFileSync(small, `${Array.from({ length: 36 }, (_, i) => row(i % 10, 100)).join('\n')}\n`);
    const bad = elsa(['eval', checkpoint(), '--data', small], dir);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /^ModelError: .*cli\.elsa\.safetensors: the model takes \[28, 28, 1\] inputs, the dataset's images are \[10, 10, 1\]/);
    const many = path.join(dir, 'twelve-classes.csv');
    writeFileSync(many, `${Array.from({ length: 36 }, (_, i) => row(i % 12, 784)).join('\n')}\n`);
    assert.match(elsa(['eval', checkpoint(), '--data', many], dir).stderr, /the model has 10 classes, the dataset's labels go up to 11/);
  });

  it('evaluates every level as extracted, matching the recorded accuracy', () => {
    const r = elsa(['eval', checkpoint(), '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.levels.length, 3);
    for (const l of out.levels) assert.equal(l.accuracy, l.recorded);
  });

  it('eval finds a run\'s data when outDir is outside the config\'s folder (the demo\'s ../runs/…), for ELSA and its baselines', () => {
    // The data next to the config's folder, by a relative path: a data path worked back one folder off is wrong
    // here (an absolute-looking ../../.. path would be rescued by `..` stopping at `/`).
    cpSync(path.join(root, 'data', 'fashion-mnist-small'), path.join(dir, 'data', 'small'), { recursive: true });
    mkdirSync(path.join(dir, 'cfg'), { recursive: true });
    const outside = writeConfig(path.join(dir, 'cfg'), 'outside', {
      data: { path: '../data/small', limitTrain: 320, limitTest: 100 }, levels: [0.5], outDir: '../runs/outside', epochs: { warmup: 1, perPhase: 1, dense: 0 },
    });
    assert.equal(elsa(['train', outside], dir).code, 0);
    assert.equal(elsa(['baseline', outside], dir).code, 0);
    const baseline = path.join(dir, 'runs', 'outside', 'baselines', 'independent-50-cheap-strict-2ep.safetensors');
    for (const file of [path.join(dir, 'runs', 'outside', 'outside.elsa.safetensors'), baseline]) {
      const r = elsa(['eval', file, '--json'], dir);
      assert.equal(r.code, 0, `${file}: ${r.stderr}`);
      for (const l of JSON.parse(r.stdout).levels) assert.equal(l.accuracy, l.recorded, file);
    }
    // Copied where its data is not (another machine, a moved project): one line that says whose path it is and
    // what to do, for eval and predict alike; --data then points at another copy.
    const moved = path.join(dir, 'elsewhere', 'outside.elsa.safetensors');
    mkdirSync(path.dirname(moved), { recursive: true });
    copyFileSync(path.join(dir, 'runs', 'outside', 'outside.elsa.safetensors'), moved);
    for (const args of [['eval', moved], ['predict', moved, '--sample', '0']]) {
      const r = elsa(args, dir);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /dataset path not found: the data outside\.elsa\.safetensors was trained on, as its run config names it; give --data/);
    }
    const again = elsa(['eval', moved, '--data', path.join(dir, 'data', 'small'), '--limit', '100', '--json'], dir);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).levels.length, 2);
  });

  it('inspects as JSON', () => {
    const r = elsa(['inspect', checkpoint(), '--json'], dir);
    assert.equal(r.code, 0);
    const report = JSON.parse(r.stdout);
    assert.equal(report.kind, 'elsa-checkpoint');
    assert.equal(report.elsa.levels.length, 3);
  });

  it('gives one-line errors naming the file, with exit codes', () => {
    const broken = path.join(dir, 'broken.elsa.safetensors');
    copyFileSync(checkpoint(), broken);
    truncateSync(broken, 1000);
    const r = elsa(['inspect', broken], dir);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^CheckpointError: .*broken\.elsa\.safetensors/);
    const missing = elsa(['train', path.join(dir, 'nope.elsa.json')], dir);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /ConfigError: .*nope\.elsa\.json: file not found/);
    const bad = writeConfig(dir, 'bad', { levels: [0.5, 0.9] });
    assert.match(elsa(['train', bad], dir).stderr, /ConfigError: .*bad\.elsa\.json: levels must be strictly decreasing/);
    const unknown = writeConfig(dir, 'bad2', { sparsifier: { type: 'random' } });
    assert.match(elsa(['train', unknown], dir).stderr, /ConfigError: .*\/sparsifier\/type must be equal to one of the allowed values/);
    assert.equal(elsa(['frobnicate'], dir).code, 2);
    assert.equal(elsa(['extract', checkpoint()], dir).code, 2);
    assert.match(elsa(['extract', checkpoint(), '--level', '0.33', '--out', 'x'], dir).stderr, /no level with sparsity 0.33/);
    // A kernel whose header says [300, 784] holds as many values as the model's [784, 300] but not its layout:
    // eval and extract refuse it (they checked the count only, so eval ran on scrambled weights).
    const bytes = readFileSync(checkpoint());
    const headerEnd = 8 + Number(bytes.readBigUInt64LE(0));
    const header = bytes.subarray(8, headerEnd).toString('utf8');
    assert.ok(header.includes('"shape":[784,300]'));
    const transposed = path.join(dir, 'transposed.elsa.safetensors');
    writeFileSync(transposed, Buffer.concat([bytes.subarray(0, 8), Buffer.from(header.replace('"shape":[784,300]', '"shape":[300,784]')), bytes.subarray(headerEnd)]));
    for (const args of [['eval', transposed, '--limit', '20'], ['extract', transposed, '-l', '1', '-f', 'tfjs', '-o', path.join(dir, 'transposed-tfjs')]]) {
      const r = elsa(args, dir);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr.trim().split('\n').at(-1)!, /^ModelError: .*transposed\.elsa\.safetensors: weight tensor dense1\/kernel is \[300, 784\], the model needs \[784, 300\]$/);
    }
  });

  it('resumes after being killed', async () => {
    const slow = writeConfig(dir, 'killed', { model: { type: 'cnn' }, data: { name: 'fashion-mnist-small', limitTrain: 640, limitTest: 100 }, epochs: { warmup: 2, perPhase: 2, dense: 1 } });
    const events = path.join(dir, 'runs', 'killed', 'events.jsonl');
    const child = spawn(process.execPath, [cli, 'train', slow], { cwd: dir, stdio: 'ignore' });
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (existsSync(events) && parseTrainingEvents(readFileSync(events, 'utf8')).filter((e) => e.type === 'checkpoint').length >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const again = elsa(['train', slow], dir);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Resuming from phase/);
    const all = parseTrainingEvents(readFileSync(events, 'utf8'));
    assert.ok(all.some((e) => e.type === 'run-start' && e.resumedFrom));
    assert.equal(all.at(-1)?.type, 'run-end');
  });
});
