/**
 * A TF.js Layers model (topology + weights by stable name `layer/weight`, as checkpoints store them) as an
 * ONNX model, opset 13. The graph input is NHWC exactly as the TF.js model takes it, named after the model's
 * input layer, with a symbolic batch; convolutions run in NCHW inside the graph (see onnxGraph.ts). Functional
 * (`Model`/`Functional`) and `Sequential` topologies are read (src/core/models/layersTopology.ts); nested models
 * and shared layers are refused.
 */
import { modelError } from '../errors';
import { layerStep } from '../models/layerConfig';
import { readLayersTopology } from '../models/layersTopology';
import type { HostTensor } from './dtype';
import { GraphBuilder, type Value } from './onnxGraph';
import { CONVERTERS, type LayerContext } from './onnxLayers';
import { ONNX_FLOAT, encodeOnnxModel, type OnnxModel } from './onnxProto';

export const ONNX_OPSET = 13;

export interface LayerSpec {
  name: string;
  className: string;
  config: Record<string, unknown>;
  /** Names of the layers whose (single) outputs feed this one. */
  inbound: string[];
}

export interface ParsedTopology {
  name: string;
  layers: LayerSpec[];
  inputs: { name: string; shape: number[] }[];
  outputs: string[];
}

function inputShape(config: Record<string, unknown>): number[] | undefined {
  const s = config.batch_input_shape ?? config.batchInputShape;
  return Array.isArray(s) ? s.slice(1).map((d) => (typeof d === 'number' ? d : NaN)) : undefined;
}

/**
 * The layer graph of a Layers topology, in topological (file) order: the records of
 * src/core/models/layersTopology.ts with this export's policy on top — one input, one output, every layer
 * called once on node 0 of its inputs (no shared layers), no nested models. `purpose` prefixes the errors (the
 * sparse inference path in src/core/sparse/ walks the same graph).
 */
export function parseLayersTopology(topology: unknown, file: string | undefined, purpose = 'ONNX export'): ParsedTopology {
  const bad = (problem: string) => modelError(file, `${purpose}: ${problem}`);
  const model = readLayersTopology(topology, { file, purpose });
  for (const l of model.layers) {
    if (!l.config) throw bad(`layers[${l.index}] has no config`);
    if (l.model) throw bad(`layer "${l.name ?? `layers[${l.index}]`}" is a nested ${l.className} model (nested models are not supported)`);
  }
  if (model.className === 'Sequential') {
    if (model.layers.length === 0) throw bad('the Sequential model has no layers');
    const layers: LayerSpec[] = [];
    let prev: string | undefined;
    let first: { name: string; shape: number[] } | undefined;
    for (const raw of model.layers) {
      const config = raw.config!;
      const name = raw.name ?? `layer${layers.length}`;
      if (!first) {
        const shape = inputShape(config);
        if (!shape) throw bad(`the first layer "${name}" has no batch_input_shape`);
        first = { name: raw.className === 'InputLayer' ? name : `${name}_input`, shape };
        prev = first.name;
      }
      if (raw.className === 'InputLayer') continue;
      layers.push({ name, className: raw.className, config, inbound: [prev!] });
      prev = name;
    }
    return { name: model.name ?? 'sequential', layers, inputs: [first!], outputs: [prev!] };
  }
  if (!model.layersInConfig) throw bad('the model topology has no layers');
  const layers: LayerSpec[] = [];
  const inputs: { name: string; shape: number[] }[] = [];
  for (const raw of model.layers) {
    if (raw.name === undefined) throw bad(`layers[${raw.index}] has no name`);
    const name = raw.name;
    if (raw.className === 'InputLayer') {
      const shape = inputShape(raw.config!);
      if (!shape) throw bad(`input layer "${name}" has no batch_input_shape`);
      inputs.push({ name, shape });
      continue;
    }
    if (raw.calls.length !== 1) throw bad(`layer "${name}" is called ${raw.calls.length} times (shared layers are not supported)`);
    const inbound = raw.calls[0].map((ref) => {
      if (ref.node !== 0 || ref.tensor !== 0) throw bad(`layer "${name}" has an inbound reference it cannot follow`);
      return ref.layer;
    });
    layers.push({ name, className: raw.className, config: raw.config!, inbound });
  }
  const outputs = model.outputLayers.map((o) => o.layer);
  if (inputs.length !== 1) throw bad(`the model has ${inputs.length} inputs (one is supported)`);
  if (outputs.length !== 1 || !outputs[0]) throw bad(`the model has ${outputs.length} outputs (one is supported)`);
  return { name: model.name ?? 'model', layers, inputs, outputs };
}

export interface OnnxExportOptions {
  /** File named in errors. */
  file?: string;
  docString?: string;
  producerVersion: string;
  metadata?: Record<string, string>;
}

/** The ONNX model of a Layers topology whose weights are given by stable name. */
export function buildOnnxModel(topology: unknown, weights: Record<string, HostTensor>, options: OnnxExportOptions): OnnxModel {
  const file = options.file;
  const parsed = parseLayersTopology(topology, file);
  const g = new GraphBuilder();
  const values = new Map<string, Value>();
  const input = parsed.inputs[0];
  if (input.shape.some((d) => !Number.isInteger(d) || d <= 0)) throw modelError(file, `ONNX export: input shape [${input.shape.join(', ')}] must be fully known`);
  g.reserve(input.name);
  values.set(input.name, { name: input.name, shape: input.shape, layout: 'nhwc' });

  for (const layer of parsed.layers) {
    const { impl: convert, step } = layerStep(CONVERTERS, layer, values, weights, file, 'ONNX export');
    const ctx: LayerContext = { g, ...step };
    values.set(layer.name, convert(ctx));
  }

  let out = values.get(parsed.outputs[0]);
  if (!out) throw modelError(file, `ONNX export: output layer "${parsed.outputs[0]}" is not in the model`);
  out = g.as(out, 'nhwc');
  // The graph output is named after the output layer (suffixed if an inner value already took that name).
  const outputName = g.fresh(parsed.outputs[0]);
  g.nodes.push({ opType: 'Identity', inputs: [out.name], outputs: [outputName], name: outputName });

  return {
    opsetVersion: ONNX_OPSET,
    producerName: 'ELSA Studio',
    producerVersion: options.producerVersion,
    ...(options.docString ? { docString: options.docString } : {}),
    ...(options.metadata ? { metadata: options.metadata } : {}),
    graph: {
      name: parsed.name,
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [{ name: input.name, elemType: ONNX_FLOAT, dims: ['batch', ...input.shape] }],
      outputs: [{ name: outputName, elemType: ONNX_FLOAT, dims: ['batch', ...out.shape] }],
    },
  };
}

/** The ONNX file of a Layers topology + weights, as pieces to write in order (the weights' data is not copied). */
export function exportOnnx(topology: unknown, weights: Record<string, HostTensor>, options: OnnxExportOptions): Uint8Array[] {
  return encodeOnnxModel(buildOnnxModel(topology, weights, options));
}
