/**
 * `elsa inspect` and the checkpoint explorer: what is in a checkpoint file, ours or not. Reads the header,
 * then one tensor at a time through a ByteSource, with statistics streamed in chunks (bounded memory).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { ElsaMetadata, Provenance, TrainingState } from '../../protocol/checkpoint';
import { checkpointError, isElsaError } from '../errors';
import { type ByteSource, fileByteSource } from './byteSource';
import { elementCount, isFloatDType } from './dtype';
import { CODES_PREFIX, ELSA_TENSOR_PREFIX, parseElsaMetadata } from './elsaCheckpoint';
import { sparsityAt, verifyLevelCodes } from './elsaContract';
import { type SafetensorsHeader, readSafetensorsHeader, tensorNamesInFileOrder } from './safetensors';
import { type SparseInfo, parseSparseMetadata, readSparseTensor } from './sparseFormat';
import { type TensorStats, statsOf, streamTensorStats } from './tensorStats';
import { openTfjsModelFile, tfjsDtypeLabel } from './tfjsModel';
import { openShardedSafetensorsFile } from './shardedSafetensors';
import { isShardIndexFile } from '../../protocol/runFolder';

export type { TensorStats } from './tensorStats';

export type InspectKind = 'elsa-checkpoint' | 'safetensors' | 'safetensors-sharded' | 'elsa-sparse' | 'tfjs-layers';
export type TensorRole = 'weight' | 'param' | 'codes' | 'levelParam' | 'extra';

export interface TensorReport {
  name: string;
  dtype: string;
  shape: number[];
  params: number;
  /** Bytes this tensor takes in the file (for the sparse format: its mask plus values). */
  bytes: number;
  role: TensorRole;
  stats?: TensorStats;
  /** ELSA sparsifiable weights: sparsity of level k at position k-1, for k = 1..K+1. */
  levelSparsity?: number[];
  /** Sparse format: how the tensor is stored. */
  encoding?: 'bitmap' | 'dense';
  /** Sharded models: the shard file that holds the tensor. */
  shard?: string;
}

export interface LevelSummary {
  index: number;
  targetSparsity: number;
  sparsity: number;
  accuracy?: number;
  dense?: boolean;
}

export interface InspectReport {
  path: string;
  label: string;
  kind: InspectKind;
  fileSize: number;
  tensorCount: number;
  totalParams: number;
  /** `__metadata__` entries (or model.json fields), long values shortened. */
  metadata: Record<string, string>;
  elsa?: {
    kind?: string;
    targets: number[];
    packing: string;
    levels: LevelSummary[];
    provenance?: Provenance;
    training?: TrainingState;
    smallParamsMode?: string;
    /** Bytes of level codes and per-level small parameters: the cost of nesting. */
    codeBytes: number;
    levelParamBytes: number;
  };
  sparse?: { source?: SparseInfo['source']; storedBytes: number; denseF32Bytes: number };
  /** Contract violations of a file that claims to be an ELSA checkpoint; its tensors are still listed. */
  problems?: string[];
  tensors: TensorReport[];
}

export interface InspectOptions {
  /** Compute per-tensor statistics (default true). */
  stats?: boolean;
  /** Per tensor, at most this many bytes are read for statistics (default 64 MiB); beyond, chunks are sampled. */
  maxStatsBytes?: number;
}

const MAX_META_CHARS = 200;
const DEFAULT_MAX_STATS_BYTES = 64 << 20;
const shorten = (s: string) => (s.length > MAX_META_CHARS ? `${s.slice(0, MAX_META_CHARS - 1)}…` : s);

