/**
 * The safetensors format: u64 little-endian header length N, N bytes of UTF-8 JSON
 * (`{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {k: string}}`), then the raw
 * little-endian data section. Readers fetch the header alone, then one tensor at a time.
 * Every malformed input becomes a one-line CheckpointError naming the file.
 */
import * as path from 'node:path';
import type { DType, TensorEntry } from '../../protocol/checkpoint';
import { checkpointError } from '../errors';
import { writeFileAtomic, writeFileAtomicSync } from './atomic';
import { MAX_NAME_CHARS, MAX_TENSORS, shortName } from './limits';
import { type ByteSource, withByteSource } from './byteSource';
import { readRegularFileSync } from './regularFile';
import {
  DTYPE_SIZE, type HostTensor, type HostTensorData, decodeTensorData, elementCount, encodeTensorData, hostArrayName,
  isDType, isFloatDType,
} from './dtype';

export type { HostTensor, HostTensorData } from './dtype';

export interface SafetensorsHeader {
  label: string;
  fileSize: number;
  /** N, the JSON header's length in bytes. */
  headerLength: number;
  /** 8 + N: where the data section starts. */
  dataOffset: number;
  tensors: Record<string, TensorEntry>;
  metadata: Record<string, string>;
}

/** Headers beyond this are refused before being read (the Python reader's limit is 100 MB too). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface WriteSafetensorsOptions {
  /** Store float tensors (F32/F16/BF16) in this dtype; F64 and integer tensors keep theirs. */
  dtype?: 'F32' | 'F16';
}

function formatBig(n: bigint): string {
  if (n < 1_000_000_000_000n) return n.toString();
  return Number(n).toExponential(1).replace('.0e', 'e').replace('e+', 'e');
}

/** Formats people give a safetensors reader by mistake, known by their first bytes. */
function otherFormat(prefix: Uint8Array): string | undefined {
  const b = (i: number) => prefix[i];
  const ascii = (text: string) => [...text].every((c, i) => b(i) === c.charCodeAt(0));
  if (ascii('PK')) return 'a ZIP archive (a PyTorch .pt/.pth checkpoint is one: load it in Python and save_file() it as safetensors)';
  if (b(0) === 0x89 && ascii('\x89PNG')) return 'a PNG image';
  if (b(0) === 0x89 && ascii('\x89HDF')) return 'an HDF5 file (a Keras .h5 model)';
  if (b(0) === 0x1f && b(1) === 0x8b) return 'a gzip file';
  if (b(0) === 0x7b || b(0) === 0x5b) return 'a JSON file';
  // ONNX ModelProto: field 1 (ir_version, varint) then field 2 (producer_name, string) or 3 (producer_version) or 7 (graph)
  if (b(0) === 0x08 && b(1) > 0 && b(1) < 0x80 && [0x12, 0x1a, 0x3a].includes(b(2))) return 'an ONNX model';
  return undefined;
}

/** Validates the 8-byte prefix against the file size; returns the header length. */
export function parseHeaderLength(label: string, prefix: Uint8Array, fileSize: number): number {
  if (fileSize < 8) throw checkpointError(label, `file is ${fileSize} bytes, shorter than the 8-byte safetensors header length`);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(fileSize - 8)) {
    const other = otherFormat(prefix);
    throw checkpointError(label, `header length ${formatBig(n)} exceeds file size ${fileSize}${other ? `: this is ${other}, not safetensors` : ''}`);
  }
  if (n > BigInt(MAX_HEADER_BYTES)) throw checkpointError(label, `header length ${formatBig(n)} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (n < 2n) throw checkpointError(label, `header length ${n} is too short for a JSON object`);
  return Number(n);
}

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/** Parses and validates the JSON header (everything except reading data). */
export function parseHeaderJson(label: string, fileSize: number, headerLength: number, json: Uint8Array): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
  } catch {
    throw checkpointError(label, 'header is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw checkpointError(label, `header is not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw checkpointError(label, `header is ${describe(parsed)}, expected a JSON object`);
  }
  const dataOffset = 8 + headerLength;
  const dataSize = fileSize - dataOffset;
  const metadata: Record<string, string> = {};
  const entries: [string, TensorEntry][] = [];
  const keys = Object.keys(parsed as Record<string, unknown>);
  const tensorCount = keys.length - (keys.includes('__metadata__') ? 1 : 0);
  if (tensorCount > MAX_TENSORS) throw checkpointError(label, `header lists ${tensorCount} tensors, more than the ${MAX_TENSORS} allowed`);
  for (const [name, raw] of Object.entries(parsed as Record<string, unknown>)) {
    if (name.length > MAX_NAME_CHARS) throw checkpointError(label, `a tensor name of ${name.length} characters ("${shortName(name, 60)}"), more than the ${MAX_NAME_CHARS} allowed`);
    if (name === '__metadata__') {
      if (raw === null) continue;
      if (typeof raw !== 'object' || Array.isArray(raw)) throw checkpointError(label, `__metadata__ is ${describe(raw)}, expected an object of strings`);
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw checkpointError(label, `__metadata__["${k}"] is ${describe(v)}, expected a string`);
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    entries.push([name, parseEntry(label, name, raw, dataSize)]);
  }
  // No two tensors may share bytes, and the data section must end where the last tensor ends.
  const byBegin = [...entries].sort((a, b) => a[1].offsets[0] - b[1].offsets[0] || a[1].offsets[1] - b[1].offsets[1]);
  let end = 0;
  let endName = '';
  for (const [name, e] of byBegin) {
    if (e.offsets[0] < end) throw checkpointError(label, `tensor "${shortName(name)}" bytes [${e.offsets[0]}, ${e.offsets[1]}) overlap tensor "${shortName(endName)}" ending at ${end}`);
    if (e.offsets[1] > end || endName === '') { end = e.offsets[1]; endName = name; }
  }
  if (end !== dataSize) {
    throw checkpointError(label, `data section is ${dataSize} bytes but the tensors end at ${end} (${end < dataSize ? 'trailing bytes' : 'truncated'})`);
  }
  return { label, fileSize, headerLength, dataOffset, tensors: Object.fromEntries(entries), metadata };
}

