/**
 * A Hugging Face style sharded model: `model.safetensors.index.json` (`{"metadata": {...}, "weight_map":
 * {tensor: shard file}}`) beside its shard files, opened as one model. Only the index and each shard's header
 * are read up front; tensor bytes one tensor at a time (docs/reliability.md bounds: index size, shard and
 * tensor counts, shard names confined to the index's folder, regular files only).
 */
import * as path from 'node:path';
import type { TensorEntry } from '../../protocol/checkpoint';
import { checkpointError, isElsaError } from '../errors';
import type { ByteSource } from './byteSource';
import { readBoundedText } from './byteSource';
import { type HostTensor, decodeTensorData, isFloatDType } from './dtype';
import { MAX_JSON_BYTES, MAX_NAME_CHARS, MAX_SHARDS, MAX_TENSORS, shortName } from './limits';
import { type SafetensorsHeader, readSafetensorsHeader } from './safetensors';
import { type TensorStats, streamTensorStats } from './tensorStats';
import { type ShardOpener, fileShardOpener } from './tfjsModel';

export interface ShardIndex {
  /** `metadata` entries as strings (HF writes `total_size` as a number). */
  metadata: Record<string, string>;
  /** Tensor -> shard file name, in index order. */
  weightMap: Map<string, string>;
  /** Shard file names in order of first appearance. */
  shards: string[];
}

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/** A shard name must be a plain file name: the shards live beside the index, never elsewhere. */
function checkShardName(label: string, tensor: string, shard: unknown): string {
  const bad = (problem: string) => checkpointError(label, `weight_map["${shortName(tensor, 60)}"] ${problem}`);
  if (typeof shard !== 'string') throw bad(`is ${describe(shard)}, expected a shard file name`);
  if (shard.length === 0 || shard.length > MAX_NAME_CHARS) throw bad(`is a shard name of ${shard.length} characters`);
  if (/[/\\\0]/.test(shard) || shard === '.' || shard === '..' || path.isAbsolute(shard)) {
    throw bad(`names "${shortName(shard, 60)}", not a file beside the index (shards must be in the index's folder)`);
  }
  return shard;
}

