/**
 * TF.js Layers models on the local file system (model.json + weight shards) through our own IOHandler, so
 * no tfjs-node is needed and every failure is a ModelError naming the file the user must fix.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { modelError } from '../errors';

interface ModelJsonFile {
  format?: unknown;
  generatedBy?: unknown;
  convertedBy?: unknown;
  modelTopology?: unknown;
  weightsManifest?: unknown;
  trainingConfig?: unknown;
  userDefinedMetadata?: unknown;
}

const BYTES_PER_DTYPE: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

function readOrThrow(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw modelError(file, code === 'ENOENT' ? `${what} not found` : `cannot read ${what} (${code ?? String(e)})`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Bytes a manifest entry occupies in the concatenated shards (quantized weights store the quantized dtype). */
function entryBytes(entry: tf.io.WeightsManifestEntry): number | undefined {
  const dtype = entry.quantization?.dtype ?? entry.dtype;
  const size = BYTES_PER_DTYPE[dtype];
  if (size === undefined) return undefined;
  return entry.shape.reduce((a, b) => a * b, 1) * size;
}

function parseModelJson(file: string): ModelJsonFile {
  const text = readOrThrow(file, 'model file').toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw modelError(file, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObject(json)) throw modelError(file, 'not a TF.js model.json (expected a JSON object)');
  const model: ModelJsonFile = json;
  const topology = model.modelTopology;
  if (model.format === 'graph-model' || (isObject(topology) && 'node' in topology)) {
    throw modelError(file, 'is a TF.js graph model; only Layers models (tf.loadLayersModel format) can be trained and pruned');
  }
  if (!isObject(topology)) throw modelError(file, 'no modelTopology: not a TF.js Layers model.json');
  const config = isObject(topology.model_config) ? topology.model_config : topology;
  if (typeof config.class_name !== 'string') throw modelError(file, 'modelTopology has no class_name: not a TF.js Layers model.json');
  return model;
}

/** Reads the shards listed in the manifest, relative to model.json, checking their total size. */
function readWeights(file: string, manifest: unknown): { weightSpecs: tf.io.WeightsManifestEntry[]; weightData: ArrayBuffer } {
  if (manifest === undefined) return { weightSpecs: [], weightData: new ArrayBuffer(0) };
  if (!Array.isArray(manifest)) throw modelError(file, 'weightsManifest must be an array of {paths, weights}');
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const shards: Buffer[] = [];
  for (const group of manifest as unknown[]) {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw modelError(file, 'weightsManifest entry without paths/weights arrays');
    }
    weightSpecs.push(...(group.weights as tf.io.WeightsManifestEntry[]));
    for (const shard of group.paths as unknown[]) {
      if (typeof shard !== 'string') throw modelError(file, 'weightsManifest path is not a string');
      const shardFile = path.resolve(path.dirname(file), shard);
      const bytes = readOrThrow(shardFile, `weight shard (listed in ${path.basename(file)})`);
      shards.push(bytes);
    }
  }
  const total = shards.reduce((a, s) => a + s.length, 0);
  const sizes = weightSpecs.map(entryBytes);
  if (sizes.every((s) => s !== undefined)) {
    const needed = (sizes as number[]).reduce((a, b) => a + b, 0);
    if (needed !== total) throw modelError(file, `weight shards hold ${total} bytes, the manifest describes ${needed}`);
  }
  const joined = Buffer.concat(shards);
  return { weightSpecs, weightData: joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength) as ArrayBuffer };
}

function joinWeightData(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (!Array.isArray(data)) return new Uint8Array(data);
  return Buffer.concat(data.map((b) => new Uint8Array(b)));
}

/** model.json and its shards as tfjs ModelArtifacts, validated. */
export function readLayersArtifacts(modelJsonPath: string): tf.io.ModelArtifacts {
  const model = parseModelJson(modelJsonPath);
  const { weightSpecs, weightData } = readWeights(modelJsonPath, model.weightsManifest);
  const artifacts: tf.io.ModelArtifacts = { modelTopology: model.modelTopology as object, weightSpecs, weightData, format: 'layers-model' };
  if (typeof model.generatedBy === 'string') artifacts.generatedBy = model.generatedBy;
  if (typeof model.convertedBy === 'string') artifacts.convertedBy = model.convertedBy;
  if (isObject(model.trainingConfig)) artifacts.trainingConfig = model.trainingConfig as unknown as tf.io.TrainingConfig;
  if (isObject(model.userDefinedMetadata)) artifacts.userDefinedMetadata = model.userDefinedMetadata as tf.io.ModelArtifacts["userDefinedMetadata"];
  return artifacts;
}

export interface LayersFileOptions {
  /** Weight file name beside model.json (default `weights.bin`, as tfjs-node writes it). */
  weightsFileName?: string;
}

/** An IOHandler over a model.json path: load reads it and its shards, save writes model.json + one weights file. */
export function layersFileHandler(modelJsonPath: string, options: LayersFileOptions = {}): tf.io.IOHandler {
  const weightsFileName = options.weightsFileName ?? 'weights.bin';
  return {
    load: async (): Promise<tf.io.ModelArtifacts> => readLayersArtifacts(modelJsonPath),
    save: async (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw modelError(modelJsonPath, 'cannot save a binary (graph) topology as a Layers model.json');
      const weights = joinWeightData(artifacts.weightData);
      const modelJson = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [weightsFileName], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      const weightsFile = path.join(path.dirname(modelJsonPath), weightsFileName);
      try {
        // Write beside, then rename: a crash never leaves a half-written model.json next to old weights.
        writeFileSync(`${weightsFile}.tmp-${process.pid}`, weights);
        writeFileSync(`${modelJsonPath}.tmp-${process.pid}`, JSON.stringify(modelJson));
        renameSync(`${weightsFile}.tmp-${process.pid}`, weightsFile);
        renameSync(`${modelJsonPath}.tmp-${process.pid}`, modelJsonPath);
      } catch (e) {
        throw modelError(modelJsonPath, `cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      }
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: weights.byteLength,
        },
      };
    },
  };
}

/** Loads any TF.js Layers model.json (+ shards) from disk. */
export async function loadLayersModelFile(modelJsonPath: string): Promise<tf.LayersModel> {
  const artifacts = readLayersArtifacts(modelJsonPath);
  try {
    return await tf.loadLayersModel({ load: async () => artifacts });
  } catch (e) {
    const message = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw modelError(modelJsonPath, `not a loadable TF.js Layers model (${message})`);
  }
}

/** Saves a Layers model as model.json + weights.bin, loadable by stock `tf.loadLayersModel`. */
export async function saveLayersModelFile(model: tf.LayersModel, modelJsonPath: string, options: LayersFileOptions = {}): Promise<void> {
  mkdirSync(path.dirname(modelJsonPath), { recursive: true });
  await model.save(layersFileHandler(modelJsonPath, options));
}