function parseEntry(label: string, name: string, raw: unknown, dataSize: number): TensorEntry {
  const bad = (problem: string) => checkpointError(label, `tensor "${shortName(name)}": ${problem}`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(`entry is ${describe(raw)}, expected an object`);
  const r = raw as Record<string, unknown>;
  if (!isDType(r.dtype)) throw bad(`unknown dtype ${JSON.stringify(r.dtype) ?? 'undefined'}`);
  const dtype: DType = r.dtype;
  if (!Array.isArray(r.shape)) throw bad(`shape is ${describe(r.shape)}, expected an array`);
  const count = elementCount(r.shape);
  if (count === undefined) throw bad(`invalid shape ${JSON.stringify(r.shape)}`);
  const off = r.data_offsets;
  if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)) {
    throw bad(`data_offsets ${JSON.stringify(off) ?? 'undefined'} are not two non-negative integers`);
  }
  const [begin, end] = off as [number, number];
  if (end < begin) throw bad(`data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataSize) throw bad(`data_offsets [${begin}, ${end}] run past the data section (${dataSize} bytes)`);
  const expected = count * DTYPE_SIZE[dtype];
  if (end - begin !== expected) {
    throw bad(`shape ${JSON.stringify(r.shape)} of ${dtype} needs ${expected} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { dtype, shape: [...(r.shape as number[])], offsets: [begin, end] };
}

/** Reads and validates only the 8-byte length and the JSON header. */
export async function readSafetensorsHeader(source: ByteSource | string): Promise<SafetensorsHeader> {
  return withByteSource(source, async (s) => {
    const fileSize = await s.size();
    if (fileSize < 8) throw checkpointError(s.label, `file is ${fileSize} bytes, shorter than the 8-byte safetensors header length`);
    const headerLength = parseHeaderLength(s.label, await s.read(0, 8), fileSize);
    return parseHeaderJson(s.label, fileSize, headerLength, await s.read(8, headerLength));
  });
}

/** Tensor names in the order their bytes appear in the file (JSON key order is not kept for numeric names). */
export function tensorNamesInFileOrder(header: SafetensorsHeader): string[] {
  return Object.keys(header.tensors).sort((a, b) => header.tensors[a].offsets[0] - header.tensors[b].offsets[0]);
}

function entryOf(header: SafetensorsHeader, name: string): TensorEntry {
  if (!Object.prototype.hasOwnProperty.call(header.tensors, name)) throw checkpointError(header.label, `no tensor named "${name}"`);
  return header.tensors[name];
}

/** The raw little-endian bytes of one tensor. */
export async function readTensorBytes(source: ByteSource | string, header: SafetensorsHeader, name: string): Promise<Uint8Array> {
  const e = entryOf(header, name);
  return withByteSource(source, (s) => s.read(header.dataOffset + e.offsets[0], e.offsets[1] - e.offsets[0]));
}

/** One tensor, decoded to host memory (F16/BF16 as Float32Array). */
export async function readTensor(source: ByteSource | string, header: SafetensorsHeader, name: string): Promise<HostTensor> {
  const e = entryOf(header, name);
  const bytes = await readTensorBytes(source, header, name);
  return { dtype: e.dtype, shape: [...e.shape], data: decodeTensorData(e.dtype, bytes) };
}

