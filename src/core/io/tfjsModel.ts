/**
 * TF.js Layers models on disk: the one reader of `model.json` + weight shards for `elsa inspect`, the
 * extension's TensorStore and the trainer's model loader (parsing in tfjsManifest.ts). Bounded: every shard
 * path is confined to the model's folder and must be a regular file, and the shards' sizes are checked
 * against the manifest before a byte of them is read. Quantized weights (uint8/uint16 with scale and min,
 * float16) are dequantized exactly as tfjs does it; callers see the stored dtype in `entry.stored`.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { DType } from '../../protocol/checkpoint';
import { tfjsWeightsFileName } from '../../protocol/runFolder';
import { checkpointError, isElsaError } from '../errors';
import { writeFileAtomic } from './atomic';
import { type ByteSource, fileByteSource, readBoundedText } from './byteSource';
import { type HostTensor, decodeTensorData, elementCount, encodeTensorData, halfBitsToFloat } from './dtype';
import { MAX_JSON_BYTES, shortName } from './limits';
import { type TfjsManifest, type TfjsWeightEntry, confineShardPath, parseTfjsManifest } from './tfjsManifest';

export { confineShardPath, parseTfjsManifest, type TfjsManifest, type TfjsWeightEntry } from './tfjsManifest';

/** Opens one weight shard, given its confined path relative to model.json. */
export type ShardOpener = (relativePath: string) => Promise<ByteSource>;

export interface TfjsModelReader {
  manifest: TfjsManifest;
  /** model.json plus every shard, in bytes. */
  fileSize: number;
  /** Bytes of the weight shards. */
  weightBytes: number;
  /** The stored bytes of one weight (quantized ones as stored). */
  readRaw(name: string): Promise<Uint8Array>;
  /** One weight as the model sees it: float32 (dequantized when quantized) as F32, int32 as I32, bool as BOOL. */
  readWeight(name: string): Promise<HostTensor>;
  close(): Promise<void>;
}

const TFJS_TO_DTYPE: Record<TfjsWeightEntry['dtype'], DType> = { float32: 'F32', int32: 'I32', bool: 'BOOL' };

/**
 * Opens a model from its model.json text. Every shard is opened and sized up front: a group whose shards
 * do not add up to what its manifest describes is refused before any weight is read.
 */
