/**
 * Streaming weight statistics: tensors are fed in chunks, so a multi-gigabyte tensor costs one chunk of
 * memory. Mean and variance merge per-chunk results (Chan et al.), which stays accurate where a running
 * sum of squares would cancel.
 */
import type { DType } from '../../protocol/checkpoint';
import type { ByteSource } from './byteSource';
import { DTYPE_SIZE, type HostTensorData, decodeTensorData } from './dtype';
import { NmAccumulator, type NmReport } from './nmPattern';

export interface TensorStats {
  /** Elements the statistics cover (fewer than the tensor's when `sampled`). */
  count: number;
  zeros: number;
  /** zeros / count. */
  zeroShare: number;
  nans: number;
  /** Over non-NaN elements; NaN when there are none. */
  min: number;
  max: number;
  mean: number;
  std: number;
  /** True when the tensor exceeded the byte cap and evenly spaced chunks stood in for it. */
  sampled: boolean;
  /** N:M structured sparsity of a rank >= 2 tensor (when the shape was given). */
  nm?: NmReport;
}

export class StatsAccumulator {
  private count = 0;
  private zeros = 0;
  private nans = 0;
  private min = Infinity;
  private max = -Infinity;
  private n = 0; // non-NaN elements
  private mean = 0;
  private m2 = 0;
  sampled = false;
  private readonly nm?: NmAccumulator;

  /** With a shape, N:M patterns are measured too (values must then arrive with their element index). */
  constructor(shape?: readonly number[]) {
    if (shape) this.nm = new NmAccumulator(shape);
  }

  /** `start`: the element index of data[0] in the tensor (defaults to right after the previous chunk). */
  add(data: HostTensorData, start = this.count): void {
    const len = data.length;
    let cn = 0;
    let sum = 0;
    const values = data instanceof BigInt64Array ? Float64Array.from(data, (b) => Number(b)) : data;
    for (let i = 0; i < len; i++) {
      const v = values[i] as number;
      if (v !== v) { this.nans++; continue; }
      if (v === 0) this.zeros++;
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
      sum += v;
      cn++;
    }
    this.count += len;
    this.nm?.add(start, values as ArrayLike<number>);
    if (cn === 0) return;
    const cmean = sum / cn;
    let cm2 = 0;
    for (let i = 0; i < len; i++) {
      const v = values[i] as number;
      if (v === v) cm2 += (v - cmean) * (v - cmean);
    }
    const total = this.n + cn;
    const delta = cmean - this.mean;
    this.mean += (delta * cn) / total;
    this.m2 += cm2 + (delta * delta * this.n * cn) / total;
    this.n = total;
  }

  result(): TensorStats {
    const has = this.n > 0;
    const nm = this.nm?.result();
    return {
      count: this.count,
      zeros: this.zeros,
      zeroShare: this.count ? this.zeros / this.count : 0,
      nans: this.nans,
      min: has ? this.min : NaN,
      max: has ? this.max : NaN,
      mean: has ? this.mean : NaN,
      std: has ? Math.sqrt(this.m2 / this.n) : NaN,
      sampled: this.sampled,
      ...(nm ? { nm } : {}),
    };
  }
}

export const STATS_CHUNK_BYTES = 4 << 20;

/**
 * Statistics of a tensor's byte range [begin, begin+length) of `dtype`, read chunk by chunk; beyond
 * `maxBytes`, evenly spaced chunks totalling about `maxBytes` are read instead.
 */
export async function streamTensorStats(
  source: ByteSource, dtype: DType, begin: number, length: number, maxBytes: number, shape?: readonly number[],
): Promise<TensorStats> {
  const acc = new StatsAccumulator(shape);
  const size = DTYPE_SIZE[dtype];
  const chunk = Math.max(size, Math.floor(STATS_CHUNK_BYTES / size) * size);
  const chunks = Math.ceil(length / chunk);
  const keep = length > maxBytes ? Math.max(1, Math.floor(maxBytes / chunk)) : chunks;
  acc.sampled = keep < chunks;
  for (let j = 0; j < keep; j++) {
    const c = keep < chunks ? Math.floor((j * chunks) / keep) : j;
    const start = c * chunk;
    const n = Math.min(chunk, length - start);
    acc.add(decodeTensorData(dtype, await source.read(begin + start, n)), start / size);
  }
  return acc.result();
}

/**
 * Every value of a tensor's byte range [begin, begin+length) of `dtype`, decoded 4 MiB at a time and handed to
 * `onChunk` with the element index of its first value: a view of a multi-gigabyte tensor in one chunk of memory.
 */
export async function streamTensorValues(
  source: ByteSource, dtype: DType, begin: number, length: number, onChunk: (start: number, data: ArrayLike<number>) => void,
): Promise<void> {
  const size = DTYPE_SIZE[dtype];
  const chunk = Math.max(size, Math.floor(STATS_CHUNK_BYTES / size) * size);
  for (let at = 0; at < length; at += chunk) {
    const data = decodeTensorData(dtype, await source.read(begin + at, Math.min(chunk, length - at)));
    onChunk(at / size, data instanceof BigInt64Array ? Float64Array.from(data, (b) => Number(b)) : (data as ArrayLike<number>));
  }
}

export function statsOf(data: HostTensorData, shape?: readonly number[]): TensorStats {
  const acc = new StatsAccumulator(shape);
  acc.add(data);
  return acc.result();
}
