/**
 * IDX files (the MNIST / Fashion-MNIST container): 2 zero bytes, a type byte, a dimension count, big-endian
 * u32 dimensions, then the values, big-endian. Read from gzip (detected by its magic bytes, not the file name)
 * or raw. Every malformed input becomes a DataError naming the file.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { dataError } from '../errors';
import { readRegularFileSync } from '../io/regularFile';

export type IdxValues = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  /** e.g. [60000, 28, 28] for images, [60000] for labels. */
  dims: number[];
  /** The IDX type byte: 0x08 u8, 0x09 i8, 0x0b i16, 0x0c i32, 0x0d f32, 0x0e f64. */
  typeCode: number;
  values: IdxValues;
}

interface IdxType {
  name: string;
  bytes: number;
  read(view: DataView, offset: number): number;
  make(n: number): IdxValues;
}

const IDX_TYPES: Record<number, IdxType> = {
  0x08: { name: 'u8', bytes: 1, read: (v, o) => v.getUint8(o), make: (n) => new Uint8Array(n) },
  0x09: { name: 'i8', bytes: 1, read: (v, o) => v.getInt8(o), make: (n) => new Int8Array(n) },
  0x0b: { name: 'i16', bytes: 2, read: (v, o) => v.getInt16(o, false), make: (n) => new Int16Array(n) },
  0x0c: { name: 'i32', bytes: 4, read: (v, o) => v.getInt32(o, false), make: (n) => new Int32Array(n) },
  0x0d: { name: 'f32', bytes: 4, read: (v, o) => v.getFloat32(o, false), make: (n) => new Float32Array(n) },
  0x0e: { name: 'f64', bytes: 8, read: (v, o) => v.getFloat64(o, false), make: (n) => new Float64Array(n) },
};

/**
 * Most bytes of one IDX file, read or decompressed: datasets are held in memory (as float32, 4× this), so a
 * larger file is refused with its size instead of exhausting memory — also a small gzip that would inflate
 * past it.
 */
export const MAX_IDX_BYTES = 2 ** 30;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decodes IDX bytes (gzip or raw, at most `maxBytes` once inflated); `file` is only used to name the source in errors. */
export function parseIdx(input: Uint8Array, file: string, maxBytes = MAX_IDX_BYTES): IdxArray {
  let bytes = input;
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: maxBytes });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw dataError(file, `decompresses to more than ${maxBytes} bytes; an IDX file is at most that`);
      throw dataError(file, `corrupt gzip data (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  if (bytes.length < 4) throw dataError(file, `too short for an IDX header (${bytes.length} bytes)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw dataError(file, `not an IDX file (magic bytes ${magic}, expected 00 00 <type> <dims>)`);
  }
  const typeCode = bytes[2];
  const type = IDX_TYPES[typeCode];
  if (!type) throw dataError(file, `unknown IDX value type 0x${typeCode.toString(16).padStart(2, '0')}`);
  const rank = bytes[3];
  if (rank === 0) throw dataError(file, 'IDX header declares 0 dimensions');
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) throw dataError(file, `truncated IDX header: ${rank} dimensions need ${headerBytes} bytes, file has ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = headerBytes + count * type.bytes;
  if (bytes.length < expected) {
    throw dataError(file, `truncated: dimensions [${dims.join(', ')}] of ${type.name} need ${expected} bytes, file has ${bytes.length}`);
  }
  if (bytes.length > expected) {
    throw dataError(file, `${bytes.length - expected} unexpected trailing bytes after [${dims.join(', ')}] of ${type.name}`);
  }
  let values: IdxValues;
  if (type.bytes === 1) {
    // Single bytes have no endianness: copy straight out of the buffer.
    values = type.make(count);
    values.set(typeCode === 0x08 ? bytes.subarray(headerBytes) : new Int8Array(bytes.buffer, bytes.byteOffset + headerBytes, count));
  } else {
    values = type.make(count);
    for (let i = 0; i < count; i++) values[i] = type.read(view, headerBytes + i * type.bytes);
  }
  return { dims, typeCode, values };
}

export function readIdxFile(file: string): IdxArray {
  return parseIdx(readRegularFileSync(file, { maxBytes: MAX_IDX_BYTES, what: 'an IDX file', fail: (problem) => dataError(file, problem) }), file);
}

/** Encodes u8 values as IDX (gzip when asked): used to write fixtures and subsets. */
export function encodeIdxU8(dims: number[], values: Uint8Array, gzip = false): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== values.length) throw new RangeError(`encodeIdxU8: dims [${dims.join(', ')}] hold ${count} values, got ${values.length}`);
  const out = new Uint8Array(4 + 4 * dims.length + count);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(values, 4 + 4 * dims.length);
  return gzip ? gzipSync(out, { level: 9 }) : out;
}
