/**
 * The heatmap and histogram of a safetensors layer are computed from 4 MiB chunks (a 1 GiB layer of a sharded
 * model in bounded memory). Streamed, they must be exactly what the in-memory path gives for the same tensor:
 * the same grid, cell codes, cell values, shares and bins — for F32/F16/BF16, chunks that end mid-row, exact and
 * downsampled grids, NaN and ±0, one file and a sharded model.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { heatmapFromStore, histogramFromStore } from '../../src/core/inspectStore';
import { fileByteSource } from '../../src/core/io/byteSource';
import { encodeSafetensors } from '../../src/core/io/safetensors';
import { fileShardOpener } from '../../src/core/io/tfjsModel';
import { openSafetensorsStore, openShardedSafetensorsStore, type TensorStore } from '../../src/core/tensorStore';
import { createRng } from '../../src/core/random';
import { smallLayout, writeShardedModel } from '../e2e/harness/shardedModel';
import { readFileSync, statSync } from 'node:fs';

const dir = mkdtempSync(path.join(tmpdir(), 'elsa-streamed-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The same store without streaming: every view reads the whole tensor. */
const inMemory = (store: TensorStore): TensorStore => ({ ...store, streamValues: undefined });

async function assertSameViews(store: TensorStore, name: string, maxCells: number): Promise<void> {
  assert.ok(store.streamValues, 'the store streams');
  const streamed = await heatmapFromStore(store, name, maxCells);
  const whole = await heatmapFromStore(inMemory(store), name, maxCells);
  assert.deepEqual(streamed, whole, `${name} heatmap at ${maxCells} cells`);
  assert.deepEqual(await histogramFromStore(store, name, 37), await histogramFromStore(inMemory(store), name, 37), `${name} histogram`);
}

describe('streamed heatmap and histogram', () => {
  const rng = createRng(5);
  // 1,500 × 1,001 F32 is 6 MB: the 4 MiB chunk boundary falls inside a row.
  const big = Float32Array.from({ length: 1500 * 1001 }, (_, i) => (i % 7 === 0 ? 0 : i % 11 === 0 ? -0 : rng.normal()));
  big[12345] = NaN;
  big[1500 * 1001 - 1] = NaN;
  // A layer that is mostly zero, in rows: cells where zero and nonzero tie must agree too.
  const striped = Float32Array.from({ length: 64 * 30 }, (_, i) => (Math.floor(i / 30) % 2 === 0 ? 0 : 1 + (i % 3)));
  const file = path.join(dir, 'one.safetensors');
  writeFileSync(file, Buffer.concat(encodeSafetensors({
    big: { dtype: 'F32', shape: [1500, 1001], data: big },
    conv: { dtype: 'F32', shape: [3, 3, 16, 8], data: Float32Array.from({ length: 1152 }, (_, i) => (i % 5 === 0 ? 0 : Math.sin(i))) },
    vector: { dtype: 'F32', shape: [777], data: Float32Array.from({ length: 777 }, (_, i) => (i % 2 ? 0 : i)) },
    striped: { dtype: 'F32', shape: [64, 30], data: striped },
  })));

  it('one safetensors file: big (chunks end mid-row, NaN, ±0), conv, a vector, ties', async () => {
    const store = await openSafetensorsStore(fileByteSource(file));
    try {
      for (const cells of [160 * 160, 1000, 7]) await assertSameViews(store, 'big', cells);
      for (const name of ['conv', 'vector', 'striped']) for (const cells of [1 << 20, 100, 3]) await assertSameViews(store, name, cells);
    } finally {
      await store.close();
    }
  });

  it('a sharded model with F32, F16 and BF16 layers', async () => {
    const model = writeShardedModel(dir, smallLayout(), 3);
    const store = await openShardedSafetensorsStore(readFileSync(model.index, 'utf8'), 'model.safetensors.index.json', statSync(model.index).size, fileShardOpener(model.index));
    try {
      // Histograms first: their range pass runs on its own (later, the heatmap's pass gives the range).
      for (const t of model.tensors) assert.deepEqual(await histogramFromStore(store, t.name, 48), await histogramFromStore(inMemory(store), t.name, 48), t.name);
      for (const t of model.tensors) await assertSameViews(store, t.name, 160 * 160);
    } finally {
      await store.close();
    }
  });

  it('reads a layer larger than the in-memory view limit, one chunk at a time', async () => {
    // Only the chunks come into memory: a store whose whole-tensor read fails still answers.
    const store = await openSafetensorsStore(fileByteSource(file));
    const chunks: number[] = [];
    const streaming: TensorStore = {
      ...store,
      readValues: async () => { throw new Error('must not read the whole tensor'); },
      streamValues: (name, onChunk) => store.streamValues!(name, (start, data) => { chunks.push(data.length); onChunk(start, data); }),
    };
    try {
      const hm = await heatmapFromStore(streaming, 'big', 160 * 160);
      assert.equal(hm.sourceRows * hm.sourceCols, 1500 * 1001);
      assert.ok(Math.max(...chunks) <= (4 << 20) / 4, `chunks of at most 4 MiB, got ${Math.max(...chunks)} values`);
      assert.ok(chunks.length >= 2);
    } finally {
      await store.close();
    }
  });
});
