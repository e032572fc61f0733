/**
 * `elsa predict` as a user runs it (the built bundle), on a tiny MLP trained here on the embedded data: every
 * level's prediction, both latency paths, the dense and sparse paths agreeing, a PNG of a test image predicted
 * exactly like the test image itself (same scaling as the data loader), the recommendation, one-line errors,
 * and SIGTERM honoured within a second.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { loadDataset } from '../../src/core/data/dataset';
import { encodePng } from '../../src/core/data/png';
import { isSampleResult, type SampleResult } from '../../src/protocol/sample';
import { tempDir } from '../core/io/ioTestUtil';
import { CLI as cli, ensureCliBuilt, runElsa } from '../helpers/cli';

const tmp = tempDir('elsa-predict-');
after(tmp.cleanup);

const elsa = (args: string[]) => runElsa(args, tmp.dir);

function json(args: string[]): SampleResult {
  const r = elsa([...args, '--json', '--backend', 'wasm']);
  assert.equal(r.code, 0, r.stderr);
  const v: unknown = JSON.parse(r.stdout);
  assert.ok(isSampleResult(v), `not a SampleResult: ${r.stdout.slice(0, 300)}`);
  return v;
}

describe('elsa predict', () => {
  const ckpt = tmp.file('runs/tiny/tiny.elsa.safetensors');
  before(() => {
    ensureCliBuilt();
    const config = {
      name: 'tiny', model: { type: 'mlp' }, data: { name: 'fashion-mnist-small', limitTrain: 1500 }, levels: [0.9, 0.5],
      sparsifier: { type: 'gmp', scope: 'global' }, epochs: { warmup: 1, perPhase: 1, dense: 1 }, batchSize: 64, seed: 2, outDir: 'runs/tiny',
    };
    writeFileSync(tmp.file('tiny.elsa.json'), JSON.stringify(config));
    const r = elsa(['train', 'tiny.elsa.json', '--backend', 'wasm']);
    assert.equal(r.code, 0, r.stderr);
  });

  it('predicts every level on test images, both paths agreeing, and recommends the sparsest right level', () => {
    const r = json(['predict', ckpt, '--sample', '0,1,2,3,4,5', '--runs', '4', '--warmup', '1']);
    assert.deepEqual(r.levels.map((l) => l.level), [1, 2, 3]);
    assert.deepEqual(r.inputs.map((x) => x.id), ['test #0', 'test #1', 'test #2', 'test #3', 'test #4', 'test #5']);
    assert.equal(r.classNames?.[9], 'Ankle boot');
    assert.match(r.source, /fashion-mnist-small \(embedded\) test split/);
    for (const l of r.levels) {
      assert.equal(l.denseLatency.runs, 4);
      assert.equal(l.sparseLatency?.runs, 4, `level ${l.level}: the sparse path ran`);
      assert.ok(l.maxLogitDiff! < 1e-4, `level ${l.level}: logits differ by ${l.maxLogitDiff}`);
      assert.ok(l.denseLatency.p10Ms <= l.denseLatency.medianMs && l.denseLatency.medianMs <= l.denseLatency.p90Ms);
      assert.equal(l.picked, l.sparseLatency!.medianMs < l.denseLatency.medianMs ? 'sparse' : 'dense');
      for (const p of l.predictions) {
        assert.equal(p.top[0].class, p.predicted);
        assert.equal(p.top.length, 3);
        assert.ok(p.top[0].p >= p.top[1].p && p.top[1].p >= p.top[2].p);
      }
    }
    assert.ok(Math.abs(r.levels[0].sparsity - 0.9) < 0.01);
    const right = (l: SampleResult['levels'][number]) => l.predictions.every((p) => p.correct);
    const first = r.levels.find(right);
    if (first) {
      assert.equal(r.recommended?.level, first.level);
      assert.equal(r.recommended?.command, `elsa extract ${ckpt} --level ${first.level} --format safetensors --out ${path.join(path.dirname(ckpt), 'exports', `tiny-level${first.level}.safetensors`)}`);
      // The command it prints is one the extract command takes.
      const out = elsa(r.recommended!.command.split(' ').slice(1));
      assert.equal(out.code, 0, out.stderr);
    } else {
      assert.match(r.noRecommendation ?? '', /no level is right on every labelled input/);
    }
  });

  it('predicts a PNG of a test image exactly as the test image (same scaling as the data loader)', async () => {
    const data = await loadDataset({ name: 'fashion-mnist-small', limitTrain: 1, limitTest: 8 });
    const bytes = Uint8Array.from(data.test.images.subarray(7 * 784, 8 * 784), (v) => Math.round(v * 255));
    const png = tmp.file('seven.png');
    writeFileSync(png, encodePng(28, 28, 1, bytes, (b) => deflateSync(b)));
    // an RGB copy of the same picture: converted to grey, the same input
    const rgb = tmp.file('seven-rgb.png');
    writeFileSync(rgb, encodePng(28, 28, 3, Uint8Array.from({ length: 784 * 3 }, (_, i) => bytes[Math.floor(i / 3)]), (b) => deflateSync(b)));
    const fromTest = json(['predict', ckpt, '--sample', '7', '--runs', '2', '--warmup', '0']);
    for (const file of [png, rgb]) {
      const fromFile = json(['predict', ckpt, '--image', file, '--runs', '2', '--warmup', '0']);
      assert.equal(fromFile.inputs[0].id, path.basename(file));
      assert.equal(fromFile.inputs[0].label, undefined);
      assert.deepEqual(fromFile.inputs[0].pixels, fromTest.inputs[0].pixels);
      fromFile.levels.forEach((l, i) => {
        assert.equal(l.predictions[0].predicted, fromTest.levels[i].predictions[0].predicted);
        assert.ok(Math.abs(l.predictions[0].confidence - fromTest.levels[i].predictions[0].confidence) < 1e-6);
      });
      // Without a label, "right" means what the dense level predicts.
      assert.match(fromFile.recommended?.reason ?? '', /predicts what the dense level predicts/);
    }
  });

  it('prints a table with both latencies and the extract command', () => {
    const r = elsa(['predict', ckpt, '--sample', '0', '--runs', '3', '--backend', 'wasm', '--level', '1,0']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /level\s+sparsity\s+test #0\s+dense ms \(p10–p90\)\s+sparse ms \(p10–p90\)\s+picked/);
    assert.match(r.stdout, /^1 +90\.\d\d %/m);
    assert.match(r.stdout, /^3 \(dense\) +0\.00 %/m);
    assert.match(r.stdout, /Dense and sparse paths agree/);
    assert.match(r.stderr, /\[2\/2\] level 3: dense [\d.]+ ms/);
  });

  it('refuses bad input in one line', () => {
    const wrong = tmp.file('wide.png');
    writeFileSync(wrong, encodePng(32, 28, 1, new Uint8Array(32 * 28), (b) => deflateSync(b)));
    const cases: [string[], number, RegExp][] = [
      [['--image', wrong], 1, /^DataError: .*wide\.png: the image is 28×32×1 \(H×W×C\), the model takes 28×28×1; resize it first$/],
      [['--image', tmp.file('missing.png')], 1, /^DataError: .*missing\.png: file not found$/],
      [['--sample', '5000'], 1, /^DataError: embedded: sample 5000 is out of range: the test split has 1000 images \(0–999\)$/],
      [['--sample', '1,x'], 2, /^UsageError: predict: --sample must be a comma-separated list of numbers/],
      [['--runs', '0'], 2, /^UsageError: predict: --runs must be an integer from 1 to 10000, got 0$/],
      [['--level', '7'], 1, /^CheckpointError: .*tiny\.elsa\.safetensors: level 7/],
    ];
    for (const [args, code, pattern] of cases) {
      const r = elsa(['predict', ckpt, ...args, '--backend', 'wasm']);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(lines[0], pattern);
    }
  });

  it('stops within a second of SIGTERM (exit 130)', async () => {
    const child = spawn(process.execPath, [cli, 'predict', ckpt, '--runs', '10000', '--backend', 'wasm'], { cwd: tmp.dir, env: { ...process.env, ELSA_TRACE: '1' } });
    let stderr = '';
    const started = new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // Into the timing loop: past start-up, the checkpoint and the data.
      if (/level \d/.test(stderr) || stderr.includes('predict started')) setTimeout(resolve, 1500);
    }));
    await started;
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const took = Date.now() - t0;
    assert.equal(code, 130, stderr);
    assert.ok(took < 1000, `stopped after ${took} ms`);
  });
});
