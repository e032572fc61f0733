import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileByteSource } from '../../../src/core/io/byteSource';
import { levelSparsity, writeElsaCheckpoint } from '../../../src/core/io/elsaCheckpoint';
import { inspectFile, inspectSafetensors } from '../../../src/core/io/inspect';
import { formatInspectReport } from '../../../src/core/io/inspectFormat';
import { type HostTensor, writeSafetensors } from '../../../src/core/io/safetensors';
import { writeSparseLevel } from '../../../src/core/io/sparseFormat';
import { writeTfjsModel } from '../../../src/core/io/tfjsModel';
import { randInt, randomTensor, seededRandom, tempDir } from './ioTestUtil';

const tmp = tempDir();
after(tmp.cleanup);

/** Reference statistics, computed the plain way. */
function naiveStats(values: ArrayLike<number | bigint>) {
  const v = Array.from(values, Number);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return {
    zeros: v.filter((x) => x === 0).length, min: Math.min(...v), max: Math.max(...v), mean,
    std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length),
  };
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

describe('inspection', () => {
  it('summarizes an ELSA checkpoint: levels, per-level sparsity of each weight, statistics', async () => {
    const rand = seededRandom(4);
    const K = 3;
    const kernel = randomTensor(rand, 'F32', [12, 7]);
    const codes = Uint8Array.from({ length: 84 }, () => randInt(rand, 1, K + 1));
    const file = tmp.file('run.elsa.safetensors');
    await writeElsaCheckpoint(file, {
      weights: { 'dense/kernel': kernel, 'dense/bias': randomTensor(rand, 'F32', [7]) },
      codes: { 'dense/kernel': codes },
      levelParams: { 1: { 'dense/bias': randomTensor(rand, 'F32', [7]) } },
      meta: {
        format: 'elsa/1', targets: [0.9, 0.7, 0.4], kind: 'elsa', smallParamsMode: 'frozen',
        levels: [{ index: 1, targetSparsity: 0.9, sparsity: levelSparsity(codes, 1), metrics: { accuracy: 0.81 } }],
        provenance: { tool: 'elsa', version: '0.1.0', backend: 'cpu', createdAt: '2026-11-25T09:00:00Z', seed: 4 },
        training: { status: 'training', phase: 1, epoch: 0, step: 120 },
      },
    });
    const report = await inspectFile(file);
    assert.equal(report.kind, 'elsa-checkpoint');
    assert.equal(report.totalParams, 84 + 7);
    assert.equal(report.elsa?.packing, 'bits2');
    assert.equal(report.elsa?.codeBytes, 21);
    assert.equal(report.elsa?.levels[0].accuracy, 0.81);
    const k = report.tensors.find((t) => t.name === 'dense/kernel')!;
    assert.equal(k.role, 'weight');
    assert.deepEqual(k.levelSparsity, [1, 2, 3, 4].map((level) => levelSparsity(codes, level)));
    const ref = naiveStats(kernel.data as Float32Array);
    close(k.stats!.mean, ref.mean, 'mean');
    close(k.stats!.std, ref.std, 'std');
    assert.equal(k.stats!.min, ref.min);
    assert.equal(k.stats!.max, ref.max);
    const text = formatInspectReport(report);
    assert.match(text, /ELSA checkpoint/);
    assert.match(text, /level\s+target\s+sparsity\s+accuracy/);
    assert.match(text, /81\.0 %/);
    assert.match(text, /training: training, phase 1/);
    assert.match(text, /dense\/kernel \*/);
  });

  it('reports any safetensors file, every dtype, with exact zero shares', async () => {
    const rand = seededRandom(8);
    const tensors: Record<string, HostTensor> = {
      f16: randomTensor(rand, 'F16', [5, 5]), i64: randomTensor(rand, 'I64', [9]), u8: { dtype: 'U8', shape: [4], data: new Uint8Array([0, 0, 3, 9]) },
      empty: { dtype: 'F32', shape: [0], data: new Float32Array(0) },
    };
    const file = tmp.file('plain.safetensors');
    await writeSafetensors(file, tensors, { format: 'pt', note: 'x'.repeat(500) });
    const report = await inspectFile(file);
    assert.equal(report.kind, 'safetensors');
    assert.ok(report.metadata.note.length <= 200, 'long metadata shortened');
    for (const t of report.tensors) {
      const ref = tensors[t.name];
      assert.equal(t.params, ref.data.length);
      if (ref.data.length === 0) { assert.ok(Number.isNaN(t.stats!.mean)); continue; }
      const n = naiveStats(ref.data as ArrayLike<number>);
      assert.equal(t.stats!.zeros, n.zeros, t.name);
      close(t.stats!.mean, n.mean, t.name);
    }
    assert.equal(report.tensors.find((t) => t.name === 'u8')!.stats!.zeroShare, 0.5);
    assert.doesNotThrow(() => formatInspectReport(report));
  });

  it('streams large tensors in bounded chunks, and samples beyond the cap', async () => {
    const n = 3_000_000;
    const rand = seededRandom(6);
    const data = Float32Array.from({ length: n }, () => (rand() < 0.3 ? 0 : 100 + rand()));
    const file = tmp.file('big.safetensors');
    await writeSafetensors(file, { big: { dtype: 'F32', shape: [n], data } });
    const source = fileByteSource(file);
    let largestRead = 0;
    const counting = { ...source, read: (o: number, len: number) => { largestRead = Math.max(largestRead, len); return source.read(o, len); } };
    try {
      const full = await inspectSafetensors(counting, file);
      assert.ok(largestRead <= 4 << 20, `largest read ${largestRead} bytes`);
      const s = full.tensors[0].stats!;
      assert.equal(s.sampled, false);
      assert.equal(s.count, n);
      let zeros = 0; let sum = 0;
      for (const v of data) { if (v === 0) zeros++; sum += v; }
      assert.equal(s.zeros, zeros);
      close(s.mean, sum / n, 'mean');
      const sampled = await inspectSafetensors(source, file, { maxStatsBytes: 4 << 20 });
      assert.equal(sampled.tensors[0].stats!.sampled, true);
      assert.ok(sampled.tensors[0].stats!.count < n);
      assert.ok(Math.abs(sampled.tensors[0].stats!.zeroShare - 0.3) < 0.01);
      assert.match(formatInspectReport(sampled), /~ statistics from evenly spaced chunks/);
    } finally {
      await source.close?.();
    }
  });

  it('reports the sparse format with its storage saving, and TF.js model.json files', async () => {
    const rand = seededRandom(12);
    const w = Float32Array.from({ length: 4000 }, () => (rand() < 0.9 ? 0 : rand()));
    const sparseFile = tmp.file('level1.sparse.safetensors');
    await writeSparseLevel(sparseFile, { w: { dtype: 'F32', shape: [40, 100], data: w } }, { source: { level: 1, checkpoint: 'run.elsa.safetensors' } });
    const sparse = await inspectFile(sparseFile);
    assert.equal(sparse.kind, 'elsa-sparse');
    assert.ok(sparse.sparse!.storedBytes < sparse.sparse!.denseF32Bytes / 5);
    assert.equal(sparse.tensors[0].encoding, 'bitmap');
    assert.ok(Math.abs(sparse.tensors[0].stats!.zeroShare - 0.9) < 0.03);
    assert.match(formatInspectReport(sparse), /x smaller\), level 1 of run\.elsa\.safetensors/);

    const dir = tmp.file('tfjs');
    mkdirSync(dir);
    await writeTfjsModel(path.join(dir, 'model.json'), { topology: { class_name: 'Sequential' }, weights: { 'dense/kernel': { dtype: 'F32', shape: [40, 100], data: w } } });
    const tfjs = await inspectFile(path.join(dir, 'model.json'));
    assert.equal(tfjs.kind, 'tfjs-layers');
    assert.equal(tfjs.tensors[0].params, 4000);
    assert.equal(tfjs.tensors[0].stats!.zeroShare, sparse.tensors[0].stats!.zeroShare);
  });

  it('aligns the tensor table columns', async () => {
    const rand = seededRandom(1);
    const file = tmp.file('align.safetensors');
    await writeSafetensors(file, { a: randomTensor(rand, 'F32', [3]), 'a/much/longer/name': randomTensor(rand, 'I32', [100, 20]) });
    const lines = formatInspectReport(await inspectFile(file)).split('\n');
    const head = lines.findIndex((l) => l.startsWith('tensor'));
    const rows = lines.slice(head, head + 3);
    const dtypeAt = rows[0].indexOf('dtype');
    assert.ok(rows.every((r) => r[dtypeAt - 1] === ' ' && r[dtypeAt] !== ' '), rows.join('\n'));
    const paramsEnd = rows[0].indexOf('params') + 'params'.length;
    assert.ok(rows.slice(1).every((r) => /\d/.test(r[paramsEnd - 1]) && r[paramsEnd] === ' '), rows.join('\n'));
  });
});
