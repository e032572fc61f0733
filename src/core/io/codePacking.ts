/**
 * Level codes on disk (docs/architecture.md §1): each weight's code is in 1..K+1. `u8` stores the code as one byte;
 * `bits<N>` stores code-1 in N bits, N = ceil(log2(K+1)) (at least 1), as a little-endian bit stream:
 * weight i occupies bits [i*N, (i+1)*N) counted from the least significant bit of byte 0, and the unused
 * high bits of the last byte are zero. Packed length is ceil(count*N/8) bytes.
 */
import type { CodePacking } from '../../protocol/checkpoint';
import { checkpointError } from '../errors';
import { levelCountOf } from '../../protocol/levels';

/** Bits per code for `packing`, or 8 for `u8`; throws on anything else. */
export function packingBits(packing: string, label?: string): number {
  if (packing === 'u8') return 8;
  const m = /^bits([1-8])$/.exec(packing);
  if (!m) throw checkpointError(label, `unknown code packing "${packing}" (expected "u8" or "bits1".."bits8")`);
  return Number(m[1]);
}

/** Largest code `packing` can hold. */
export function maxCodeFor(packing: string, label?: string): number {
  const bits = packingBits(packing, label);
  return packing === 'u8' ? 255 : 2 ** bits;
}

/** Tightest bit packing for K = `sparseLevelCount` sparse levels (codes 1..K+1); `u8` when that needs a whole byte or more. */
export function packingFor(sparseLevelCount: number): CodePacking {
  // K = 0 is a dense-only network (the dense baseline): every code is 1.
  if (!Number.isInteger(sparseLevelCount) || sparseLevelCount < 0 || sparseLevelCount > 254) {
    throw checkpointError(undefined, `sparse level count ${sparseLevelCount} is not an integer in 0..254`);
  }
  const bits = Math.max(1, Math.ceil(Math.log2(levelCountOf(sparseLevelCount))));
  return bits >= 8 ? 'u8' : `bits${bits}`;
}

/** Bytes `count` codes take in `packing`. */
export function packedLength(count: number, packing: string): number {
  const bits = packingBits(packing);
  return packing === 'u8' ? count : Math.ceil((count * bits) / 8);
}

/** Packs codes (each in 1..max for the packing) into bytes. */
export function packCodes(codes: Uint8Array, packing: string, label?: string): Uint8Array {
  const maxCode = maxCodeFor(packing, label);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c < 1 || c > maxCode) throw checkpointError(label, `level code ${c} at index ${i} is outside 1..${maxCode} for packing ${packing}`);
  }
  if (packing === 'u8') return codes.slice();
  const bits = packingBits(packing, label);
  const out = new Uint8Array(packedLength(codes.length, packing));
  let acc = 0;
  let accBits = 0;
  let o = 0;
  for (let i = 0; i < codes.length; i++) {
    acc |= (codes[i] - 1) << accBits;
    accBits += bits;
    while (accBits >= 8) {
      out[o++] = acc & 0xff;
      acc >>>= 8;
      accBits -= 8;
    }
  }
  if (accBits > 0) out[o] = acc & 0xff;
  return out;
}

/** Unpacks `count` codes; the packed length must match exactly and padding bits must be zero. */
export function unpackCodes(packed: Uint8Array, count: number, packing: string, label?: string): Uint8Array {
  if (!Number.isSafeInteger(count) || count < 0) throw checkpointError(label, `invalid code count ${count}`);
  const want = packedLength(count, packing);
  if (packed.byteLength !== want) {
    throw checkpointError(label, `packed codes are ${packed.byteLength} bytes but ${count} codes in ${packing} need ${want}`);
  }
  if (packing === 'u8') {
    for (let i = 0; i < count; i++) {
      if (packed[i] === 0) throw checkpointError(label, `level code 0 at index ${i} (codes start at 1)`);
    }
    return packed.slice();
  }
  const bits = packingBits(packing, label);
  const mask = (1 << bits) - 1;
  const out = new Uint8Array(count);
  let acc = 0;
  let accBits = 0;
  let p = 0;
  for (let i = 0; i < count; i++) {
    while (accBits < bits) {
      acc |= packed[p++] << accBits;
      accBits += 8;
    }
    out[i] = (acc & mask) + 1;
    acc >>>= bits;
    accBits -= bits;
  }
  if (acc !== 0) throw checkpointError(label, `packed codes have non-zero padding bits`);
  return out;
}
