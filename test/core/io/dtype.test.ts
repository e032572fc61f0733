/** decodeTensorData must read the view it is given, whatever ArrayBuffer lies behind it (Node Buffers are pooled views). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DType } from '../../../src/protocol/checkpoint';
import { DTYPE_SIZE, decodeTensorData, encodeTensorData } from '../../../src/core/io/dtype';

const SAMPLES: Partial<Record<DType, number[]>> = {
  F32: [1.5, -2.25, 0, 0.125, 7], F64: [1.5, -2.25, 1e300], I32: [-7, 0, 2147483647], U16: [0, 65535, 42], I16: [-32768, 5, 32767],
  U32: [0, 4294967295, 9], U8: [0, 255, 17], I8: [-128, 127, -1], BOOL: [0, 1, 1],
};

function typed(dtype: DType, values: number[]) {
  switch (dtype) {
    case 'F32': return new Float32Array(values);
    case 'F64': return new Float64Array(values);
    case 'I32': return new Int32Array(values);
    case 'U16': return new Uint16Array(values);
    case 'I16': return new Int16Array(values);
    case 'U32': return new Uint32Array(values);
    case 'I8': return new Int8Array(values);
    default: return new Uint8Array(values);
  }
}

describe('decodeTensorData on views', () => {
  for (const [dtype, values] of Object.entries(SAMPLES) as [DType, number[]][]) {
    it(`${dtype}: a Buffer view at every odd offset decodes its own bytes`, () => {
      const bytes = encodeTensorData(dtype, typed(dtype, values));
      for (const offset of [1, 3, 5, 7, 13]) {
        // Garbage before and after, so reading from byte 0 of the buffer (the old bug) gives other numbers.
        const whole = Buffer.alloc(offset + bytes.byteLength + 9, 0xa5);
        whole.set(bytes, offset);
        const view = whole.subarray(offset, offset + bytes.byteLength);
        assert.ok(view.byteOffset > 0 || view.buffer.byteLength > view.byteLength, 'the test really uses a view');
        assert.deepEqual(Array.from(decodeTensorData(dtype, view) as ArrayLike<number>), values, `offset ${offset}`);
      }
    });
  }

  it('a Buffer.from of a small file (pooled, nonzero byteOffset) decodes its own floats', () => {
    const f = new Float32Array([0.5, -1, 2]);
    const buf = Buffer.from(new Uint8Array(f.buffer)); // small Buffers share the 8 KiB pool
    assert.deepEqual(Array.from(decodeTensorData('F32', buf) as Float32Array), [0.5, -1, 2]);
  });

  it('lengths that are not a multiple of the element size decode the whole elements', () => {
    const bytes = encodeTensorData('F32', new Float32Array([1, 2, 3]));
    const whole = Buffer.alloc(3 + 14);
    whole.set(bytes.subarray(0, 14), 3);
    const out = decodeTensorData('F32', whole.subarray(3, 17)) as Float32Array;
    assert.deepEqual(Array.from(out), [1, 2, 3].slice(0, Math.floor(14 / DTYPE_SIZE.F32)));
  });

  it('F16 and I64 from views', () => {
    const half = Buffer.from([0xff, 0x00, 0x3c, 0x00, 0xc0, 0xff]); // [_, 1.0, -2.0, _]
    assert.deepEqual(Array.from(decodeTensorData('F16', half.subarray(1, 5)) as Float32Array), [1, -2]);
    const big = Buffer.alloc(8 + 3);
    big.writeBigInt64LE(-5n, 3);
    assert.deepEqual(Array.from(decodeTensorData('I64', big.subarray(3)) as BigInt64Array), [-5n]);
  });
});
