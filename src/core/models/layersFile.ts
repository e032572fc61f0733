/**
 * TF.js Layers models on the local file system (model.json + weight shards) through our own IOHandler, so
 * no tfjs-node is needed and every failure is a ModelError naming the file the user must fix.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isElsaError, modelError } from '../errors';
import { type TfjsModelReader, openTfjsModelFile } from '../io/tfjsModel';
import { buildWithWeightBudget } from './budgetedBuild';
import { checkLayersTopology } from './topologyCheck';
import { tfjsWeightsFileName } from '../../protocol/runFolder';

/**
 * model.json and its shards as tfjs ModelArtifacts, read by the one model.json reader (io/tfjsModel.ts) and
 * validated: reader problems become ModelErrors naming the model.json. Quantized weights are refused with
 * one line (docs/reliability.md): training from dequantized uint8 weights would silently start from a
 * coarser model than the user exported, so they must re-export float32 weights.
 */
export async function readLayersArtifacts(modelJsonPath: string): Promise<tf.io.ModelArtifacts> {
  let reader: TfjsModelReader;
  try {
    reader = await openTfjsModelFile(modelJsonPath, modelJsonPath);
  } catch (e) {
    throw asModelError(modelJsonPath, e);
  }
  try {
    const m = reader.manifest;
    const quantized = m.weights.filter((w) => w.quantization);
    if (quantized.length > 0) {
      throw modelError(modelJsonPath, `${quantized.length} of ${m.weights.length} weights are quantized (${quantized[0].stored}); training needs float32 weights — export the model again without quantization`);
    }
    // Imported files name weights as their exporter did, so only the wiring is checked here.
    checkLayersTopology(m.topology, modelJsonPath);
    const parts: Uint8Array[] = [];
    for (const w of m.weights) parts.push(await reader.readRaw(w.name));
    const joined = Buffer.concat(parts);
    const artifacts: tf.io.ModelArtifacts = {
      modelTopology: m.topology as object,
      weightSpecs: m.weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: w.dtype })),
      weightData: joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength) as ArrayBuffer,
      format: 'layers-model',
    };
    if (m.generatedBy) artifacts.generatedBy = m.generatedBy;
    if (m.convertedBy) artifacts.convertedBy = m.convertedBy;
    if (m.trainingConfig) artifacts.trainingConfig = m.trainingConfig as unknown as tf.io.TrainingConfig;
    if (m.userDefinedMetadata) artifacts.userDefinedMetadata = m.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'];
    return artifacts;
  } catch (e) {
    throw asModelError(modelJsonPath, e);
  } finally {
    await reader.close();
  }
}

function asModelError(file: string, e: unknown): Error {
  if (isElsaError(e)) return e.kind === 'ModelError' ? e : modelError(file, e.problem);
  return modelError(file, e instanceof Error ? e.message.split('\n')[0] : String(e));
}

function joinWeightData(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (!Array.isArray(data)) return new Uint8Array(data);
  return Buffer.concat(data.map((b) => new Uint8Array(b)));
}

export interface LayersFileOptions {
  /** Weight file name beside model.json (default: `tfjsWeightsFileName`, `weights.bin` for model.json). */
  weightsFileName?: string;
}

/** An IOHandler over a model.json path: load reads it and its shards, save writes model.json + one weights file. */
export function layersFileHandler(modelJsonPath: string, options: LayersFileOptions = {}): tf.io.IOHandler {
  const weightsFileName = options.weightsFileName ?? tfjsWeightsFileName(modelJsonPath);
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

/**
 * Loads any TF.js Layers model.json (+ shards) from disk: what `tf.loadLayersModel` does (strict weight
 * loading, training config, user metadata), with the build bounded by the weights the shards hold
 * (budgetedBuild.ts), so a topology cannot allocate more than the files.
 */
export async function loadLayersModelFile(modelJsonPath: string): Promise<tf.LayersModel> {
  const artifacts = await readLayersArtifacts(modelJsonPath);
  const specs = artifacts.weightSpecs ?? [];
  const modelSpecs = specs.filter((s) => s.group !== 'optimizer');
  const held = modelSpecs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  let model: tf.LayersModel | undefined;
  try {
    model = await buildWithWeightBudget(artifacts.modelTopology as object, modelJsonPath, { held, zeroInit: true });
    if (artifacts.trainingConfig) model.loadTrainingConfig(artifacts.trainingConfig as unknown as Parameters<tf.LayersModel['loadTrainingConfig']>[0]);
    if (artifacts.userDefinedMetadata) model.setUserDefinedMetadata(artifacts.userDefinedMetadata);
    const decoded = tf.io.decodeWeights(artifacts.weightData!, specs);
    try {
      model.loadWeights(Object.fromEntries(modelSpecs.map((s) => [s.name, decoded[s.name]])), true);
    } finally {
      tf.dispose(Object.values(decoded));
    }
    return model;
  } catch (e) {
    model?.dispose();
    if (isElsaError(e)) throw e;
    const message = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw modelError(modelJsonPath, `not a loadable TF.js Layers model (${message})`);
  }
}

/** Saves a Layers model as model.json + its weight file (tfjsWeightsFileName), loadable by stock `tf.loadLayersModel`. */
export async function saveLayersModelFile(model: tf.LayersModel, modelJsonPath: string, options: LayersFileOptions = {}): Promise<void> {
  mkdirSync(path.dirname(modelJsonPath), { recursive: true });
  await model.save(layersFileHandler(modelJsonPath, options));
}
