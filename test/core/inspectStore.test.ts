import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildElsaCheckpoint } from '../../src/core/io/elsaCheckpoint';
import { memoryByteSource } from '../../src/core/io/byteSource';
import { encodeSafetensors } from '../../src/core/io/safetensors';
import { heatmapFromStore, histogramFromStore, summarizeStore, SUMMARY_READ_BUDGET_BYTES, SUMMARY_TENSOR_BYTES } from '../../src/core/inspectStore';
import { STATS_CHUNK_BYTES } from '../../src/core/io/tensorStats';
import { parseTfjsManifest } from '../../src/core/io/tfjsManifest';
import { openSafetensorsStore, openTfjsStore, type TensorStore } from '../../src/core/tensorStore';
import { isElsaError } from '../../src/core/errors';
import { concat } from '../helpers/compareFixture';

/** A 2-level ELSA checkpoint (K=2, codes 1..3) with a dense and a conv kernel and a bias. */
function elsaFile(): { bytes: Uint8Array; denseCodes: Uint8Array } {
  const denseCodes = Uint8Array.from({ length: 6 * 4 }, (_, i) => (i % 4 === 0 ? 1 : i % 4 === 1 ? 2 : 3));
  const convCodes = Uint8Array.from({ length: 3 * 3 * 2 * 4 }, (_, i) => 1 + (i % 3));
  const { tensors, meta } = buildElsaCheckpoint({
    weights: {
      'dense/kernel': { dtype: 'F32', shape: [6, 4], data: Float32Array.from({ length: 24 }, (_, i) => (i - 12) / 10) },
      'dense/bias': { dtype: 'F32', shape: [4], data: new Float32Array(4) },
      'conv/kernel': { dtype: 'F32', shape: [3, 3, 2, 4], data: Float32Array.from({ length: 72 }, (_, i) => Math.sin(i)) },
    },
    codes: { 'dense/kernel': denseCodes, 'conv/kernel': convCodes },
    meta: {
      format: 'elsa/1',
      targets: [0.75, 0.5],
      levels: [
        { index: 1, targetSparsity: 0.75, sparsity: 0.6875, metrics: { accuracy: 0.81 }, layerSparsity: { 'dense/kernel': 0.75 } },
        { index: 2, targetSparsity: 0.5, sparsity: 0.375, metrics: { accuracy: 0.84 }, layerSparsity: { 'dense/kernel': 0.5 } },
        { index: 3, targetSparsity: 0, sparsity: 0, dense: true, metrics: { accuracy: 0.86 } },
      ],
    },
  });
  return { bytes: concat(encodeSafetensors(tensors, { elsa: JSON.stringify(meta) })), denseCodes };
}

describe('TensorStore over an ELSA checkpoint', () => {
  it('lists the sparsifiable weights only, with the metadata', async () => {
    const store = await openSafetensorsStore(memoryByteSource(elsaFile().bytes, 'run.elsa.safetensors'));
    assert.deepEqual(store.layers.map((l) => l.name).sort(), ['conv/kernel', 'dense/kernel']);
    assert.equal(store.meta?.targets.length, 2);
    assert.ok(store.tensorCount >= 5);
  });

  it('summarizes levels per layer and passes the nesting check', async () => {
    const store = await openSafetensorsStore(memoryByteSource(elsaFile().bytes, 'run.elsa.safetensors'));
    const s = await summarizeStore(store, { uri: 'file:///run.elsa.safetensors', fileName: 'run.elsa.safetensors' });
    const dense = s.layers.find((l) => l.name === 'dense/kernel')!;
    assert.deepEqual(dense.levelSparsity, [0.75, 0.5, 0]);
    assert.equal(s.levelCount, 3);
    assert.equal(s.nestingOk, true, (s.nestingProblems ?? []).join('; '));
  });

  it('answers heatmap and histogram requests from the stored codes', async () => {
    const { bytes, denseCodes } = elsaFile();
    const store = await openSafetensorsStore(memoryByteSource(bytes, 'run.elsa.safetensors'));
    const h = await heatmapFromStore(store, 'dense/kernel', 1000);
    assert.equal(h.reduction, 'exact');
    assert.deepEqual(h.codes, Array.from(denseCodes));
    const conv = await heatmapFromStore(store, 'conv/kernel', 10);
    assert.equal(conv.sourceRows, 18);
    assert.ok(conv.rows * conv.cols <= 10);
    const hist = await histogramFromStore(store, 'dense/kernel', 8);
    assert.deepEqual(hist.counts.map((row) => row.reduce((a, b) => a + b, 0)), [6, 12, 24]);
  });

  it('names the file and the layer when asked for an unknown layer', async () => {
    const store = await openSafetensorsStore(memoryByteSource(elsaFile().bytes, 'run.elsa.safetensors'));
    await assert.rejects(heatmapFromStore(store, 'nope', 10), (e) => isElsaError(e) && e.message === 'run.elsa.safetensors: no weight tensor named "nope"');
  });
});

