import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isElsaError } from '../../../src/core/errors';
import { maxCodeFor, packCodes, packedLength, packingBits, packingFor, unpackCodes } from '../../../src/core/io/codePacking';
import { randInt, seededRandom } from './ioTestUtil';

const PACKINGS = ['u8', 'bits1', 'bits2', 'bits3', 'bits4', 'bits5', 'bits6', 'bits7', 'bits8'];

describe('level-code packing', () => {
  it('chooses ceil(log2(K+1)) bits (at least 1) for codes 1..K+1, K = 0 being a dense-only network', () => {
    const expected: Record<number, string> = { 0: 'bits1', 1: 'bits1', 2: 'bits2', 3: 'bits2', 4: 'bits3', 7: 'bits3', 8: 'bits4', 15: 'bits4', 16: 'bits5', 127: 'bits7', 128: 'u8', 254: 'u8' };
    for (const [K, packing] of Object.entries(expected)) assert.equal(packingFor(Number(K)), packing, `K=${K}`);
    for (let K = 0; K <= 254; K++) assert.ok(maxCodeFor(packingFor(K)) >= K + 1, `K=${K} fits`);
    assert.throws(() => packingFor(-1), /sparse level count -1/);
    assert.throws(() => packingFor(255), /sparse level count 255/);
  });

  it('round-trips random codes for K = 1..15 in the tightest packing and every packing that fits', () => {
    for (let K = 1; K <= 15; K++) {
      for (let seed = 0; seed < 6; seed++) {
        const rand = seededRandom(K * 100 + seed);
        const count = randInt(rand, 0, 300);
        const codes = Uint8Array.from({ length: count }, () => randInt(rand, 1, K + 1));
        for (const packing of PACKINGS.filter((p) => maxCodeFor(p) >= K + 1)) {
          const packed = packCodes(codes, packing);
          assert.equal(packed.length, packedLength(count, packing));
          if (packing !== 'u8') assert.equal(packed.length, Math.ceil((count * packingBits(packing)) / 8));
          assert.deepEqual(unpackCodes(packed, count, packing), codes, `K=${K} ${packing} seed ${seed}`);
        }
        assert.equal(packCodes(codes, packingFor(K)).length, Math.ceil((count * Math.max(1, Math.ceil(Math.log2(K + 1)))) / 8));
      }
    }
  });

  it('lays bits out least significant first', () => {
    assert.deepEqual(Array.from(packCodes(new Uint8Array([1, 2, 2, 1, 2, 1, 1, 1, 2]), 'bits1')), [0b00010110, 0b1]);
    assert.deepEqual(Array.from(packCodes(new Uint8Array([1, 2, 3, 4, 2]), 'bits2')), [0b11100100, 0b01]);
    assert.deepEqual(Array.from(packCodes(new Uint8Array([8, 1, 3]), 'bits3')), [0b10000111, 0]);
  });

  it('rejects codes the packing cannot hold and malformed packed data', () => {
    const bad = (f: () => unknown, re: RegExp) => assert.throws(f, (e) => isElsaError(e) && e.kind === 'CheckpointError' && re.test(e.message));
    bad(() => packCodes(new Uint8Array([1, 5]), 'bits2'), /level code 5 at index 1 is outside 1..4/);
    bad(() => packCodes(new Uint8Array([0]), 'u8'), /level code 0/);
    bad(() => packCodes(new Uint8Array([1]), 'bits9'), /unknown code packing "bits9"/);
    bad(() => packCodes(new Uint8Array([1]), 'nibbles'), /unknown code packing/);
    bad(() => unpackCodes(new Uint8Array(4), 10, 'bits2', 'x.safetensors'), /packed codes are 4 bytes but 10 codes in bits2 need 3/);
    bad(() => unpackCodes(new Uint8Array(2), 10, 'bits2', 'x.safetensors'), /packed codes are 2 bytes but 10 codes in bits2 need 3/);
    bad(() => unpackCodes(new Uint8Array([0, 0b10000]), 6, 'bits2'), /non-zero padding bits/);
    bad(() => unpackCodes(new Uint8Array([1, 0, 2]), 3, 'u8'), /level code 0 at index 1/);
  });
});
