/**
 * One contract suite (docs/format.md) against checkpoints from both engines -- a run of the built-in engine
 * (the CNN, via the CLI) and a run of elsa_torch -- and the cross-engine guarantees: the TypeScript CLI
 * extracts a level of a PyTorch-written checkpoint bit for bit as elsa_torch does (and the other way round),
 * and elsa_torch runs a TypeScript-written CNN to the same test accuracy and loss as `elsa eval`.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { HostTensor } from '../../src/core/io/dtype';
import { readSafetensorsSync } from '../../src/core/io/safetensors';
import { readSparseLevel } from '../../src/core/io/sparseFormat';
import { checkCheckpointContract, checkEventsContract } from './contract';
import { REPO, ok, runCli, runPython, torchSkip } from './torchEnv';

const dir = mkdtempSync(path.join(tmpdir(), 'elsa-contract-'));
const runs = {
  torch: { checkpoint: path.join(dir, 'torch', 'torch-cnn.elsa.safetensors'), events: path.join(dir, 'torch', 'events.jsonl'), K: 4 },
  typescript: { checkpoint: path.join(dir, 'ts', 'runs', 'ts-cnn', 'ts-cnn.elsa.safetensors'), events: path.join(dir, 'ts', 'runs', 'ts-cnn', 'events.jsonl'), K: 2 },
};
const DATA = path.join(REPO, 'data', 'fashion-mnist-small');

/** The stored bits of a tensor: float32 bit patterns, other dtypes by value. */
function bitsOf(t: HostTensor): string[] {
  const data = t.data instanceof Float32Array ? new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length) : t.data;
  return Array.from(data as ArrayLike<number | bigint>, (v) => `${t.dtype}:${v}`);
}

/** Both files hold the same tensors, names and order, bit for bit. */
function assertSameTensors(a: Record<string, HostTensor>, b: Record<string, HostTensor>, what: string) {
  assert.deepEqual(Object.keys(a), Object.keys(b), `${what}: tensor names`);
  for (const name of Object.keys(a)) {
    assert.deepEqual(a[name].shape, b[name].shape, `${what}: ${name} shape`);
    assert.deepEqual(bitsOf(a[name]), bitsOf(b[name]), `${what}: ${name} differs`);
  }
}

describe('PyTorch engine: one contract, two engines', { skip: torchSkip() }, () => {
  before(() => {
    ok(runPython([path.join('python', 'tests', 'make_run.py'), path.dirname(runs.torch.checkpoint)]), 'elsa_torch run');
    const tsDir = path.dirname(path.dirname(path.dirname(runs.typescript.checkpoint)));
    const config = path.join(tsDir, 'ts-cnn.elsa.json');
    mkdirSync(tsDir, { recursive: true });
    writeFileSync(config, JSON.stringify({
      name: 'ts-cnn', model: { type: 'cnn' }, levels: [0.9, 0.5], epochs: { warmup: 1, perPhase: 1, dense: 1 }, batchSize: 32,
      data: { path: DATA, limitTrain: 192, limitTest: 200 }, backend: 'wasm', evalEvery: 'phase', smallParams: 'perLevel',
    }));
    ok(runCli(['train', config]), 'elsa train (built-in engine)');
  });

  for (const engine of ['typescript', 'torch'] as const) {
    it(`${engine}-written checkpoint meets the contract (codes, packing, small params, extraction, inspect, dashboard)`, async () => {
      const meta = await checkCheckpointContract(runs[engine].checkpoint);
      assert.equal(meta.targets.length, runs[engine].K);
    });
    it(`${engine}-written events.jsonl meets the contract (every event's shape, phases, levels, status bar)`, () => {
      checkEventsContract(runs[engine].events, runs[engine].K);
    });
  }

  it('a PyTorch checkpoint records what the editor shows: provenance, torch topology', async () => {
    const meta = await checkCheckpointContract(runs.torch.checkpoint);
    assert.equal(meta.provenance?.tool, 'elsa_torch');
    assert.equal((meta.topology as { format?: string }).format, 'torch-module/1');
    assert.deepEqual((meta.config as { engine?: { type?: string } }).engine?.type, 'torch');
  });

  for (const engine of ['torch', 'typescript'] as const) {
    for (const format of ['safetensors', 'sparse'] as const) {
      it(`extracting a ${engine}-written checkpoint: elsa CLI and elsa_torch give the same ${format} tensors, bit for bit`, async () => {
        for (const level of [1, 2, runs[engine].K + 1]) {
          const ts = path.join(dir, `${engine}-ts-l${level}.${format}.safetensors`);
          const py = path.join(dir, `${engine}-py-l${level}.${format}.safetensors`);
          ok(runCli(['extract', runs[engine].checkpoint, '--level', String(level), '--format', format, '--out', ts]), 'elsa extract');
          ok(runPython(['-m', 'elsa_torch', 'extract', runs[engine].checkpoint, '--level', String(level), '--format', format, '--out', py]), 'elsa_torch extract');
          if (format === 'safetensors') {
            const a = readSafetensorsSync(ts);
            const b = readSafetensorsSync(py);
            assertSameTensors(a.tensors, b.tensors, `level ${level}`);
            assert.deepEqual(JSON.parse(b.header.metadata['elsa-level']).level, level);
          } else {
            const a = await readSparseLevel(ts);
            const b = await readSparseLevel(py);
            assertSameTensors(a.tensors, b.tensors, `level ${level} (sparse)`);
            assert.deepEqual(a.info.tensors, b.info.tensors, 'same encodings and nnz per tensor');
          }
        }
      });
    }
  }

  it('elsa_torch runs a TypeScript-trained CNN level as `elsa eval` does (accuracy equal, loss to float tolerance)', () => {
    for (const level of [1, 3]) {
      const ts = JSON.parse(ok(runCli(['eval', runs.typescript.checkpoint, '--level', String(level), '--data', DATA, '--json']), 'elsa eval'));
      const py = JSON.parse(ok(runPython(['-m', 'elsa_torch', 'eval', runs.typescript.checkpoint, '--level', String(level), '--data', DATA, '--json']), 'elsa_torch eval'));
      const a = ts.levels[0];
      const b = py.levels[0];
      assert.equal(b.level, level);
      assert.ok(a.accuracy > 0.2, `level ${level} learned something (${a.accuracy})`);
      assert.equal(b.accuracy, a.accuracy, `level ${level}: accuracy`);
      assert.ok(Math.abs(a.loss - b.loss) < 1e-4 * Math.max(1, a.loss), `level ${level}: loss ${a.loss} vs ${b.loss}`);
    }
  });

  it('the built-in CLI refuses to evaluate or TF.js-export a PyTorch module, in one line', () => {
    for (const args of [['eval', runs.torch.checkpoint, '--data', DATA], ['extract', runs.torch.checkpoint, '--level', '1', '--format', 'tfjs', '--out', path.join(dir, 'x')]]) {
      const r = runCli(args);
      assert.notEqual(r.status, 0);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], /^ModelError: .*PyTorch module \(topology torch-module\/1\)/);
    }
  });
});