describe('TensorStore over a foreign safetensors file', () => {
  it('shows float tensors with their zero share, and zero/nonzero heatmaps', async () => {
    const bytes = concat(encodeSafetensors({
      'fc.weight': { dtype: 'F32', shape: [2, 2], data: Float32Array.from([0, 1, 0, 2]) },
      'step': { dtype: 'I64', shape: [], data: BigInt64Array.from([3n]) },
    }));
    const store = await openSafetensorsStore(memoryByteSource(bytes, 'torch.safetensors'));
    assert.deepEqual(store.layers.map((l) => l.name), ['fc.weight']);
    const s = await summarizeStore(store, { uri: 'u', fileName: 'torch.safetensors' });
    assert.deepEqual(s.layers[0].levelSparsity, [0.5]);
    assert.equal(s.levelCount, 0);
    const h = await heatmapFromStore(store, 'fc.weight', 100);
    assert.deepEqual(h.codes, [2, 1, 2, 1]);
  });

  it('rejects a truncated file with a one-line CheckpointError', async () => {
    const full = elsaFile().bytes;
    await assert.rejects(openSafetensorsStore(memoryByteSource(full.subarray(0, 40), 'cut.elsa.safetensors')), (e) => isElsaError(e) && e.message.startsWith('cut.elsa.safetensors: '));
  });
});

describe('TensorStore over a TF.js model', () => {
  const manifest = JSON.stringify({
    modelTopology: {},
    weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: [
      { name: 'd/kernel', shape: [2, 3], dtype: 'float32' },
      { name: 'd/bias', shape: [3], dtype: 'float32' },
    ] }],
  });
  const values = Float32Array.from([1, 0, 2, 0, 3, 0, 7, 8, 9]);
  const all = new Uint8Array(values.buffer);
  // The first shard ends in the middle of the bias, so a read has to span two files.
  const shards: Record<string, Uint8Array> = { 'group1-shard1of2.bin': all.slice(0, 28), 'group1-shard2of2.bin': all.slice(28) };

  it('reads weights across shard boundaries', async () => {
    const store = await openTfjsStore(manifest, 'model.json', manifest.length, async (p) => memoryByteSource(shards[p], p));
    assert.equal(store.fileSize, manifest.length + 36);
    assert.deepEqual(Array.from(await store.readValues('d/bias')), [7, 8, 9]);
    const s = await summarizeStore(store, { uri: 'u', fileName: 'model.json' });
    assert.deepEqual(s.layers.find((l) => l.name === 'd/kernel')!.levelSparsity, [0.5]);
  });

  it('says when a model.json is not a TF.js model', () => {
    assert.throws(() => parseTfjsManifest('{"name": "my-package"}', 'model.json'), /model\.json: not a TF\.js model \(no weightsManifest\)/);
  });
});

describe('summary of a foreign model with many large layers', () => {
  it('streams every layer, sharing the read budget out, never a whole tensor', async () => {
    const asked: number[] = [];
    const layers = Array.from({ length: 100 }, (_, i) => ({ name: `l${i}`, shape: [4096, 4096], dtype: 'F32' }));
    const store: TensorStore = {
      label: 'big', format: 'safetensors', fileSize: 100 * 64 * 2 ** 20, layers, tensorCount: 100,
      readValues: () => Promise.reject(new Error('read a whole tensor')),
      streamStats: async (_name, maxBytes) => {
        asked.push(maxBytes);
        const count = Math.max(STATS_CHUNK_BYTES, maxBytes) / 4; // whole 4 MiB chunks are read
        return { count, zeros: count / 2, zeroShare: 0.5, nans: 0, min: 0, max: 1, mean: 0.5, std: 0.5, sampled: true };
      },
      close: async () => {},
    };
    const s = await summarizeStore(store, { uri: 'u', fileName: 'big' });
    assert.equal(s.layers.filter((l) => l.levelSparsity[0] === 0.5 && l.sampled).length, 64, 'the 256 MiB budget covers 64 layers of one 4 MiB chunk');
    assert.ok(asked.every((b) => b >= STATS_CHUNK_BYTES && b <= SUMMARY_TENSOR_BYTES));
    assert.ok(asked.reduce((a, b) => a + Math.max(b, STATS_CHUNK_BYTES), 0) <= SUMMARY_READ_BUDGET_BYTES);
  });
});
