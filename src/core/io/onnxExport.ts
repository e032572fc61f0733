/**
 * A TF.js Layers model (topology + weights by stable name `layer/weight`, as checkpoints store them) as an
 * ONNX model, opset 13. The graph input is NHWC exactly as the TF.js model takes it, named after the model's
 * input layer, with a symbolic batch; convolutions run in NCHW inside the graph (see onnxGraph.ts). Functional
 * (`Model`/`Functional`) and `Sequential` topologies are read; nested models and shared layers are refused.
 */
import { modelError } from '../errors';
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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function inputShape(config: Record<string, unknown>): number[] | undefined {
  const s = config.batch_input_shape ?? config.batchInputShape;
  return Array.isArray(s) ? s.slice(1).map((d) => (typeof d === 'number' ? d : NaN)) : undefined;
}

/**
 * The layer graph of a Layers topology, in topological (file) order. `purpose` prefixes the errors (the sparse
 * inference path in src/core/sparse/ walks the same graph).
 */
export function parseLayersTopology(topology: unknown, file: string | undefined, purpose = 'ONNX export'): ParsedTopology {
  const bad = (problem: string) => modelError(file, `${purpose}: ${problem}`);
  const root = isObject(topology) && isObject(topology.model_config) ? topology.model_config : topology;
  if (!isObject(root) || typeof root.class_name !== 'string') throw bad('the model topology has no class_name');
  const cls = root.class_name;
  const config = root.config;
  if (cls === 'Sequential') {
    const list = Array.isArray(config) ? config : isObject(config) && Array.isArray(config.layers) ? config.layers : undefined;
    if (!list || list.length === 0) throw bad('the Sequential model has no layers');
    const layers: LayerSpec[] = [];
    let prev: string | undefined;
    let first: { name: string; shape: number[] } | undefined;
    for (const raw of list as unknown[]) {
      if (!isObject(raw) || typeof raw.class_name !== 'string' || !isObject(raw.config)) throw bad('a Sequential layer has no class_name/config');
      const name = String(raw.config.name ?? `layer${layers.length}`);
      if (!first) {
        const shape = inputShape(raw.config);
        if (!shape) throw bad(`the first layer "${name}" has no batch_input_shape`);
        first = { name: raw.class_name === 'InputLayer' ? name : `${name}_input`, shape };
        prev = first.name;
      }
      if (raw.class_name === 'InputLayer') continue;
      layers.push({ name, className: raw.class_name, config: raw.config, inbound: [prev!] });
      prev = name;
    }
    return { name: String((isObject(config) && config.name) || 'sequential'), layers, inputs: [first!], outputs: [prev!] };
  }
  if (cls !== 'Model' && cls !== 'Functional') throw bad(`topology class "${cls}" is not supported (Model, Functional or Sequential)`);
  if (!isObject(config) || !Array.isArray(config.layers)) throw bad('the model topology has no layers');
  const layers: LayerSpec[] = [];
  const inputs: { name: string; shape: number[] }[] = [];
  for (const raw of config.layers as unknown[]) {
    if (!isObject(raw) || typeof raw.class_name !== 'string' || !isObject(raw.config)) throw bad('a layer has no class_name/config');
    const name = String(raw.name ?? raw.config.name);
    if (raw.class_name === 'InputLayer') {
      const shape = inputShape(raw.config);
      if (!shape) throw bad(`input layer "${name}" has no batch_input_shape`);
      inputs.push({ name, shape });
      continue;
    }
    const nodes = Array.isArray(raw.inbound_nodes) ? raw.inbound_nodes : [];
    if (nodes.length !== 1 || !Array.isArray(nodes[0])) throw bad(`layer "${name}" is called ${nodes.length} times (shared layers are not supported)`);
    const inbound = (nodes[0] as unknown[]).map((ref) => {
      if (!Array.isArray(ref) || typeof ref[0] !== 'string' || (ref[1] ?? 0) !== 0 || (ref[2] ?? 0) !== 0) throw bad(`layer "${name}" has an inbound reference it cannot follow`);
      return ref[0];
    });
    layers.push({ name, className: raw.class_name, config: raw.config, inbound });
  }
  const outs = Array.isArray(config.output_layers) ? config.output_layers : [];
  const outputs = outs.map((o) => (Array.isArray(o) && typeof o[0] === 'string' ? o[0] : ''));
  if (inputs.length !== 1) throw bad(`the model has ${inputs.length} inputs (one is supported)`);
  if (outputs.length !== 1 || !outputs[0]) throw bad(`the model has ${outputs.length} outputs (one is supported)`);
  return { name: String(config.name ?? 'model'), layers, inputs, outputs };
}

export interface OnnxExportOptions {
  /** File named in errors. */
  file?: string;
  docString?: string;
  producerVersion: string;
  metadata?: Record<string, string>;
}

function floatData(t: HostTensor): Float32Array {
  return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>, Number);
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
  const has = (name: string) => Object.prototype.hasOwnProperty.call(weights, name);

  for (const layer of parsed.layers) {
    const convert = CONVERTERS[layer.className];
    const fail = (problem: string) => modelError(file, `ONNX export: layer "${layer.name}" (${layer.className}): ${problem}`);
    if (!convert) throw fail('this layer class is not supported by the ONNX export');
    const inputs = layer.inbound.map((n) => {
      const v = values.get(n);
      if (!v) throw fail(`its input "${n}" is not produced by an earlier layer`);
      return v;
    });
    const ctx: LayerContext = {
      g,
      name: layer.name,
      className: layer.className,
      config: layer.config,
      inputs,
      fail,
      hasWeight: (short) => has(`${layer.name}/${short}`),
      weight: (short, shape) => {
        const key = `${layer.name}/${short}`;
        if (!has(key)) throw fail(`weight "${key}" is missing`);
        const t = weights[key];
        if (shape && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
          throw fail(`weight "${key}" is [${t.shape.join(', ')}], the layer needs [${shape.join(', ')}]`);
        }
        return floatData(t);
      },
    };
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

/** The ONNX file bytes of a Layers topology + weights. */
export function exportOnnx(topology: unknown, weights: Record<string, HostTensor>, options: OnnxExportOptions): Uint8Array {
  return encodeOnnxModel(buildOnnxModel(topology, weights, options));
}
