/**
 * writeFileAtomic sends a big chunk in requests of WRITE_SLICE_BYTES (a stopped command waits for the request in
 * flight, docs/reliability.md "Signals"): the file must still be the chunks, byte for byte and in order.
 * Kept apart from atomic.test.ts, whose read-only case skips as root, so that `node scripts/mutants.mjs
 * write-slice-offset` has a test file that runs everywhere.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { WRITE_SLICE_BYTES, writeFileAtomic } from '../../../src/core/io/atomic';
import { tempDir } from './ioTestUtil';

const tmp = tempDir();
after(tmp.cleanup);

describe('atomic writes in slices', () => {
  it('writes a chunk larger than one request in slices, byte for byte (and pieces around it in order)', async () => {
    const file = tmp.file('big.bin');
    const big = new Uint8Array(5 * WRITE_SLICE_BYTES + 12345).map((_, i) => (i * 2654435761) >>> 24);
    await writeFileAtomic(file, [new Uint8Array([1, 2, 3]), big, new Uint8Array([9])]);
    const back = readFileSync(file);
    assert.equal(back.length, big.length + 4);
    assert.deepEqual([...back.subarray(0, 3)], [1, 2, 3]);
    assert.equal(back[back.length - 1], 9);
    assert.ok(Buffer.from(big).equals(back.subarray(3, 3 + big.length)), 'the big chunk differs');
  });
});
