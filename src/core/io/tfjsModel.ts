/**
 * TF.js Layers models on disk: `model.json` (`modelTopology` + `weightsManifest`) and binary weight shards.
 * The manifest's groups are read in order; within a group the shards are concatenated and the weights lie
 * back to back in manifest order. Paths are relative to the model.json. Quantized weights are refused.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { DType } from '../contract';
import { checkpointError } from '../errors';
import { writeFileAtomic } from './atomic';
import { type HostTensor, decodeTensorData, elementCount, encodeTensorData } from './dtype';

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

export interface TfjsModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology: unknown;
  trainingConfig?: unknown;
  weightsManifest: { paths: string[]; weights: TfjsWeightSpec[] }[];
  userDefinedMetadata?: Record<string, unknown>;
}

export interface TfjsModel {
  topology: unknown;
  /** Manifest names, in manifest order. */
  weights: Record<string, HostTensor>;
  /** The model.json `format` (`layers-model` for Layers models). */
  format: string | undefined;
  /** Total bytes of the weight shards. */
  weightBytes: number;
}

const TFJS_TO_DTYPE: Record<string, DType> = { float32: 'F32', int32: 'I32', bool: 'BOOL' };
const DTYPE_TO_TFJS: Partial<Record<DType, string>> = { F32: 'float32', F16: 'float32', BF16: 'float32', I32: 'int32', BOOL: 'bool' };
const TFJS_SIZE: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** Parses and validates a model.json text. */
export function parseTfjsModelJson(label: string, text: string): TfjsModelJson {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw checkpointError(label, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw checkpointError(label, 'not a JSON object');
  const m = raw as Record<string, unknown>;
  if (m.modelTopology === undefined || m.modelTopology === null) throw checkpointError(label, 'no modelTopology (not a TF.js Layers model.json)');
  if (m.format !== undefined && m.format !== 'layers-model') throw checkpointError(label, `format "${String(m.format)}" is not a TF.js Layers model (expected "layers-model")`);
  const manifest = m.weightsManifest ?? [];
  if (!Array.isArray(manifest)) throw checkpointError(label, 'weightsManifest must be an array');
  manifest.forEach((g: unknown, gi: number) => {
    const group = g as Record<string, unknown>;
    if (typeof group !== 'object' || group === null || !Array.isArray(group.paths) || !group.paths.every((p) => typeof p === 'string') || !Array.isArray(group.weights)) {
      throw checkpointError(label, `weightsManifest[${gi}] must have paths (strings) and weights (array)`);
    }
    group.weights.forEach((w: unknown, wi: number) => {
      const spec = w as Record<string, unknown>;
      if (typeof spec !== 'object' || spec === null || typeof spec.name !== 'string' || !Array.isArray(spec.shape) || elementCount(spec.shape) === undefined) {
        throw checkpointError(label, `weightsManifest[${gi}].weights[${wi}] needs a name and a valid shape`);
      }
      if (spec.quantization !== undefined) throw checkpointError(label, `weight "${spec.name}" is quantized; quantized TF.js models are not supported`);
      if (typeof spec.dtype !== 'string' || !(spec.dtype in TFJS_TO_DTYPE)) {
        throw checkpointError(label, `weight "${spec.name}" has dtype ${JSON.stringify(spec.dtype)}; supported: float32, int32, bool`);
      }
    });
  });
  return { ...(m as unknown as TfjsModelJson), weightsManifest: manifest as TfjsModelJson['weightsManifest'] };
}

/** Reads a model.json and its shards. */
export async function readTfjsModel(modelJsonPath: string): Promise<TfjsModel> {
  const label = path.basename(modelJsonPath);
  let text: string;
  try {
    text = await fsp.readFile(modelJsonPath, 'utf8');
  } catch (e) {
    throw checkpointError(label, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const json = parseTfjsModelJson(label, text);
  const dir = path.dirname(modelJsonPath);
  const weights: Record<string, HostTensor> = {};
  let weightBytes = 0;
  for (const group of json.weightsManifest) {
    const shards: Uint8Array[] = [];
    for (const p of group.paths) {
      try {
        shards.push(await fsp.readFile(path.resolve(dir, safeDecodeURI(p))));
      } catch (e) {
        throw checkpointError(label, `cannot read weight shard "${p}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    const bytes = concat(shards);
    weightBytes += bytes.byteLength;
    let offset = 0;
    for (const spec of group.weights) {
      const dtype = TFJS_TO_DTYPE[spec.dtype];
      const size = elementCount(spec.shape)! * TFJS_SIZE[spec.dtype];
      if (offset + size > bytes.byteLength) {
        throw checkpointError(label, `weight shards of group [${group.paths.join(', ')}] are ${bytes.byteLength} bytes, too short for weight "${spec.name}" (needs bytes ${offset}..${offset + size})`);
      }
      if (Object.prototype.hasOwnProperty.call(weights, spec.name)) throw checkpointError(label, `weight "${spec.name}" appears twice in the manifest`);
      const data = decodeTensorData(dtype, bytes.subarray(offset, offset + size));
      Object.defineProperty(weights, spec.name, { value: { dtype, shape: [...spec.shape], data }, enumerable: true, writable: true, configurable: true });
      offset += size;
    }
    if (offset !== bytes.byteLength) throw checkpointError(label, `weight shards [${group.paths.join(', ')}] are ${bytes.byteLength} bytes but the manifest describes ${offset}`);
  }
  return { topology: json.modelTopology, weights, format: json.format, weightBytes };
}

// Manifest paths are URL-encoded by tf.io; a stray '%' in a hand-written one is taken literally.
function safeDecodeURI(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.byteLength; }
  return out;
}

export interface WriteTfjsModelOptions {
  /** Name of the single weight shard beside model.json (default `weights.bin`). */
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
  const weightsFileName = options.weightsFileName ?? 'weights.bin';
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
