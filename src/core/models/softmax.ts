/**
 * A final softmax in an imported Layers topology: a `Softmax` layer, an `Activation` layer with
 * `activation: "softmax"`, or a last layer (Dense, Conv…) whose own activation is softmax. The trainer's loss is
 * softmax cross-entropy on logits, so such a model would have softmax applied twice. Splitting it off (rather
 * than a cross-entropy on probabilities) keeps the loss and its gradient exact: log-softmax of logits never
 * takes the log of a probability rounded to 0.
 */
import type { LayersTopology } from './weights';

type LayerJson = { class_name?: unknown; name?: unknown; config?: Record<string, unknown>; inbound_nodes?: unknown };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isSoftmaxLayer(layer: LayerJson): boolean {
  if (layer.class_name === 'Softmax') {
    const axis = layer.config?.axis;
    return axis === undefined || axis === -1 || axis === 1 || (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 1));
  }
  return layer.class_name === 'Activation' && layer.config?.activation === 'softmax';
}

/** `[[name, node, tensor, kwargs?], …]` of a functional layer's single inbound node, if it has exactly one input. */
function singleInput(layer: LayerJson): unknown[] | undefined {
  const nodes = layer.inbound_nodes;
  if (!Array.isArray(nodes) || nodes.length !== 1 || !Array.isArray(nodes[0]) || nodes[0].length !== 1) return undefined;
  const input: unknown = nodes[0][0];
  return Array.isArray(input) && typeof input[0] === 'string' ? input : undefined;
}

/** Whether any layer takes `name` as input (then it cannot be removed). */
function isConsumed(layers: LayerJson[], name: string): boolean {
  return layers.some((l) => JSON.stringify(l.inbound_nodes ?? []).includes(JSON.stringify(name)));
}

/**
 * The same topology with its final softmax removed (a Softmax/Activation layer dropped, or the last layer's
 * activation made linear), or undefined when the model does not end in softmax. Layers with weights keep their
 * names and shapes, so the original's weights load into it unchanged.
 */
export function withoutFinalSoftmax(topology: LayersTopology): LayersTopology | undefined {
  const copy = JSON.parse(JSON.stringify(topology)) as LayersTopology;
  const config = copy.config;
  const layers: unknown = isRecord(config) ? config.layers : Array.isArray(config) ? config : undefined;
  if (!Array.isArray(layers) || layers.length === 0 || !layers.every(isRecord)) return undefined;
  const list = layers as LayerJson[];

  if (copy.class_name === 'Sequential') {
    const last = list[list.length - 1];
    if (isSoftmaxLayer(last) && list.length > 1) {
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
  const outputs = isRecord(config) ? config.output_layers : undefined;
  if (!Array.isArray(outputs) || outputs.length !== 1 || !Array.isArray(outputs[0])) return undefined;
  const outName = outputs[0][0];
  const index = list.findIndex((l) => (l.name ?? l.config?.name) === outName);
  if (index < 0 || typeof outName !== 'string') return undefined;
  const last = list[index];
  const input = singleInput(last);
  if (isSoftmaxLayer(last) && input && !isConsumed(list.filter((_, i) => i !== index), outName)) {
    list.splice(index, 1);
    (config as Record<string, unknown>).output_layers = [[input[0], input[1] ?? 0, input[2] ?? 0]];
    return copy;
  }
  if (last.config?.activation === 'softmax') {
    last.config.activation = 'linear';
    return copy;
  }
  return undefined;
}