// ---- writing ----

function checkHostTensor(name: string, t: HostTensor): void {
  if (!isDType(t.dtype)) throw checkpointError(undefined, `tensor "${name}": unknown dtype ${String(t.dtype)}`);
  const count = elementCount(t.shape);
  if (count === undefined) throw checkpointError(undefined, `tensor "${name}": invalid shape ${JSON.stringify(t.shape)}`);
  if (t.data.length !== count) throw checkpointError(undefined, `tensor "${name}": shape ${JSON.stringify(t.shape)} has ${count} elements but data has ${t.data.length}`);
  const want = hostArrayName(t.dtype);
  const have = t.data.constructor.name;
  const floatOk = isFloatDType(t.dtype) && (have === 'Float32Array' || have === 'Float64Array');
  if (have !== want && !floatOk) throw checkpointError(undefined, `tensor "${name}": ${t.dtype} data must be a ${want}, got ${have}`);
}

function storedDtype(t: HostTensor, options: WriteSafetensorsOptions | undefined): DType {
  if (options?.dtype && (t.dtype === 'F32' || t.dtype === 'F16' || t.dtype === 'BF16')) return options.dtype;
  return t.dtype;
}

function toStoredData(dtype: DType, data: HostTensorData): HostTensorData {
  if ((dtype === 'F32' || dtype === 'F16' || dtype === 'BF16') && !(data instanceof Float32Array)) return Float32Array.from(data as Float64Array);
  if (dtype === 'F64' && !(data instanceof Float64Array)) return Float64Array.from(data as Float32Array);
  return data;
}

/** The file as chunks: 8-byte length, space-padded header (8-byte aligned data), tensors in insertion order. */
export function encodeSafetensors(
  tensors: Record<string, HostTensor>, metadata?: Record<string, string>, options?: WriteSafetensorsOptions,
): Uint8Array[] {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw checkpointError(undefined, `metadata "${k}" must be a string`);
    }
    header.__metadata__ = metadata;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__') throw checkpointError(undefined, 'a tensor cannot be named "__metadata__"');
    checkHostTensor(name, t);
    const dtype = storedDtype(t, options);
    const bytes = encodeTensorData(dtype, toStoredData(dtype, t.data));
    Object.defineProperty(header, name, {
      value: { dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes.byteLength] }, enumerable: true, writable: true, configurable: true,
    });
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) json = Buffer.concat([json, Buffer.alloc(padded - json.byteLength, 0x20)]);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  return [prefix, json, ...chunks];
}

/** Writes a safetensors file atomically. */
export async function writeSafetensors(
  filePath: string, tensors: Record<string, HostTensor>, metadata?: Record<string, string>, options?: WriteSafetensorsOptions,
): Promise<void> {
  await writeFileAtomic(filePath, encodeSafetensors(tensors, metadata, options));
}

export function writeSafetensorsSync(
  filePath: string, tensors: Record<string, HostTensor>, metadata?: Record<string, string>, options?: WriteSafetensorsOptions,
): void {
  writeFileAtomicSync(filePath, encodeSafetensors(tensors, metadata, options));
}

/** Parses a whole safetensors file held in memory. */
export function parseSafetensors(bytes: Uint8Array, label: string): { header: SafetensorsHeader; tensors: Record<string, HostTensor> } {
  if (bytes.byteLength < 8) throw checkpointError(label, `file is ${bytes.byteLength} bytes, shorter than the 8-byte safetensors header length`);
  const headerLength = parseHeaderLength(label, bytes.subarray(0, 8), bytes.byteLength);
  const header = parseHeaderJson(label, bytes.byteLength, headerLength, bytes.subarray(8, 8 + headerLength));
  const tensors: Record<string, HostTensor> = {};
  for (const name of tensorNamesInFileOrder(header)) {
    const e = header.tensors[name];
    const data = decodeTensorData(e.dtype, bytes.subarray(header.dataOffset + e.offsets[0], header.dataOffset + e.offsets[1]));
    Object.defineProperty(tensors, name, { value: { dtype: e.dtype, shape: [...e.shape], data }, enumerable: true, writable: true, configurable: true });
  }
  return { header, tensors };
}

/** Reads a whole (small) safetensors file synchronously. */
export function readSafetensorsSync(filePath: string): { header: SafetensorsHeader; tensors: Record<string, HostTensor> } {
  const label = path.basename(filePath);
  const bytes = readRegularFileSync(filePath, { maxBytes: 2 ** 31 - 1, what: 'a small safetensors file (read whole)', fail: (problem) => checkpointError(label, problem) });
  return parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), label);
}