/** Inspect a `.safetensors` (ELSA checkpoint, sparse level, or any other) or a TF.js `model.json`. */
export async function inspectFile(filePath: string, options: InspectOptions = {}): Promise<InspectReport> {
  const label = path.basename(filePath);
  try {
    const index = isShardIndexFile(filePath) ? filePath : await shardIndexInFolder(filePath);
    if (index) return await inspectSharded(index, options);
    if (filePath.toLowerCase().endsWith('.json')) return await inspectTfjs(filePath, options);
    const source = fileByteSource(filePath, label);
    try {
      return await inspectSafetensors(source, filePath, options);
    } finally {
      await source.close?.();
    }
  } catch (e) {
    if (isElsaError(e)) throw e;
    throw checkpointError(label, `cannot inspect: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Inspect a safetensors file from any ByteSource (the extension passes one over workspace.fs). */
export async function inspectSafetensors(source: ByteSource, filePath: string, options: InspectOptions = {}): Promise<InspectReport> {
  const header = await readSafetensorsHeader(source);
  const problems: string[] = [];
  // A broken ELSA contract does not hide the file: its tensors are listed as plain safetensors, flagged.
  let elsa: ElsaMetadata | undefined;
  try {
    elsa = parseElsaMetadata(header);
  } catch (e) {
    if (!isElsaError(e)) throw e;
    problems.push(e.problem);
  }
  let histograms: Map<string, Float64Array> | undefined;
  if (elsa) {
    try {
      histograms = await verifyLevelCodes(source, header, elsa);
    } catch (e) {
      if (!isElsaError(e)) throw e;
      problems.push(e.problem);
    }
  }
  const sparse = elsa || problems.length ? undefined : parseSparseMetadata(header);
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(header.metadata)) metadata[k] = shorten(v);
  const base = { path: filePath, label: header.label, fileSize: header.fileSize, metadata };
  if (sparse) return inspectSparse(source, header, sparse, base, options);
  const tensors: TensorReport[] = [];
  for (const name of tensorNamesInFileOrder(header)) {
    const e = header.tensors[name];
    const role = roleOf(name, elsa);
    const report: TensorReport = {
      name, dtype: e.dtype, shape: e.shape, params: elementCount(e.shape) ?? 0, bytes: e.offsets[1] - e.offsets[0], role,
    };
    if (options.stats !== false && role !== 'codes') {
      report.stats = await streamTensorStats(
        source, e.dtype, header.dataOffset + e.offsets[0], report.bytes, options.maxStatsBytes ?? DEFAULT_MAX_STATS_BYTES, isFloatDType(e.dtype) ? e.shape : undefined,
      );
    }
    const h = histograms?.get(name);
    if (elsa && h) report.levelSparsity = Array.from({ length: elsa.targets.length + 1 }, (_, k) => sparsityAt(h, k + 1, report.params));
    tensors.push(report);
  }
  const modelTensors = tensors.filter((t) => t.role === 'weight' || t.role === 'param');
  return {
    ...base,
    kind: elsa ? 'elsa-checkpoint' : 'safetensors',
    tensorCount: tensors.length,
    totalParams: (elsa ? modelTensors : tensors).reduce((n, t) => n + t.params, 0),
    ...(elsa ? { elsa: elsaSummary(elsa, tensors) } : {}),
    ...(problems.length ? { problems } : {}),
    tensors,
  };
}

function roleOf(name: string, elsa: ElsaMetadata | undefined): TensorRole {
  if (!elsa) return 'param';
  if (Object.prototype.hasOwnProperty.call(elsa.codes, name)) return 'weight';
  if (name.startsWith(CODES_PREFIX)) return 'codes';
  if (/^elsa\.level\d+\//.test(name)) return 'levelParam';
  if (name.startsWith(ELSA_TENSOR_PREFIX)) return 'extra';
  return 'param';
}

function elsaSummary(elsa: ElsaMetadata, tensors: TensorReport[]): NonNullable<InspectReport['elsa']> {
  const bytesOf = (role: TensorRole) => tensors.filter((t) => t.role === role).reduce((n, t) => n + t.bytes, 0);
  return {
    ...(elsa.kind ? { kind: elsa.kind } : {}),
    targets: elsa.targets,
    packing: elsa.packing,
    levels: elsa.levels.map((l) => ({
      index: l.index, targetSparsity: l.targetSparsity, sparsity: l.sparsity,
      ...(typeof l.metrics.accuracy === 'number' ? { accuracy: l.metrics.accuracy } : {}),
      ...(l.dense ? { dense: true } : {}),
    })),
    ...(elsa.provenance ? { provenance: elsa.provenance } : {}),
    ...(elsa.training ? { training: elsa.training } : {}),
    ...(elsa.smallParams ? { smallParamsMode: elsa.smallParams.mode } : {}),
    codeBytes: bytesOf('codes'),
    levelParamBytes: bytesOf('levelParam'),
  };
}

async function inspectSparse(
  source: ByteSource, header: SafetensorsHeader, info: SparseInfo,
  base: Pick<InspectReport, 'path' | 'label' | 'fileSize' | 'metadata'>, options: InspectOptions,
): Promise<InspectReport> {
  const tensors: TensorReport[] = [];
  let storedBytes = 0;
  for (const [name, t] of Object.entries(info.tensors)) {
    const stored = [t.mask, t.values, t.dense].filter((n): n is string => n !== undefined);
    const bytes = stored.reduce((n, s) => n + header.tensors[s].offsets[1] - header.tensors[s].offsets[0], 0);
    storedBytes += bytes;
    const dense = await readSparseTensor(source, header, info, name);
    tensors.push({
      name, dtype: dense.dtype, shape: t.shape, params: dense.data.length, bytes, role: 'param', encoding: t.encoding,
      ...(options.stats !== false ? { stats: statsOf(dense.data, isFloatDType(dense.dtype) ? t.shape : undefined) } : {}),
    });
  }
  const totalParams = tensors.reduce((n, t) => n + t.params, 0);
  return {
    ...base,
    kind: 'elsa-sparse',
    tensorCount: tensors.length,
    totalParams,
    sparse: { ...(info.source ? { source: info.source } : {}), storedBytes, denseF32Bytes: totalParams * 4 },
    tensors,
  };
}

async function inspectTfjs(filePath: string, options: InspectOptions): Promise<InspectReport> {
  const reader = await openTfjsModelFile(filePath);
  try {
    const tensors: TensorReport[] = [];
    for (const w of reader.manifest.weights) {
      const report: TensorReport = { name: w.name, dtype: tfjsDtypeLabel(w), shape: [...w.shape], params: elementCount(w.shape) ?? 0, bytes: w.length, role: 'param' };
      // Statistics of the values the model sees (quantized weights dequantized), as the extension shows them.
      if (options.stats !== false) report.stats = statsOf((await reader.readWeight(w.name)).data, w.dtype === 'float32' ? w.shape : undefined);
      tensors.push(report);
    }
    const m = reader.manifest;
    const quantized = m.weights.filter((w) => w.quantization).length;
    return {
      path: filePath,
      label: path.basename(filePath),
      kind: 'tfjs-layers',
      fileSize: reader.fileSize,
      tensorCount: tensors.length,
      totalParams: tensors.reduce((n, t) => n + t.params, 0),
      metadata: {
        format: m.format ?? '(none)',
        weightBytes: String(reader.weightBytes),
        shards: String(m.groups.reduce((n, g) => n + g.paths.length, 0)),
        ...(quantized ? { quantized: `${quantized} of ${m.weights.length} weights (statistics of dequantized values)` } : {}),
        ...(m.generatedBy ? { generatedBy: shorten(m.generatedBy) } : {}),
        ...(m.convertedBy ? { convertedBy: shorten(m.convertedBy) } : {}),
      },
      tensors,
    };
  } finally {
    await reader.close();
  }
}
/** A folder given to `elsa inspect`: the one `*.safetensors.index.json` in it (a Hugging Face model folder). */
async function shardIndexInFolder(p: string): Promise<string | undefined> {
  const st = await fsp.stat(p).catch(() => undefined);
  if (!st?.isDirectory()) return undefined; // not a folder: the file readers report what is wrong with it
  const names = await fsp.readdir(p).catch((e: NodeJS.ErrnoException) => {
    throw checkpointError(path.basename(p), `cannot list the folder (${e.code ?? e.message})`);
  });
  const indexes = names.filter(isShardIndexFile).sort();
  if (indexes.length === 1) return path.join(p, indexes[0]);
  throw checkpointError(path.basename(p), indexes.length === 0
    ? 'a folder without a *.safetensors.index.json; give a checkpoint file or a sharded model\'s index'
    : `a folder with ${indexes.length} sharded-model indexes (${indexes.slice(0, 3).join(', ')}${indexes.length > 3 ? ', …' : ''}); give one of them`);
}

/**
 * A Hugging Face sharded model as one model: every indexed tensor with its shard, statistics streamed one
 * tensor at a time exactly as for a single file (so the numbers are the same as for the unsharded file).
 */
async function inspectSharded(indexPath: string, options: InspectOptions): Promise<InspectReport> {
  const model = await openShardedSafetensorsFile(indexPath);
  try {
    const tensors: TensorReport[] = [];
    for (const t of model.tensors) {
      const e = t.entry;
      const report: TensorReport = {
        name: t.name, dtype: e.dtype, shape: [...e.shape], params: elementCount(e.shape) ?? 0, bytes: e.offsets[1] - e.offsets[0], role: 'param', shard: t.shard,
      };
      if (options.stats !== false) report.stats = await model.streamStats(t.name, options.maxStatsBytes ?? DEFAULT_MAX_STATS_BYTES);
      tensors.push(report);
    }
    const metadata: Record<string, string> = { shards: String(model.index.shards.length) };
    for (const [k, v] of Object.entries(model.index.metadata)) metadata[k] = shorten(v);
    return {
      path: indexPath, label: model.label, kind: 'safetensors-sharded', fileSize: model.fileSize, tensorCount: tensors.length,
      totalParams: tensors.reduce((n, t) => n + t.params, 0), metadata, tensors,
    };
  } finally {
    await model.close();
  }
}
