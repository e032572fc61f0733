/**
 * Stable names for a model's weights (`layer/weight`, e.g. `conv1/kernel`), which weights a sparsifier may
 * prune, and the Layers JSON topology a checkpoint stores, rebuilt with weights set by those names.
 */
import * as tf from '@tensorflow/tfjs';
import { isElsaError, modelError } from '../errors';
import { buildWithWeightBudget } from './budgetedBuild';
import { SPARSIFIABLE } from './sparsifiable';
import { checkLayersTopology } from './topologyCheck';

export interface ModelWeight {
  /** Stable tensor name: `${layerName}/${shortName}`. */
  name: string;
  variable: tf.LayerVariable;
  layerName: string;
  /** tfjs class name of the owning layer, e.g. `Conv2D`. */
  layerClass: string;
  /** A kernel a sparsifier may prune; everything else (biases, BN parameters and statistics) is kept whole. */
  sparsifiable: boolean;
  trainable: boolean;
  shape: number[];
}

/** A TF.js Layers model topology (`model.toJSON(null, false)`): `{class_name, config, keras_version, backend}`. */
export interface LayersTopology {
  class_name: string;
  config: unknown;
  [key: string]: unknown;
}

/** The last path segment of a variable's original (un-uniquified) name: `kernel`, `bias`, `moving_mean`. */
export function shortWeightName(variable: tf.LayerVariable): string {
  const parts = variable.originalName.split('/');
  return parts[parts.length - 1];
}

export function weightName(layer: tf.layers.Layer, variable: tf.LayerVariable): string {
  return `${layer.name}/${shortWeightName(variable)}`;
}

function isNestedModel(layer: tf.layers.Layer): layer is tf.LayersModel {
  return layer instanceof tf.LayersModel;
}

/** Every weight of the model, in layer order (nested models are walked, their names prefixed by the model's). */
export function listModelWeights(model: tf.LayersModel): ModelWeight[] {
  const out: ModelWeight[] = [];
  const seen = new Set<string>();
  const walk = (layers: tf.layers.Layer[], prefix: string): void => {
    for (const layer of layers) {
      if (isNestedModel(layer)) {
        walk(layer.layers, `${prefix}${layer.name}/`);
        continue;
      }
      const layerClass = layer.getClassName();
      for (const variable of layer.weights) {
        const short = shortWeightName(variable);
        let name = `${prefix}${layer.name}/${short}`;
        // Wrappers (Bidirectional, TimeDistributed) hold several `kernel`s: fall back to the full original name.
        if (seen.has(name)) name = `${prefix}${variable.originalName}`;
        if (seen.has(name)) throw modelError(undefined, `two weights share the name ${name}; rename the layers`);
        seen.add(name);
        out.push({
          name,
          variable,
          layerName: layer.name,
          layerClass,
          sparsifiable: SPARSIFIABLE[layerClass]?.includes(short) ?? false,
          trainable: variable.trainable,
          shape: variable.shape.map((d) => d ?? 0),
        });
      }
    }
  };
  walk(model.layers, '');
  return out;
}

export function modelTopology(model: tf.LayersModel): LayersTopology {
  const json = model.toJSON(undefined, false);
  return JSON.parse(JSON.stringify(json)) as LayersTopology;
}

/**
 * Rebuilds a model from its topology; with `weights`, every model weight is set from the entry of the same
 * stable name (a missing or mis-sized entry is a ModelError; extra entries are ignored), and the topology may
 * not create more weight values than `weights` holds (budgetedBuild.ts).
 */
export async function modelFromTopology(
  topology: LayersTopology, weights?: Record<string, Float32Array>, file?: string, shapes?: Record<string, readonly number[]>,
): Promise<tf.LayersModel> {
  // elsa_torch writes a PyTorch module description here (docs/format.md, "topology"): TF.js cannot build it.
  const format = (topology as { format?: unknown }).format;
  if (typeof format === 'string' && format.startsWith('torch-module/')) {
    throw modelError(file, `the model is a PyTorch module (topology ${format}), which TF.js cannot rebuild: use python3 -m elsa_torch, or extract --format safetensors|sparse`);
  }
  // An untrusted topology can make TF.js loop forever; refuse bad wiring first (topologyCheck.ts).
  checkLayersTopology(topology, file, weights ? Object.keys(weights) : undefined);
  let model: tf.LayersModel;
  try {
    const held = weights ? Object.values(weights).reduce((n, w) => n + w.length, 0) : 0;
    model = await buildWithWeightBudget(topology, file, { held, zeroInit: weights !== undefined });
  } catch (e) {
    if (isElsaError(e)) throw e;
    throw modelError(file, `cannot rebuild the model topology (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`);
  }
  if (weights) {
    try {
      setWeightsByName(model, weights, file, shapes);
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
  return model;
}

/**
 * Sets every weight of `model` from `weights[stableName]`. With `shapes` (what the file declares), a tensor must
 * have the model's shape exactly: a [300, 784] tensor has the values of a [784, 300] kernel but not its layout.
 */
export function setWeightsByName(model: tf.LayersModel, weights: Record<string, Float32Array>, file?: string, shapes?: Record<string, readonly number[]>): void {
  const list = listModelWeights(model);
  for (const w of list) {
    const data = weights[w.name];
    if (!data) throw modelError(file, `missing weight tensor ${w.name}`);
    const declared = shapes?.[w.name];
    if (declared && declared.join() !== w.shape.join()) {
      throw modelError(file, `weight tensor ${w.name} is [${declared.join(', ')}], the model needs [${w.shape.join(', ')}]`);
    }
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw modelError(file, `weight tensor ${w.name} has ${data.length} values, the model needs [${w.shape.join(', ')}] = ${size}`);
  }
  tf.tidy(() => {
    for (const w of list) w.variable.write(tf.tensor(weights[w.name], w.shape, 'float32'));
  });
}
