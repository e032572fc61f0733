/**
 * Safetensors dtypes in memory: element sizes, the typed array each decodes to, and the half-precision
 * conversions (F16/BF16 live as Float32Array on the host, and are encoded back on write).
 */
import type { DType } from '../../protocol/checkpoint';

export type HostTensorData =
  | Float32Array
  | Float64Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array;

/** A tensor in host memory. F16 and BF16 tensors hold their values decoded as Float32Array. */
export interface HostTensor {
  dtype: DType;
  shape: number[];
  data: HostTensorData;
}

export const DTYPE_SIZE: Readonly<Record<DType, number>> = {
  F64: 8, I64: 8, F32: 4, I32: 4, U32: 4, F16: 2, BF16: 2, U16: 2, I16: 2, U8: 1, I8: 1, BOOL: 1,
};

export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_SIZE, x);
}

export function isFloatDType(d: DType): boolean {
  return d === 'F32' || d === 'F16' || d === 'BF16' || d === 'F64';
}

/** The typed-array kind that holds a dtype's values on the host. */
export function hostArrayName(d: DType): string {
  switch (d) {
    case 'F32': case 'F16': case 'BF16': return 'Float32Array';
    case 'F64': return 'Float64Array';
    case 'I32': return 'Int32Array';
    case 'I64': return 'BigInt64Array';
    case 'U8': case 'BOOL': return 'Uint8Array';
    case 'I8': return 'Int8Array';
    case 'U16': return 'Uint16Array';
    case 'I16': return 'Int16Array';
    case 'U32': return 'Uint32Array';
  }
}

/** Number of elements of a shape, or undefined when a dimension is invalid or the count is not a safe integer. */
export function elementCount(shape: readonly unknown[]): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) return undefined;
    n *= d;
    if (!Number.isSafeInteger(n)) return undefined;
  }
  return n;
}

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---- half precision ----

let halfTable: Float32Array | undefined;

/** All 65536 F16 bit patterns decoded, built on first use (256 KiB). */
function f16Table(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  halfTable = t;
  return t;
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** Float -> F16 bits, round to nearest even (as numpy/PyTorch do). */
export function floatToHalfBits(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && (r & 1))) r++;
    return sign | r;
  }
  let r = mant >> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (r & 1))) {
    r++;
    if (r === 0x400) { r = 0; e++; if (e >= 31) return sign | 0x7c00; }
  }
  return sign | (e << 10) | r;
}

export function halfBitsToFloat(bits: number): number {
  return f16Table()[bits & 0xffff];
}

/** Float -> BF16 bits, round to nearest even; NaN stays NaN. */
export function floatToBFloat16Bits(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0];
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff)) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

// ---- bytes <-> host arrays ----

/**
 * Little-endian bytes -> host array (a fresh, aligned copy). `bytes.length` must be a multiple of the
 * dtype size; the caller checks that against the shape.
 */
export function decodeTensorData(dtype: DType, bytes: Uint8Array): HostTensorData {
  const size = DTYPE_SIZE[dtype];
  const n = Math.floor(bytes.byteLength / size);
  // Copy through Uint8Array.prototype.slice: on a Node Buffer `slice` is a view of the whole pooled
  // ArrayBuffer, so `copy.buffer` would start at the pool's byte 0, not at this tensor's first byte.
  const copyOf = (len: number): ArrayBuffer => {
    const out = new Uint8Array(len);
    out.set(bytes.subarray(0, len));
    return out.buffer;
  };
  if (dtype === 'U8' || dtype === 'BOOL') return new Uint8Array(copyOf(n));
  if (dtype === 'I8') return new Int8Array(copyOf(n));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'F16' || dtype === 'BF16') {
    const out = new Float32Array(n);
    if (dtype === 'F16') {
      const t = f16Table();
      for (let i = 0; i < n; i++) out[i] = t[view.getUint16(2 * i, true)];
    } else {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = view.getUint16(2 * i, true) << 16;
    }
    return out;
  }
  if (hostIsLittleEndian) {
    const copy = copyOf(n * size); // a fresh ArrayBuffer of exactly n elements at offset 0, so aligned
    switch (dtype) {
      case 'F32': return new Float32Array(copy);
      case 'F64': return new Float64Array(copy);
      case 'I32': return new Int32Array(copy);
      case 'I64': return new BigInt64Array(copy);
      case 'U16': return new Uint16Array(copy);
      case 'I16': return new Int16Array(copy);
      case 'U32': return new Uint32Array(copy);
    }
  }
  switch (dtype) {
    case 'F32': return Float32Array.from({ length: n }, (_, i) => view.getFloat32(4 * i, true));
    case 'F64': return Float64Array.from({ length: n }, (_, i) => view.getFloat64(8 * i, true));
    case 'I32': return Int32Array.from({ length: n }, (_, i) => view.getInt32(4 * i, true));
    case 'I64': return BigInt64Array.from({ length: n }, (_, i) => view.getBigInt64(8 * i, true));
    case 'U16': return Uint16Array.from({ length: n }, (_, i) => view.getUint16(2 * i, true));
    case 'I16': return Int16Array.from({ length: n }, (_, i) => view.getInt16(2 * i, true));
    case 'U32': return Uint32Array.from({ length: n }, (_, i) => view.getUint32(4 * i, true));
  }
  throw new Error(`unreachable dtype ${dtype as string}`);
}

/** Host array -> little-endian bytes of `dtype` (F16/BF16 encoded from floats). */
export function encodeTensorData(dtype: DType, data: HostTensorData): Uint8Array {
  const n = data.length;
  if (dtype === 'F16' || dtype === 'BF16') {
    const out = new Uint8Array(2 * n);
    const view = new DataView(out.buffer);
    const f = data as Float32Array;
    const enc = dtype === 'F16' ? floatToHalfBits : floatToBFloat16Bits;
    for (let i = 0; i < n; i++) view.setUint16(2 * i, enc(f[i]), true);
    return out;
  }
  if (hostIsLittleEndian || DTYPE_SIZE[dtype] === 1) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const v = data[i];
    switch (dtype) {
      case 'F32': view.setFloat32(4 * i, v as number, true); break;
      case 'F64': view.setFloat64(8 * i, v as number, true); break;
      case 'I32': view.setInt32(4 * i, v as number, true); break;
      case 'I64': view.setBigInt64(8 * i, v as bigint, true); break;
      case 'U16': view.setUint16(2 * i, v as number, true); break;
      case 'I16': view.setInt16(2 * i, v as number, true); break;
      case 'U32': view.setUint32(4 * i, v as number, true); break;
    }
  }
  return out;
}
