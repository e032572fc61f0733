/**
 * One read-only view over the files the inspector opens — a safetensors checkpoint (ELSA or foreign) or a
 * TF.js Layers `model.json` with its weight shards — so the summary, heatmap and histogram code does not care
 * which. Header first; tensor bytes only when asked for (docs/architecture.md §5).
 */
import type { DType, ElsaMetadata } from '../protocol/checkpoint';
import type { ByteSource } from './io/byteSource';
import { checkpointError, isElsaError } from './errors';
import { shortName } from './io/limits';
import { ELSA_TENSOR_PREFIX, parseElsaMetadata, readLevelCodes } from './io/elsaCheckpoint';
import { type SafetensorsHeader, readSafetensorsHeader, readTensor, tensorNamesInFileOrder } from './io/safetensors';
import { type ShardOpener, openTfjsModel, tfjsDtypeLabel } from './io/tfjsModel';
import { openShardedSafetensors } from './io/shardedSafetensors';
import { type TensorStats, streamTensorStats, streamTensorValues } from './io/tensorStats';
import { isFloatDType } from './io/dtype';

export interface StoreLayer {
  name: string;
  shape: number[];
  dtype: DType | string;
}

export interface TensorStore {
  label: string;
  /** A sharded model (`*.safetensors.index.json`) is `safetensors` too: the same tensors, more files. */
  format: 'safetensors' | 'tfjs';
  /** Bytes on disk (all shards for TF.js). */
  fileSize: number;
  meta?: ElsaMetadata;
  /** Tensors the inspector shows: ELSA weights with codes, else every float tensor of rank >= 1. */
  layers: StoreLayer[];
  /** Number of tensors in the file, bookkeeping included. */
  tensorCount: number;
  /** The TF.js Layers topology the file carries (an ELSA checkpoint's metadata, a model.json), for the model graph. */
  topology?: unknown;
  /** Every weight tensor of the model (bookkeeping `elsa.*` tensors left out), for the model graph. */
  modelTensors?: StoreLayer[];
  readValues(name: string): Promise<ArrayLike<number>>;
  /**
   * Safetensors files: streamed statistics of one tensor (zero share, N:M …; io/tensorStats.ts), reading at
   * most `maxBytes` in 4 MiB chunks — the dashboard's summary of a huge model without whole tensors in memory.
   */
  streamStats?(name: string, maxBytes: number): Promise<TensorStats>;
  /**
   * Safetensors files: every value of one tensor, 4 MiB at a time in memory order (`start` = element index of
   * `data[0]`), so the heatmap and histogram of a layer larger than memory cost one chunk (inspectStore.ts).
   */
  streamValues?(name: string, onChunk: (start: number, data: ArrayLike<number>) => void): Promise<void>;
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
    topology: meta?.topology,
    modelTensors: names.filter((n) => !n.startsWith(ELSA_TENSOR_PREFIX)).map((n) => ({ name: n, shape: [...header.tensors[n].shape], dtype: header.tensors[n].dtype })),
    readValues: async (name) => (await readTensor(source, header, name)).data as ArrayLike<number>,
    streamStats: async (name, maxBytes) => {
      const e = header.tensors[name];
      if (!e) throw checkpointError(header.label, `no tensor named "${shortName(name)}"`);
      return streamTensorStats(source, e.dtype, header.dataOffset + e.offsets[0], e.offsets[1] - e.offsets[0], maxBytes, isFloatDType(e.dtype) ? e.shape : undefined);
    },
    streamValues: async (name, onChunk) => {
      const e = header.tensors[name];
      if (!e) throw checkpointError(header.label, `no tensor named "${shortName(name)}"`);
      return streamTensorValues(source, e.dtype, header.dataOffset + e.offsets[0], e.offsets[1] - e.offsets[0], onChunk);
    },
    close: async () => { await source.close?.(); },
  };
  if (meta) store.readCodes = (name) => readLevelCodes(source, header, meta, name);
  return store;
}

/**
 * Opens a TF.js model through the one model.json reader (io/tfjsModel.ts): `openShard(relativePath)` gives a
 * ByteSource for each weight file, already confined to the model's folder (the caller decides how to open
 * it: node fs with symlink checks, workspace.fs …). Quantized weights are shown dequantized, their dtype
 * as `float32/uint8` (model dtype / stored dtype), as `elsa inspect` shows them.
 */
export async function openTfjsStore(modelJsonText: string, label: string, modelJsonSize: number, openShard: ShardOpener): Promise<TensorStore> {
  const reader = await openTfjsModel(modelJsonText, label, modelJsonSize, openShard);
  const weights = reader.manifest.weights;
  return {
    label,
    format: 'tfjs',
    fileSize: reader.fileSize,
    layers: weights.filter((w) => w.dtype === 'float32').map((w) => ({ name: w.name, shape: [...w.shape], dtype: tfjsDtypeLabel(w) })),
    tensorCount: weights.length,
    topology: reader.manifest.topology,
    modelTensors: weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: tfjsDtypeLabel(w) })),
    readValues: async (name) => (await reader.readWeight(name)).data as ArrayLike<number>,
    close: () => reader.close(),
  };
}

/**
 * Opens a Hugging Face sharded model (`*.safetensors.index.json`) as one store through the one index reader
 * (io/shardedSafetensors.ts): the index and every shard's header now, a tensor's bytes when asked for.
 * `openShard(name)` gives a ByteSource for a shard beside the index, confined as for TF.js shards.
 */
export async function openShardedSafetensorsStore(indexText: string, label: string, indexSize: number, openShard: ShardOpener): Promise<TensorStore> {
  const model = await openShardedSafetensors(indexText, label, indexSize, openShard);
  return {
    label,
    format: 'safetensors',
    fileSize: model.fileSize,
    layers: model.tensors
      .filter((t) => !t.name.startsWith(ELSA_TENSOR_PREFIX) && FLOAT_DTYPES.has(t.entry.dtype) && t.entry.shape.length >= 1)
      .map((t) => ({ name: t.name, shape: [...t.entry.shape], dtype: t.entry.dtype })),
    tensorCount: model.tensors.length,
    modelTensors: model.tensors.filter((t) => !t.name.startsWith(ELSA_TENSOR_PREFIX)).map((t) => ({ name: t.name, shape: [...t.entry.shape], dtype: t.entry.dtype })),
    readValues: async (name) => (await model.readTensor(name)).data as ArrayLike<number>,
    streamStats: (name, maxBytes) => model.streamStats(name, maxBytes),
    streamValues: async (name, onChunk) => {
      const t = model.tensors.find((x) => x.name === name);
      if (!t) throw checkpointError(label, `no tensor named "${shortName(name)}"`);
      const source = model.sourceOf(t.shard);
      try {
        await streamTensorValues(source, t.entry.dtype, model.headers.get(t.shard)!.dataOffset + t.entry.offsets[0], t.entry.offsets[1] - t.entry.offsets[0], onChunk);
      } catch (e) {
        throw isElsaError(e) ? checkpointError(label, `shard "${shortName(t.shard, 80)}": ${e.problem}`) : e;
      } finally {
        await source.close?.(); // one descriptor at a time, as the other shard reads
      }
    },
    close: () => model.close(),
  };
}