export async function openTfjsModel(text: string, label: string, jsonSize: number, openShard: ShardOpener): Promise<TfjsModelReader> {
  const manifest = parseTfjsManifest(text, label);
  const sources = new Map<string, ByteSource>();
  const close = async () => { for (const s of sources.values()) await s.close?.().catch(() => undefined); };
  try {
    const groupShards: { source: ByteSource; start: number; size: number }[][] = [];
    let weightBytes = 0;
    for (const group of manifest.groups) {
      const shards: { source: ByteSource; start: number; size: number }[] = [];
      let start = 0;
      for (const p of group.paths) {
        const rel = confineShardPath(label, p);
        let source = sources.get(rel);
        if (!source) {
          source = await openShard(rel).catch((e: unknown) => { throw asShardError(label, p, e); });
          sources.set(rel, source);
        }
        const size = await source.size().catch((e: unknown) => { throw asShardError(label, p, e); });
        shards.push({ source, start, size });
        start += size;
      }
      if (start !== group.bytes) {
        throw checkpointError(label, `weight shards [${group.paths.map((p) => shortName(p, 60)).join(', ')}] hold ${start} bytes, the manifest describes ${group.bytes}`);
      }
      weightBytes += start;
      groupShards.push(shards);
    }
    const byName = new Map(manifest.weights.map((w) => [w.name, w]));
    const entryOf = (name: string) => {
      const w = byName.get(name);
      if (!w) throw checkpointError(label, `no weight named "${shortName(name)}"`);
      return w;
    };
    const readRaw = async (name: string): Promise<Uint8Array> => {
      const w = entryOf(name);
      const out = new Uint8Array(w.length);
      for (const s of groupShards[w.group]) {
        const from = Math.max(w.offset, s.start);
        const to = Math.min(w.offset + w.length, s.start + s.size);
        if (to > from) out.set(await s.source.read(from - s.start, to - from), from - w.offset);
      }
      return out;
    };
    return {
      manifest,
      fileSize: jsonSize + weightBytes,
      weightBytes,
      readRaw,
      readWeight: async (name) => decodeWeight(entryOf(name), await readRaw(name)),
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/** How a weight's dtype is shown: `float32`, or `float32/uint8` for a weight stored quantized. */
export function tfjsDtypeLabel(w: TfjsWeightEntry): string {
  return w.stored === w.dtype ? w.dtype : `${w.dtype}/${w.stored}`;
}

function asShardError(label: string, p: string, e: unknown): Error {
  const why = isElsaError(e) ? e.problem : (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
  return checkpointError(label, `weight file "${shortName(p, 60)}": ${why}`);
}

/** Stored bytes -> the weight's values; quantized ones computed as tfjs's decodeWeights does (q * scale + min, in float32). */
export function decodeWeight(w: TfjsWeightEntry, bytes: Uint8Array): HostTensor {
  const shape = [...w.shape];
  const q = w.quantization;
  if (!q) return { dtype: TFJS_TO_DTYPE[w.dtype], shape, data: decodeTensorData(TFJS_TO_DTYPE[w.dtype], bytes) };
  if (q.dtype === 'float16') {
    const half = decodeTensorData('U16', bytes) as Uint16Array;
    const out = new Float32Array(half.length);
    for (let i = 0; i < half.length; i++) out[i] = halfBitsToFloat(half[i]);
    return { dtype: 'F32', shape, data: out };
  }
  const codes = decodeTensorData(q.dtype === 'uint8' ? 'U8' : 'U16', bytes) as Uint8Array | Uint16Array;
  const scale = q.scale!;
  const min = q.min!;
  if (w.dtype === 'int32') {
    const out = new Int32Array(codes.length);
    for (let i = 0; i < codes.length; i++) out[i] = Math.round(codes[i] * scale + min);
    return { dtype: 'I32', shape, data: out };
  }
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = codes[i] * scale + min;
  return { dtype: 'F32', shape, data: out };
}

/** Shards on the local disk: resolved (symlinks included) inside the model's folder, regular files only. */
export function fileShardOpener(modelJsonPath: string): ShardOpener {
  const dir = path.dirname(path.resolve(modelJsonPath));
  let realDir: Promise<string> | undefined;
  return async (rel) => {
    let real: string;
    let base: string;
    try {
      base = await (realDir ??= fsp.realpath(dir));
      real = await fsp.realpath(path.join(dir, rel));
    } catch (e) {
      realDir = undefined;
      throw checkpointError(undefined, `cannot open (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    if (real !== base && !real.startsWith(base.endsWith(path.sep) ? base : base + path.sep)) {
      throw checkpointError(undefined, "resolves (through a link) outside the model's folder");
    }
    return fileByteSource(real, rel);
  };
}

/** Reads a model.json from disk (bounded) and opens its shards beside it. */
export async function openTfjsModelFile(modelJsonPath: string, label = path.basename(modelJsonPath)): Promise<TfjsModelReader> {
  const { text, size } = await readBoundedText(modelJsonPath, label, 'model.json', MAX_JSON_BYTES);
  return openTfjsModel(text, label, size, fileShardOpener(modelJsonPath));
}

export interface TfjsModel {
  topology: unknown;
  /** Manifest names, in manifest order, as the model sees them (quantized weights dequantized). */
  weights: Record<string, HostTensor>;
  /** The model.json `format` (`layers-model` for Layers models). */
  format: string | undefined;
  /** Total bytes of the weight shards. */
  weightBytes: number;
}

/** Reads a model.json and all its weights (small models; inspect and the store read one weight at a time). */
export async function readTfjsModel(modelJsonPath: string): Promise<TfjsModel> {
  const reader = await openTfjsModelFile(modelJsonPath);
  try {
    const weights: Record<string, HostTensor> = {};
    for (const w of reader.manifest.weights) {
      Object.defineProperty(weights, w.name, { value: await reader.readWeight(w.name), enumerable: true, writable: true, configurable: true });
    }
    return { topology: reader.manifest.topology, weights, format: reader.manifest.format, weightBytes: reader.weightBytes };
  } finally {
    await reader.close();
  }
}

interface TfjsWeightSpec { name: string; shape: number[]; dtype: string }

interface TfjsModelJson {
  format: string;
  generatedBy: string;
  convertedBy: null;
  modelTopology: unknown;
  trainingConfig?: unknown;
  weightsManifest: { paths: string[]; weights: TfjsWeightSpec[] }[];
  userDefinedMetadata?: Record<string, unknown>;
}

const DTYPE_TO_TFJS: Partial<Record<DType, string>> = { F32: 'float32', F16: 'float32', BF16: 'float32', I32: 'int32', BOOL: 'bool' };

export interface WriteTfjsModelOptions {
  /** Name of the single weight shard beside model.json (default: `tfjsWeightsFileName`, `weights.bin` for model.json). */
  weightsFileName?: string;
  userDefinedMetadata?: Record<string, unknown>;
  trainingConfig?: unknown;
}

/**
 * Writes `model.json` + one weight shard that stock `tf.loadLayersModel` loads. Weight names must be the
 * model's original weight names (what `getNamedWeights` / `model.weights[i].originalName` give).
 * F16/BF16 tensors are written as float32. The shard is written before model.json, each atomically.
 */
export async function writeTfjsModel(
  modelJsonPath: string, model: { topology: unknown; weights: Record<string, HostTensor> }, options: WriteTfjsModelOptions = {},
): Promise<void> {
  const weightsFileName = options.weightsFileName ?? tfjsWeightsFileName(modelJsonPath);
  const specs: TfjsWeightSpec[] = [];
  const chunks: Uint8Array[] = [];
  for (const [name, t] of Object.entries(model.weights)) {
    const dtype = DTYPE_TO_TFJS[t.dtype];
    if (!dtype) throw checkpointError(path.basename(modelJsonPath), `weight "${name}" is ${t.dtype}; TF.js models hold float32, int32 or bool`);
    const count = elementCount(t.shape);
    if (count !== t.data.length) throw checkpointError(path.basename(modelJsonPath), `weight "${name}": shape ${JSON.stringify(t.shape)} does not match ${t.data.length} elements`);
    const stored: DType = dtype === 'float32' ? 'F32' : t.dtype;
    const data = stored === 'F32' && !(t.data instanceof Float32Array) ? Float32Array.from(t.data as Float64Array) : t.data;
    chunks.push(encodeTensorData(stored, data));
    specs.push({ name, shape: [...t.shape], dtype });
  }
  const json: TfjsModelJson = {
    format: 'layers-model',
    generatedBy: 'ELSA Studio',
    convertedBy: null,
    modelTopology: model.topology,
    ...(options.trainingConfig !== undefined ? { trainingConfig: options.trainingConfig } : {}),
    weightsManifest: [{ paths: [encodeURIComponent(weightsFileName)], weights: specs }],
    ...(options.userDefinedMetadata ? { userDefinedMetadata: options.userDefinedMetadata } : {}),
  };
  await writeFileAtomic(path.join(path.dirname(modelJsonPath), weightsFileName), chunks);
  await writeFileAtomic(modelJsonPath, JSON.stringify(json));
}
