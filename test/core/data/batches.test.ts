import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchIterator, epochPermutation } from '../../../src/core/data/batches';
import type { Split } from '../../../src/core/data/dataset';
import { createRng } from '../../../src/core/random';

/** Sample i has every pixel = i and label i, so a batch tells which samples it holds. */
function indexSplit(count: number, sampleSize: number): Split {
  const images = new Float32Array(count * sampleSize);
  for (let i = 0; i < count; i++) images.fill(i, i * sampleSize, (i + 1) * sampleSize);
  return { images, labels: Int32Array.from({ length: count }, (_, i) => i), count };
}

function collect(it: BatchIterator, epoch: number): { labels: number[]; sizes: number[] } {
  const labels: number[] = [];
  const sizes: number[] = [];
  for (const b of it.epoch(epoch)) {
    sizes.push(b.size);
    assert.equal(b.labels.length, b.size);
    assert.equal(b.images.length, b.size * it.sampleSize);
    for (let j = 0; j < b.size; j++) {
      labels.push(b.labels[j]);
      for (let k = 0; k < it.sampleSize; k++) assert.equal(b.images[j * it.sampleSize + k], b.labels[j]);
    }
  }
  return { labels, sizes };
}

test('every sample appears exactly once per epoch, images matching labels, over random sizes', () => {
  const rng = createRng(9);
  for (let trial = 0; trial < 25; trial++) {
    const count = 1 + rng.int(100);
    const batchSize = 1 + rng.int(20);
    const it = new BatchIterator(indexSplit(count, 1 + rng.int(5)), { batchSize, seed: trial });
    const { labels, sizes } = collect(it, rng.int(5));
    assert.deepEqual([...labels].sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i));
    assert.equal(sizes.length, it.batchesPerEpoch);
    assert.equal(sizes.length, Math.ceil(count / batchSize));
    assert.ok(sizes.slice(0, -1).every((s) => s === batchSize));
  }
});

test('the order depends only on (seed, epoch): reproducible, different across epochs and seeds', () => {
  const split = indexSplit(50, 2);
  const a = new BatchIterator(split, { batchSize: 8, seed: 1 });
  const b = new BatchIterator(split, { batchSize: 8, seed: 1 });
  collect(b, 0); // b has already run an epoch: epoch 3 must not depend on it
  assert.deepEqual(collect(a, 3).labels, collect(b, 3).labels);
  assert.notDeepEqual(collect(a, 0).labels, collect(a, 1).labels);
  assert.notDeepEqual(collect(a, 0).labels, collect(new BatchIterator(split, { batchSize: 8, seed: 2 }), 0).labels);
  assert.deepEqual(Array.from(epochPermutation(50, 1, 3)), collect(a, 3).labels);
});

test('dropLast skips the short batch; shuffle false keeps the order', () => {
  const split = indexSplit(10, 1);
  const dropped = new BatchIterator(split, { batchSize: 4, seed: 0, dropLast: true });
  const { sizes, labels } = collect(dropped, 0);
  assert.deepEqual(sizes, [4, 4]);
  assert.equal(new Set(labels).size, 8);
  assert.deepEqual(collect(new BatchIterator(split, { batchSize: 4, seed: 0, shuffle: false }), 0).labels, Array.from({ length: 10 }, (_, i) => i));
  assert.deepEqual(collect(new BatchIterator(split, { batchSize: 5, seed: 0, dropLast: true }), 0).sizes, [5, 5]);
});

test('batches reuse the same buffers (no per-step allocation)', () => {
  const it = new BatchIterator(indexSplit(20, 3), { batchSize: 6, seed: 4 });
  const buffers = new Set<ArrayBufferLike>();
  const views = new Set<Float32Array>();
  for (let epoch = 0; epoch < 3; epoch++) {
    for (const b of it.epoch(epoch)) {
      buffers.add(b.images.buffer);
      buffers.add(b.labels.buffer);
      views.add(b.images);
    }
  }
  assert.equal(buffers.size, 2);
  assert.equal(views.size, 2); // the full-batch view and the tail view
});

test('invalid options are rejected', () => {
  assert.throws(() => new BatchIterator(indexSplit(4, 1), { batchSize: 0, seed: 0 }), RangeError);
  assert.throws(() => new BatchIterator({ images: new Float32Array(5), labels: new Int32Array(2), count: 2 }, { batchSize: 1, seed: 0 }), RangeError);
});
