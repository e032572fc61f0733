/** N:M structured sparsity detection (io/nmPattern.ts), and F16/BF16 values through decode and statistics. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NmAccumulator, nmPatternOf } from '../../../src/core/io/nmPattern';
import { decodeTensorData } from '../../../src/core/io/dtype';
import { memoryByteSource } from '../../../src/core/io/byteSource';
import { StatsAccumulator, statsOf, streamTensorStats } from '../../../src/core/io/tensorStats';
import { seededRandom } from './ioTestUtil';

const share = (r: ReturnType<typeof nmPatternOf>, p: string) => r!.patterns.find((x) => x.pattern === p);

/** [rows, cols] values, nonzero except where `zero(r, c)`. */
function matrix(rows: number, cols: number, zero: (r: number, c: number) => boolean, seed = 1): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: rows * cols }, (_, i) => (zero(Math.floor(i / cols), i % cols) ? 0 : 0.5 + rand()));
}

describe('N:M pattern detection', () => {
  it('2:4 along the last axis (PyTorch [out, in]) holds in every group', () => {
    const r = nmPatternOf([6, 16], matrix(6, 16, (_r, c) => c % 4 === 1 || c % 4 === 2));
    assert.equal(r!.holds, '2:4');
    assert.deepEqual([share(r, '2:4')!.share, share(r, '2:4')!.axis, share(r, '2:4')!.groups], [1, 'last', 24]);
    assert.equal(share(r, '4:8')!.share, 1); // 2:4 implies 4:8
    assert.equal(share(r, '1:4')!.share, 0);
  });

  it('2:4 along the first axis (TF.js [in, out]) is found there, not along the last', () => {
    const r = nmPatternOf([8, 5], matrix(8, 5, (row) => row % 4 < 2));
    assert.equal(r!.holds, '2:4');
    assert.equal(share(r, '2:4')!.axis, 'first');
    // The columns are 5 long, not a multiple of 4: the last-axis order cannot be tried at all.
    const acc = new NmAccumulator([8, 5]);
    acc.add(0, matrix(8, 5, (row) => row % 4 < 2));
    assert.equal(acc.result()!.patterns.length, 3);
  });

  it('1:4 is reported as the sparsest pattern that holds', () => {
    const r = nmPatternOf([4, 8], matrix(4, 8, (_r, c) => c % 4 !== 3));
    assert.equal(r!.holds, '1:4');
  });

  it('dense and unstructured 50 %-sparse tensors are not N:M; the share is the fraction of groups that fit', () => {
    assert.equal(nmPatternOf([16, 16], matrix(16, 16, () => false))!.holds, undefined);
    assert.equal(share(nmPatternOf([16, 16], matrix(16, 16, () => false)), '2:4')!.share, 0);
    // The first four rows zero, the rest dense: half the groups fit 2:4 either way (a tie reports `last`).
    const half = nmPatternOf([8, 8], matrix(8, 8, (row) => row < 4));
    // … but every column's group of 8 rows has exactly 4 zeros: 4:8 along the first axis.
    assert.equal(half!.holds, '4:8');
    assert.equal(share(half, '4:8')!.axis, 'first');
    assert.equal(share(half, '2:4')!.share, 0.5);
    assert.equal(share(half, '2:4')!.axis, 'last');
    // One group breaks 2:4 (three nonzeros): holds no more, share 23/24.
    const broken = matrix(6, 16, (_r, c) => c % 4 === 1 || c % 4 === 2);
    broken[1] = 7;
    const b = nmPatternOf([6, 16], broken);
    assert.equal(b!.holds, undefined); // 4:8 fails too: that group of 8 now has 5 nonzeros
    assert.equal(share(b, '2:4')!.share, 23 / 24);
  });

  it('vectors and empty tensors have no N:M; NaN counts as a nonzero', () => {
    assert.equal(nmPatternOf([16], new Float32Array(16)), undefined);
    assert.equal(nmPatternOf([0, 4], new Float32Array(0)), undefined);
    assert.equal(nmPatternOf([1, 4], Float32Array.from([0, 0, NaN, NaN]))!.holds, '2:4');
    assert.equal(nmPatternOf([1, 4], Float32Array.from([0, NaN, NaN, NaN]))!.holds, undefined);
  });

  it('chunked input gives the whole-tensor answer; a gap drops only the orders it cuts', () => {
    const rand = seededRandom(3);
    const data = Float32Array.from({ length: 12 * 20 }, () => (rand() < 0.5 ? 0 : rand()));
    const whole = nmPatternOf([12, 20], data);
    const acc = new NmAccumulator([12, 20]);
    for (let i = 0; i < data.length; i += 7) acc.add(i, data.subarray(i, i + 7));
    assert.deepEqual(acc.result(), whole);
    const gapped = new NmAccumulator([12, 20]);
    gapped.add(0, data.subarray(0, 80));
    gapped.add(160, data.subarray(160)); // skips whole 4- and 8-groups along the last axis
    assert.ok(gapped.result()!.patterns.every((p) => p.axis === 'last'));
  });
});

describe('F16 and BF16 values', () => {
  const f16 = (...bits: number[]) => decodeTensorData('F16', new Uint8Array(Uint16Array.from(bits).buffer)) as Float32Array;
  const bf16 = (...bits: number[]) => decodeTensorData('BF16', new Uint8Array(Uint16Array.from(bits).buffer)) as Float32Array;

  it('decode known bit patterns: normals, subnormals, signed zero, infinities, NaN', () => {
    assert.deepEqual(Array.from(f16(0x3c00, 0xc000, 0x7bff, 0x0400, 0x0001, 0x03ff, 0x8000, 0x7c00, 0xfc00)),
      [1, -2, 65504, 2 ** -14, 2 ** -24, 1023 * 2 ** -24, -0, Infinity, -Infinity]);
    assert.ok(Number.isNaN(f16(0x7e00)[0] as number));
    assert.ok(Object.is(f16(0x8000)[0], -0));
    assert.deepEqual(Array.from(bf16(0x3f80, 0xc000, 0x7f7f, 0x0080, 0x0001, 0x8000, 0x7f80, 0xff80)),
      [1, -2, 3.3895313892515355e38, 2 ** -126, 2 ** -133, -0, Infinity, -Infinity]);
    assert.ok(Number.isNaN(bf16(0x7fc0)[0] as number));
  });

  it('statistics: subnormals are nonzero, -0 is a zero, NaN is counted apart, infinities bound min/max', async () => {
    const bits = [0x0001, 0x8000, 0x0000, 0x3c00, 0x7e00, 0xfc00, 0x7c00, 0x8001];
    const bytes = new Uint8Array(Uint16Array.from(bits).buffer);
    const s = await streamTensorStats(memoryByteSource(bytes, 'x'), 'F16', 0, bytes.byteLength, 1 << 20, [2, 4]);
    assert.deepEqual([s.count, s.zeros, s.nans, s.min, s.max], [8, 2, 1, -Infinity, Infinity]);
    const b = statsOf(bf16(0x0001, 0x0000, 0x4040, 0xbf80), [1, 4]); // 2^-133, 0, 3, -1
    assert.deepEqual([b.zeros, b.min, b.max, b.mean], [1, -1, 3, (2 ** -133 + 3 - 1) / 4]);
    assert.equal(b.nm!.holds, undefined);
    const acc = new StatsAccumulator([1, 4]);
    acc.add(f16(0x0000, 0x0001, 0x8000, 0x3c00));
    assert.equal(acc.result().nm!.holds, '2:4'); // -0 and +0 are the two zeros; the subnormal is a weight
  });
});
