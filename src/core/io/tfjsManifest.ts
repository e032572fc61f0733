/**
 * The `model.json` of a TF.js Layers model, parsed and bounded: `modelTopology` plus a `weightsManifest` of
 * groups; each group's shards are concatenated and its weights lie back to back in manifest order. A weight
 * may be stored quantized (`quantization: {dtype: 'uint8'|'uint16', scale, min}` or `{dtype: 'float16'}`),
 * as the tensorflowjs converter writes it. This is the only parser of model.json files: `elsa inspect`,
 * the extension's TensorStore and the trainer's model loader all go through it (see tfjsModel.ts).
 */
import { checkpointError } from '../errors';
import { elementCount } from './dtype';
import { MAX_JSON_BYTES, MAX_NAME_CHARS, MAX_TENSORS, shortName } from './limits';

export type TfjsDtype = 'float32' | 'int32' | 'bool';
export type TfjsStoredDtype = TfjsDtype | 'uint8' | 'uint16' | 'float16';

export interface TfjsQuantization {
  dtype: 'uint8' | 'uint16' | 'float16';
  /** uint8/uint16: value = q * scale + min (float32 weights) or round(q * scale + min) (int32). */
  scale?: number;
  min?: number;
}

export interface TfjsWeightEntry {
  name: string;
  shape: number[];
  /** The dtype the model sees (after dequantization). */
  dtype: TfjsDtype;
  /** The dtype of the bytes in the shard. */
  stored: TfjsStoredDtype;
  quantization?: TfjsQuantization;
  /** Index into `groups`. */
  group: number;
  /** Byte range inside the group's concatenated shards. */
  offset: number;
  length: number;
}

export interface TfjsGroup {
  /** Shard paths as written in model.json (URL-encoded, relative to it). */
  paths: string[];
  /** Bytes the manifest says the shards hold together. */
  bytes: number;
}

export interface TfjsManifest {
  label: string;
  format: string | undefined;
  generatedBy?: string;
  convertedBy?: string;
  topology: unknown;
  trainingConfig?: unknown;
  userDefinedMetadata?: Record<string, unknown>;
  groups: TfjsGroup[];
  weights: TfjsWeightEntry[];
}

