/**
 * A final softmax in an imported Layers topology: a `Softmax` layer, an `Activation` layer with
 * `activation: "softmax"`, or a last layer (Dense, Conv…) whose own activation is softmax. The trainer's loss is
 * softmax cross-entropy on logits, so such a model would have softmax applied twice. Splitting it off (rather
 * than a cross-entropy on probabilities) keeps the loss and its gradient exact: log-softmax of logits never
 * takes the log of a probability rounded to 0.
 */
import { isElsaError } from '../errors';
import { readLayersTopology, type LayerRecord, type LayersModel } from './layersTopology';
import type { LayersTopology } from './weights';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isSoftmaxLayer(layer: LayerRecord): boolean {
  if (layer.className === 'Softmax') {
    const axis = layer.config?.axis;
    return axis === undefined || axis === -1 || axis === 1 || (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 1));
  }
  return layer.className === 'Activation' && layer.config?.activation === 'softmax';
}

/**
 * The same topology with its final softmax removed (a Softmax/Activation layer dropped, or the last layer's
 * activation made linear), or undefined when the model does not end in softmax (or its topology cannot be
 * read). Layers with weights keep their names and shapes, so the original's weights load into it unchanged.
 * The layers are found through the shared reader (layersTopology.ts), whose records hold the copy's own
 * config objects, so an edit through a record edits the copy.
 */
export function withoutFinalSoftmax(topology: LayersTopology): LayersTopology | undefined {
  const copy = JSON.parse(JSON.stringify(topology)) as LayersTopology;
  const config = copy.config;
  const list: unknown = isRecord(config) ? config.layers : Array.isArray(config) ? config : undefined;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  let model: LayersModel;
  try {
    // Exactly the object edited below (a `model_config` wrapper is not looked into).
    model = readLayersTopology({ class_name: copy.class_name, config });
  } catch (e) {
    if (isElsaError(e)) return undefined;
    throw e;
  }
  const layers = model.layers;

  if (model.className === 'Sequential') {
    const last = layers[layers.length - 1];
    if (isSoftmaxLayer(last) && layers.length > 1) {
      list.pop();
      return copy;
    }
    if (last.config?.activation === 'softmax') {
      last.config.activation = 'linear';
      return copy;
    }
    return undefined;
  }

  // Functional: exactly one output, `[[layerName, nodeIndex, tensorIndex]]`.
  if (model.outputLayers.length !== 1) return undefined;
  const outName = model.outputLayers[0].layer;
  const last = layers.find((l) => l.name === outName);
  if (!last) return undefined;
  const input = last.calls.length === 1 && last.calls[0].length === 1 ? last.calls[0][0] : undefined;
  // A layer another layer takes as input cannot be removed.
  const consumed = layers.some((l) => l !== last && l.calls.some((call) => call.some((ref) => ref.layer === outName)));
  if (isSoftmaxLayer(last) && input && !consumed) {
    list.splice(last.index, 1);
    (config as Record<string, unknown>).output_layers = [[input.layer, input.node, input.tensor]];
    return copy;
  }
  if (last.config?.activation === 'softmax') {
    last.config.activation = 'linear';
    return copy;
  }
  return undefined;
}