export function parseShardIndex(text: string, label: string): ShardIndex {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw checkpointError(label, `index is not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw checkpointError(label, `index is ${describe(parsed)}, expected a JSON object`);
  const raw = parsed as Record<string, unknown>;
  const wm = raw.weight_map;
  if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) throw checkpointError(label, `weight_map is ${describe(wm)}, expected an object of tensor -> shard file`);
  const entries = Object.entries(wm as Record<string, unknown>);
  if (entries.length === 0) throw checkpointError(label, 'weight_map is empty');
  if (entries.length > MAX_TENSORS) throw checkpointError(label, `weight_map lists ${entries.length} tensors, more than the ${MAX_TENSORS} allowed`);
  const weightMap = new Map<string, string>();
  const shards = new Set<string>();
  for (const [tensor, shard] of entries) {
    if (tensor.length > MAX_NAME_CHARS) throw checkpointError(label, `a tensor name of ${tensor.length} characters ("${shortName(tensor, 60)}"), more than the ${MAX_NAME_CHARS} allowed`);
    const name = checkShardName(label, tensor, shard);
    shards.add(name);
    if (shards.size > MAX_SHARDS) throw checkpointError(label, `weight_map names more than ${MAX_SHARDS} shard files`);
    weightMap.set(tensor, name);
  }
  const metadata: Record<string, string> = {};
  const meta = raw.metadata;
  if (meta !== undefined && meta !== null) {
    if (typeof meta !== 'object' || Array.isArray(meta)) throw checkpointError(label, `metadata is ${describe(meta)}, expected an object`);
    for (const [k, v] of Object.entries(meta as Record<string, unknown>)) {
      Object.defineProperty(metadata, k, { value: typeof v === 'string' ? v : JSON.stringify(v) ?? String(v), enumerable: true, writable: true, configurable: true });
    }
  }
  return { metadata, weightMap, shards: [...shards] };
}

export interface ShardedTensor {
  name: string;
  shard: string;
  entry: TensorEntry;
}

export interface ShardedSafetensors {
  label: string;
  /** Bytes of the index and all shards. */
  fileSize: number;
  index: ShardIndex;
  /** Shard headers, in shard order. */
  headers: Map<string, SafetensorsHeader>;
  /** Every indexed tensor: shard by shard, in file order within a shard. */
  tensors: ShardedTensor[];
  /** The shard's ByteSource (opened on first read) and its data section offset. */
  sourceOf(shard: string): ByteSource;
  readTensor(name: string): Promise<HostTensor>;
  /** Streamed statistics (io/tensorStats.ts) of one tensor, at most `maxBytes` read; N:M for float tensors. */
  streamStats(name: string, maxBytes: number): Promise<TensorStats>;
  close(): Promise<void>;
}

/**
 * Opens an index: every shard's header is read and checked, and every weight_map entry must be a tensor of
 * its shard. Shard files are closed after their header; a read reopens one (so a 1,000-shard model does not
 * hold 1,000 descriptors).
 */
export async function openShardedSafetensors(text: string, label: string, indexSize: number, openShard: ShardOpener): Promise<ShardedSafetensors> {
  const index = parseShardIndex(text, label);
  const sources = new Map<string, ByteSource>();
  const headers = new Map<string, SafetensorsHeader>();
  const closeAll = async () => {
    for (const s of sources.values()) await s.close?.();
  };
  const shardError = (shard: string, e: unknown) => {
    if (!isElsaError(e)) return e;
    return checkpointError(label, `shard "${shortName(shard, 80)}": ${e.problem}`);
  };
  let fileSize = indexSize;
  try {
    for (const shard of index.shards) {
      let source: ByteSource;
      try {
        source = await openShard(shard);
        sources.set(shard, source);
        headers.set(shard, await readSafetensorsHeader(source));
        fileSize += headers.get(shard)!.fileSize;
      } catch (e) {
        throw shardError(shard, e);
      } finally {
        await sources.get(shard)?.close?.();
      }
    }
    const tensors: ShardedTensor[] = [];
    for (const [name, shard] of index.weightMap) {
      const h = headers.get(shard)!;
      if (!Object.prototype.hasOwnProperty.call(h.tensors, name)) {
        throw checkpointError(label, `weight_map puts tensor "${shortName(name, 80)}" in "${shortName(shard, 80)}", which has no such tensor`);
      }
      tensors.push({ name, shard, entry: h.tensors[name] });
    }
    const order = new Map(index.shards.map((s, i) => [s, i]));
    tensors.sort((a, b) => order.get(a.shard)! - order.get(b.shard)! || a.entry.offsets[0] - b.entry.offsets[0]);
    const byName = new Map(tensors.map((t) => [t.name, t]));
    const tensorOf = (name: string) => {
      const t = byName.get(name);
      if (!t) throw checkpointError(label, `no tensor named "${shortName(name)}"`);
      return t;
    };
    return {
      label, fileSize, index, headers, tensors,
      sourceOf: (shard) => sources.get(shard)!,
      async streamStats(name, maxBytes) {
        const t = tensorOf(name);
        const s = sources.get(t.shard)!;
        const e = t.entry;
        try {
          return await streamTensorStats(s, e.dtype, headers.get(t.shard)!.dataOffset + e.offsets[0], e.offsets[1] - e.offsets[0], maxBytes, isFloatDType(e.dtype) ? e.shape : undefined);
        } catch (err) {
          throw shardError(t.shard, err);
        } finally {
          await s.close?.(); // one descriptor at a time, however many shards
        }
      },
      async readTensor(name) {
        const t = tensorOf(name);
        const h = headers.get(t.shard)!;
        const s = sources.get(t.shard)!;
        try {
          const bytes = await s.read(h.dataOffset + t.entry.offsets[0], t.entry.offsets[1] - t.entry.offsets[0]);
          return { dtype: t.entry.dtype, shape: [...t.entry.shape], data: decodeTensorData(t.entry.dtype, bytes) };
        } catch (e) {
          throw shardError(t.shard, e);
        } finally {
          await s.close?.();
        }
      },
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/** Reads an index from disk (size-capped before reading) and opens the shards beside it. */
export async function openShardedSafetensorsFile(indexPath: string, label = path.basename(indexPath)): Promise<ShardedSafetensors> {
  const { text, size } = await readBoundedText(indexPath, label, 'index', MAX_JSON_BYTES);
  return openShardedSafetensors(text, label, size, fileShardOpener(indexPath));
}