export const TFJS_STORED_BYTES: Readonly<Record<TfjsStoredDtype, number>> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };
/** At most this many shard files per model (the converter writes 4 MB shards: 4,000 shards is 16 GB). */
export const MAX_SHARDS = 4096;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and validates a model.json text: a CheckpointError naming `label` for anything malformed. */
export function parseTfjsManifest(text: string, label: string): TfjsManifest {
  if (text.length > MAX_JSON_BYTES) throw checkpointError(label, `model.json is ${text.length} characters, over the ${MAX_JSON_BYTES}-character limit`);
  let raw: unknown;
  try {
    raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw checkpointError(label, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (!isObject(raw)) throw checkpointError(label, 'not a JSON object');
  const topology = raw.modelTopology;
  if (raw.format === 'graph-model' || (isObject(topology) && 'node' in topology)) {
    throw checkpointError(label, 'is a TF.js graph model; only Layers models (tf.loadLayersModel format) are supported');
  }
  if (!Array.isArray(raw.weightsManifest)) {
    throw checkpointError(label, raw.modelTopology === undefined ? 'not a TF.js model (no weightsManifest)' : 'weightsManifest must be an array of {paths, weights}');
  }
  if (!isObject(topology)) throw checkpointError(label, 'no modelTopology object (not a TF.js Layers model.json)');
  if (raw.format !== undefined && raw.format !== 'layers-model') throw checkpointError(label, `format ${shortName(JSON.stringify(raw.format))} is not a TF.js Layers model (expected "layers-model")`);
  const groups: TfjsGroup[] = [];
  const weights: TfjsWeightEntry[] = [];
  const seen = new Set<string>();
  let shardCount = 0;
  (raw.weightsManifest as unknown[]).forEach((g, gi) => {
    if (!isObject(g) || !Array.isArray(g.paths) || !g.paths.every((p) => typeof p === 'string') || !Array.isArray(g.weights)) {
      throw checkpointError(label, `weightsManifest[${gi}] must have paths (strings) and weights (array)`);
    }
    shardCount += g.paths.length;
    if (shardCount > MAX_SHARDS) throw checkpointError(label, `more than ${MAX_SHARDS} weight shards`);
    if (weights.length + g.weights.length > MAX_TENSORS) throw checkpointError(label, `more than ${MAX_TENSORS} weights in the manifest (limit)`);
    if (g.weights.length > 0 && g.paths.length === 0) throw checkpointError(label, `weightsManifest[${gi}] lists weights but no shard paths`);
    let offset = 0;
    g.weights.forEach((w: unknown, wi: number) => {
      const entry = parseWeight(label, w, `weightsManifest[${gi}].weights[${wi}]`);
      if (seen.has(entry.name)) throw checkpointError(label, `weight "${shortName(entry.name)}" appears twice in the manifest`);
      seen.add(entry.name);
      const length = elementCount(entry.shape)! * TFJS_STORED_BYTES[entry.stored];
      if (!Number.isSafeInteger(offset + length)) throw checkpointError(label, `weight "${shortName(entry.name)}" is too large`);
      weights.push({ ...entry, group: gi, offset, length });
      offset += length;
    });
    groups.push({ paths: g.paths as string[], bytes: offset });
  });
  return {
    label,
    format: typeof raw.format === 'string' ? raw.format : undefined,
    ...(typeof raw.generatedBy === 'string' ? { generatedBy: raw.generatedBy } : {}),
    ...(typeof raw.convertedBy === 'string' ? { convertedBy: raw.convertedBy } : {}),
    topology,
    ...(isObject(raw.trainingConfig) ? { trainingConfig: raw.trainingConfig } : {}),
    ...(isObject(raw.userDefinedMetadata) ? { userDefinedMetadata: raw.userDefinedMetadata } : {}),
    groups,
    weights,
  };
}

function parseWeight(label: string, w: unknown, where: string): Omit<TfjsWeightEntry, 'group' | 'offset' | 'length'> {
  if (!isObject(w) || typeof w.name !== 'string' || !Array.isArray(w.shape) || elementCount(w.shape) === undefined) {
    throw checkpointError(label, `${where} needs a name and a valid shape`);
  }
  const name = w.name;
  if (name.length === 0 || name.length > MAX_NAME_CHARS) throw checkpointError(label, `${where}: weight name of ${name.length} characters (1..${MAX_NAME_CHARS} allowed)`);
  const shown = shortName(name);
  if (w.dtype !== 'float32' && w.dtype !== 'int32' && w.dtype !== 'bool') {
    throw checkpointError(label, `weight "${shown}" has dtype ${shortName(JSON.stringify(w.dtype) ?? 'undefined')}; supported: float32, int32, bool`);
  }
  const dtype: TfjsDtype = w.dtype;
  const shape = [...(w.shape as number[])];
  if (w.quantization === undefined) return { name, shape, dtype, stored: dtype };
  const q = w.quantization;
  if (!isObject(q) || (q.dtype !== 'uint8' && q.dtype !== 'uint16' && q.dtype !== 'float16')) {
    throw checkpointError(label, `weight "${shown}": quantization must be {dtype: "uint8" | "uint16" | "float16", …}`);
  }
  if (q.dtype === 'float16') {
    if (dtype !== 'float32') throw checkpointError(label, `weight "${shown}": float16 quantization needs a float32 weight, not ${dtype}`);
    return { name, shape, dtype, stored: 'float16', quantization: { dtype: 'float16' } };
  }
  if (dtype === 'bool') throw checkpointError(label, `weight "${shown}": a bool weight cannot be quantized`);
  if (typeof q.scale !== 'number' || typeof q.min !== 'number' || !Number.isFinite(q.scale) || !Number.isFinite(q.min)) {
    throw checkpointError(label, `weight "${shown}": ${q.dtype} quantization needs finite numbers scale and min`);
  }
  return { name, shape, dtype, stored: q.dtype, quantization: { dtype: q.dtype, scale: q.scale, min: q.min } };
}

/**
 * A manifest path as a path relative to the model's folder, or a CheckpointError: URL-decoded as tf.io
 * writes them, and confined to the folder (no absolute paths, no `..`, no empty segments or NUL bytes).
 */
export function confineShardPath(label: string, p: string): string {
  let decoded = p;
  try {
    decoded = decodeURIComponent(p);
  } catch {
    // A stray '%' in a hand-written path is taken literally.
  }
  const shown = shortName(p);
  if (decoded.length === 0 || decoded.length > 4096 || decoded.includes('\0')) throw checkpointError(label, `weight file path "${shown}" is not a file name`);
  const parts = decoded.split(/[\\/]/);
  if (decoded.startsWith('/') || decoded.startsWith('\\') || /^[A-Za-z]:/.test(decoded) || /^[a-z][a-z0-9+.-]*:\/\//i.test(decoded)) {
    throw checkpointError(label, `weight file "${shown}" is an absolute path or URL; weight files must lie in the model's folder`);
  }
  if (parts.some((s) => s === '..')) throw checkpointError(label, `weight file "${shown}" leaves the model's folder ("..")`);
  const kept = parts.filter((s) => s !== '' && s !== '.');
  if (kept.length === 0) throw checkpointError(label, `weight file path "${shown}" is not a file name`);
  return kept.join('/');
}
