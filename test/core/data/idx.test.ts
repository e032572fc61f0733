import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isElsaError } from '../../../src/core/errors';
import { encodeIdxU8, parseIdx, readIdxFile } from '../../../src/core/data/idx';
import { createRng } from '../../../src/core/random';

const dir = mkdtempSync(path.join(tmpdir(), 'elsa-idx-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function dataErrorNaming(file: string, pattern: RegExp) {
  return (e: unknown) => isElsaError(e) && e.kind === 'DataError' && e.file === file && pattern.test(e.problem);
}

test('u8 IDX round-trips, raw and gzip, over random shapes', () => {
  const rng = createRng(5);
  for (let trial = 0; trial < 20; trial++) {
    const dims = Array.from({ length: 1 + rng.int(3) }, () => 1 + rng.int(6));
    const count = dims.reduce((a, b) => a * b, 1);
    const values = Uint8Array.from({ length: count }, () => rng.int(256));
    for (const gzip of [false, true]) {
      const file = path.join(dir, `t${trial}${gzip ? '.gz' : ''}`);
      writeFileSync(file, encodeIdxU8(dims, values, gzip));
      const idx = readIdxFile(file);
      assert.deepEqual(idx.dims, dims);
      assert.equal(idx.typeCode, 0x08);
      assert.deepEqual(Array.from(idx.values), Array.from(values));
    }
  }
});

test('gzip is detected by magic bytes, not the file name', () => {
  const file = path.join(dir, 'labels-no-extension');
  writeFileSync(file, encodeIdxU8([3], Uint8Array.from([1, 2, 3]), true));
  assert.deepEqual(Array.from(readIdxFile(file).values), [1, 2, 3]);
});

test('big-endian multi-byte types decode', () => {
  const header = Uint8Array.from([0, 0, 0x0b, 1, 0, 0, 0, 2]);
  const bytes = new Uint8Array(header.length + 4);
  bytes.set(header);
  new DataView(bytes.buffer).setInt16(8, -300, false);
  new DataView(bytes.buffer).setInt16(10, 513, false);
  const idx = parseIdx(bytes, 'x.idx');
  assert.ok(idx.values instanceof Int16Array);
  assert.deepEqual(Array.from(idx.values), [-300, 513]);
  const f = new Uint8Array(8 + 4);
  f.set([0, 0, 0x0d, 1, 0, 0, 0, 1]);
  new DataView(f.buffer).setFloat32(8, 1.5, false);
  assert.deepEqual(Array.from(parseIdx(f, 'f.idx').values), [1.5]);
});

test('bad magic, unknown type, truncation and trailing bytes are DataErrors naming the file', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['png.idx', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]), /not an IDX file/],
    ['type.idx', Uint8Array.from([0, 0, 0x42, 1, 0, 0, 0, 1, 7]), /unknown IDX value type 0x42/],
    ['short.idx', Uint8Array.from([0, 0]), /too short/],
    ['header.idx', Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 2]), /truncated IDX header/],
    ['body.idx', encodeIdxU8([4, 5], new Uint8Array(20)).subarray(0, 30), /truncated: dimensions \[4, 5\]/],
    ['tail.idx', Uint8Array.from([...encodeIdxU8([2], Uint8Array.from([1, 2])), 9]), /trailing bytes/],
    ['gzbody.idx.gz', gzipSync(encodeIdxU8([10, 10], new Uint8Array(100)).subarray(0, 50)), /truncated/],
    ['corrupt.gz', Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6]), /corrupt gzip/],
  ];
  for (const [name, bytes, pattern] of cases) {
    const file = path.join(dir, name);
    writeFileSync(file, bytes);
    assert.throws(() => readIdxFile(file), dataErrorNaming(file, pattern), name);
  }
  const missing = path.join(dir, 'missing.idx');
  assert.throws(() => readIdxFile(missing), dataErrorNaming(missing, /not found/));
});
