/**
 * One read-only view over the files the inspector opens — a safetensors checkpoint (ELSA or foreign) or a
 * TF.js Layers `model.json` with its weight shards — so the summary, heatmap and histogram code does not care
 * which. Header first; tensor bytes only when asked for (DESIGN §5).
 */
import type { DType, ElsaMetadata } from './contract';
import { checkpointError } from './errors';
import type { ByteSource } from './io/byteSource';
import { ELSA_TENSOR_PREFIX, parseElsaMetadata, readLevelCodes } from './io/elsaCheckpoint';
import { type SafetensorsHeader, readSafetensorsHeader, readTensor, tensorNamesInFileOrder } from './io/safetensors';
import { decodeTensorData } from './io/dtype';

export interface StoreLayer {
  name: string;
  shape: number[];
  dtype: DType | string;
}

export interface TensorStore {
  label: string;
  format: 'safetensors' | 'tfjs';
  /** Bytes on disk (all shards for TF.js). */
  fileSize: number;
  meta?: ElsaMetadata;
  /** Tensors the inspector shows: ELSA weights with codes, else every float tensor of rank >= 1. */
  layers: StoreLayer[];
  /** Number of tensors in the file, bookkeeping included. */
  tensorCount: number;
  readValues(name: string): Promise<ArrayLike<number>>;
  /** Level codes of an ELSA weight; undefined for files without codes. */
  readCodes?(name: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64', 'float32', 'float16']);

/** Opens a safetensors file (header only). */
export async function openSafetensorsStore(source: ByteSource): Promise<TensorStore> {
  const header: SafetensorsHeader = await readSafetensorsHeader(source);
  const meta = parseElsaMetadata(header);
  const names = tensorNamesInFileOrder(header);
  const layers = names
    .filter((n) => (meta ? Object.prototype.hasOwnProperty.call(meta.codes, n) : !n.startsWith(ELSA_TENSOR_PREFIX) && FLOAT_DTYPES.has(header.tensors[n].dtype)))
    .map((n) => ({ name: n, shape: [...header.tensors[n].shape], dtype: header.tensors[n].dtype }));
  const store: TensorStore = {
    label: header.label,
    format: 'safetensors',
    fileSize: header.fileSize,
    meta,
    layers,
    tensorCount: names.length,
    readValues: async (name) => (await readTensor(source, header, name)).data as ArrayLike<number>,
    close: async () => { await source.close?.(); },
  };
  if (meta) store.readCodes = (name) => readLevelCodes(source, header, meta, name);
  return store;
}

interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string };
}

interface TfjsWeightLocation extends StoreLayer {
  /** Shard paths of its group, relative to model.json. */
  paths: string[];
  /** Byte range inside the group's concatenated shards. */
  offset: number;
  length: number;
}

const TFJS_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, string: 0 };

/** The weights of a TF.js `model.json` and where their bytes lie; CheckpointError when it is not one. */
export function parseTfjsManifest(text: string, label: string): { topology: unknown; weights: TfjsWeightLocation[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw checkpointError(label, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const root = parsed as { modelTopology?: unknown; weightsManifest?: unknown };
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray(root.weightsManifest)) {
    throw checkpointError(label, 'not a TF.js model (no weightsManifest)');
  }
  const weights: TfjsWeightLocation[] = [];
  for (const [g, group] of (root.weightsManifest as unknown[]).entries()) {
    const grp = group as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(grp.paths) || !Array.isArray(grp.weights) || !grp.paths.every((p) => typeof p === 'string')) {
      throw checkpointError(label, `weightsManifest[${g}] needs paths and weights arrays`);
    }
    let offset = 0;
    for (const w of grp.weights as TfjsWeightSpec[]) {
      if (typeof w?.name !== 'string' || !Array.isArray(w.shape) || typeof w.dtype !== 'string') {
        throw checkpointError(label, `weightsManifest[${g}] has a weight without name, shape or dtype`);
      }
      const count = w.shape.reduce((a, b) => a * b, 1);
      const size = TFJS_BYTES[w.quantization?.dtype ?? w.dtype];
      if (size === undefined || size === 0) throw checkpointError(label, `weight "${w.name}" has unsupported dtype ${w.quantization?.dtype ?? w.dtype}`);
      const dtype = w.quantization ? `${w.dtype} (${w.quantization.dtype})` : w.dtype;
      weights.push({ name: w.name, shape: [...w.shape], dtype, paths: grp.paths as string[], offset, length: count * size });
      offset += count * size;
    }
  }
  return { topology: root.modelTopology, weights };
}

/**
 * Opens a TF.js model: `openShard(relativePath)` gives a ByteSource for each weight file (the caller decides
 * how: node fs, workspace.fs …).
 */
export async function openTfjsStore(
  modelJsonText: string, label: string, modelJsonSize: number, openShard: (relativePath: string) => Promise<ByteSource>,
): Promise<TensorStore> {
  const { weights } = parseTfjsManifest(modelJsonText, label);
  const shards = new Map<string, ByteSource>();
  const shard = async (p: string) => {
    let s = shards.get(p);
    if (!s) {
      s = await openShard(p);
      shards.set(p, s);
    }
    return s;
  };
  let fileSize = modelJsonSize;
  for (const p of new Set(weights.flatMap((w) => w.paths))) fileSize += await (await shard(p)).size();
  const byName = new Map(weights.map((w) => [w.name, w]));
  return {
    label,
    format: 'tfjs',
    fileSize,
    layers: weights.filter((w) => w.dtype === 'float32').map(({ name, shape, dtype }) => ({ name, shape, dtype })),
    tensorCount: weights.length,
    async readValues(name) {
      const w = byName.get(name);
      if (!w) throw checkpointError(label, `no weight named "${name}"`);
      if (w.dtype !== 'float32') throw checkpointError(label, `weight "${name}" is ${w.dtype}; only float32 weights can be shown`);
      return decodeTensorData('F32', await readGroupRange(w, shard)) as Float32Array;
    },
    async close() {
      for (const s of shards.values()) await s.close?.();
    },
  };
}

/** Bytes [offset, offset+length) of a weight group whose shards are concatenated in order. */
async function readGroupRange(w: TfjsWeightLocation, shard: (p: string) => Promise<ByteSource>): Promise<Uint8Array> {
  const out = new Uint8Array(w.length);
  let shardStart = 0;
  let filled = 0;
  for (const p of w.paths) {
    if (filled === w.length) break;
    const s = await shard(p);
    const size = await s.size();
    const from = Math.max(w.offset + filled, shardStart);
    const to = Math.min(w.offset + w.length, shardStart + size);
    if (to > from) {
      out.set(await s.read(from - shardStart, to - from), from - w.offset);
      filled += to - from;
    }
    shardStart += size;
  }
  if (filled !== w.length) throw checkpointError(w.paths[0] ?? 'model.json', `weight "${w.name}" runs past the end of its weight files`);
  return out;
}
