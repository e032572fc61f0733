/**
 * Mini-batches for training: a seeded permutation per epoch, copied into buffers allocated once, so a
 * training step allocates nothing here (the trainer turns the views into tensors).
 * Epoch e's order depends only on (seed, e), so a resumed run sees the same batches as an unbroken one.
 */
import { createRng } from '../random';
import type { Split } from './dataset';

export interface BatchOptions {
  batchSize: number;
  seed: number;
  /** Shuffle every epoch (default true); false keeps the split's order. */
  shuffle?: boolean;
  /** Skip the last batch when it would be smaller than batchSize (default false). */
  dropLast?: boolean;
}

/** One batch. Its arrays are views into buffers reused by the next batch: copy what must outlive the step. */
export interface Batch {
  /** size * sampleSize floats. */
  images: Float32Array;
  labels: Int32Array;
  size: number;
  /** Index of this batch within its epoch. */
  index: number;
}

/** The sample order of one epoch; depends only on (count, seed, epoch). */
export function epochPermutation(count: number, seed: number, epoch: number, into?: Int32Array): Int32Array {
  const order = into ?? new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  // Derive the epoch's stream from the run seed; the multiplier keeps (seed, epoch) pairs apart.
  createRng(Math.imul(seed | 0, 0x01000193) ^ Math.imul(epoch + 1, 0x5bd1e995)).shuffle(order);
  return order;
}

export class BatchIterator {
  readonly batchSize: number;
  readonly sampleSize: number;
  readonly batchesPerEpoch: number;
  private readonly split: Split;
  private readonly seed: number;
  private readonly shuffle: boolean;
  private readonly order: Int32Array;
  private readonly imageBuffer: Float32Array;
  private readonly labelBuffer: Int32Array;
  private readonly fullBatch: Batch;
  private readonly tailBatch: Batch | undefined;

  constructor(split: Split, options: BatchOptions) {
    const { batchSize, seed } = options;
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    if (split.count <= 0 || split.images.length % split.count !== 0) {
      throw new RangeError(`split of ${split.count} samples cannot hold ${split.images.length} image values`);
    }
    this.split = split;
    this.batchSize = batchSize;
    this.seed = seed;
    this.shuffle = options.shuffle ?? true;
    this.sampleSize = split.images.length / split.count;
    const tail = split.count % batchSize;
    const dropLast = options.dropLast ?? false;
    this.batchesPerEpoch = Math.floor(split.count / batchSize) + (tail > 0 && !dropLast ? 1 : 0);
    this.order = new Int32Array(split.count);
    this.imageBuffer = new Float32Array(batchSize * this.sampleSize);
    this.labelBuffer = new Int32Array(batchSize);
    this.fullBatch = { images: this.imageBuffer, labels: this.labelBuffer, size: batchSize, index: 0 };
    this.tailBatch =
      tail > 0 && !dropLast
        ? { images: this.imageBuffer.subarray(0, tail * this.sampleSize), labels: this.labelBuffer.subarray(0, tail), size: tail, index: 0 }
        : undefined;
  }

  /** The batches of epoch `epoch` (0-based). Each yielded batch is valid until the next one is requested. */
  *epoch(epoch: number): Generator<Batch, void, undefined> {
    const { order, sampleSize, imageBuffer, labelBuffer } = this;
    const { images, labels, count } = this.split;
    if (this.shuffle) epochPermutation(count, this.seed, epoch, order);
    else for (let i = 0; i < count; i++) order[i] = i;
    for (let b = 0; b < this.batchesPerEpoch; b++) {
      const start = b * this.batchSize;
      const size = Math.min(this.batchSize, count - start);
      for (let j = 0; j < size; j++) {
        const sample = order[start + j];
        // A plain loop, not subarray(): no view object per sample.
        const from = sample * sampleSize;
        const to = j * sampleSize;
        for (let k = 0; k < sampleSize; k++) imageBuffer[to + k] = images[from + k];
        labelBuffer[j] = labels[sample];
      }
      const batch = size === this.batchSize ? this.fullBatch : (this.tailBatch as Batch);
      batch.index = b;
      yield batch;
    }
  }
}
