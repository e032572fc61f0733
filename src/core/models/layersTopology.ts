/**
 * The one reader of a TF.js Layers topology (`model.toJSON()`, a model.json's `modelTopology`, a checkpoint's
 * `topology`): the JSON becomes normalized records — per layer its name, class, config, the inputs of each of
 * its calls (`inbound_nodes`) and, for a nested Sequential/Model/Functional, its own records — plus a model's
 * input and output layers. Only the shape of the JSON is judged here; what a reader does with it is its own
 * policy on top: the ONNX export and the sparse path refuse shared layers and nested models
 * (src/core/io/onnxExport.ts), the graph view draws whatever is wired (src/core/modelGraph.ts).
 * Bounded (docs/reliability.md): layers in all, nesting of models, characters of a name, input references;
 * a topology past a bound, or malformed, is one ModelError line naming the file. Nothing recurses on input
 * size: the recursion is on model nesting, which is capped.
 */
import { modelError } from '../errors';
import { MAX_NAME_CHARS, shortName } from '../io/limits';

/** Layers of one topology, nested models included (topologyCheck caps each (sub)model at 10,000). */
export const MAX_TOPOLOGY_LAYERS = 100_000;
/** Models inside models (the same cap as the construction guard in topologyCheck.ts). */
export const MAX_MODEL_NESTING = 16;
/** Input references of all layer calls together (a layer call rarely has more than a handful). */
export const MAX_TOPOLOGY_REFS = 1_000_000;

export type ContainerClass = 'Sequential' | 'Model' | 'Functional';
const CONTAINERS: ReadonlySet<string> = new Set<ContainerClass>(['Sequential', 'Model', 'Functional']);
export const isContainerClass = (cls: string): cls is ContainerClass => CONTAINERS.has(cls);

/** One input of a layer call, `[layer, node index, tensor index, kwargs?]` in the file. */
export interface LayerRef {
  layer: string;
  /** 0 when the file leaves it out; NaN when it is not a number (policies that need it refuse that). */
  node: number;
  tensor: number;
}

export interface LayerRecord {
  /** Position in the model's layer list. */
  index: number;
  /** Sequential: `config.name`; functional: `name`, else `config.name`. Undefined unless a non-empty string. */
  name: string | undefined;
  className: string;
  /** Undefined when the file has no config object for the layer. */
  config: Record<string, unknown> | undefined;
  /** The inputs of each call of the layer (functional models only; a Sequential's order is its wiring). */
  calls: LayerRef[][];
  /** The records of a nested model. */
  model: LayersModel | undefined;
}

export interface LayersModel {
  className: ContainerClass;
  /** `config.name`, when a non-empty string. */
  name: string | undefined;
  /** Whether the layers were under `config.layers` (a Sequential may also be a bare array). */
  layersInConfig: boolean;
  layers: LayerRecord[];
  /** `config.input_layers` / `config.output_layers` of a functional model (empty for a Sequential). */
  inputLayers: LayerRef[];
  outputLayers: LayerRef[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ReadOptions {
  /** File named in errors. */
  file?: string;
  /** Prefix of every problem (e.g. `ONNX export`); none when left out. */
  purpose?: string;
}

/** The records of a Layers topology (`{model_config: …}` wrappers unwrapped), or a ModelError. */
export function readLayersTopology(topology: unknown, options: ReadOptions = {}): LayersModel {
  const bad = (problem: string) => modelError(options.file, options.purpose ? `${options.purpose}: ${problem}` : problem);
  if (!isObject(topology)) throw bad('the model topology is not a JSON object');
  const root = isObject(topology.model_config) ? topology.model_config : topology;
  const budget = { layers: 0, refs: 0 };
  return readModel(root, '', 0, budget, bad);
}

/** The layer list of a container's JSON: `config.layers`, or a bare array (old Sequential files). */
function layerList(config: unknown): { list: unknown[]; inConfig: boolean } | undefined {
  if (Array.isArray(config)) return { list: config, inConfig: false };
  return isObject(config) && Array.isArray(config.layers) ? { list: config.layers, inConfig: true } : undefined;
}

function readModel(json: Record<string, unknown>, where: string, nesting: number, budget: { layers: number; refs: number }, bad: (p: string) => Error): LayersModel {
  const at = (problem: string) => bad(where ? `nested model "${shortName(where)}": ${problem}` : problem);
  if (nesting > MAX_MODEL_NESTING) throw at(`models nested more than ${MAX_MODEL_NESTING} deep`);
  const cls = json.class_name;
  if (typeof cls !== 'string') throw at('the model topology has no class_name');
  if (!isContainerClass(cls)) throw at(`class_name "${shortName(cls)}" is not Sequential, Model or Functional`);
  const read = layerList(json.config);
  if (!read) throw at(`the model topology has no layers array`);
  budget.layers += read.list.length;
  if (budget.layers > MAX_TOPOLOGY_LAYERS) throw at(`more than ${MAX_TOPOLOGY_LAYERS} layers`);
  const config = isObject(json.config) ? json.config : {};
  const sequential = cls === 'Sequential';
  const names = new Set<string>();
  const layers = read.list.map((raw, index): LayerRecord => {
    if (!isObject(raw) || typeof raw.class_name !== 'string') throw at(`layers[${index}] has no class_name`);
    const lconfig = isObject(raw.config) ? raw.config : undefined;
    const rawName = sequential ? lconfig?.name : (raw.name ?? lconfig?.name);
    const name = typeof rawName === 'string' && rawName.length > 0 ? rawName : undefined;
    if (name !== undefined) {
      if (name.length > MAX_NAME_CHARS) throw at(`layers[${index}] has a name of ${name.length} characters (at most ${MAX_NAME_CHARS})`);
      if (names.has(name)) throw at(`two layers are named "${shortName(name)}"`);
      names.add(name);
    }
    const shown = name ?? `layers[${index}]`;
    const calls = sequential ? [] : readCalls(raw.inbound_nodes, shown, budget, at);
    const model = isContainerClass(raw.class_name) ? readModel(raw, where ? `${where}/${shown}` : shown, nesting + 1, budget, bad) : undefined;
    return { index, name, className: raw.class_name, config: lconfig, calls, model };
  });
  const refs = (key: 'input_layers' | 'output_layers') => (sequential || !Array.isArray(config[key]) ? [] : (config[key] as unknown[]).map((r, i) => readRef(r, `${key}[${i}]`, budget, at)));
  const name = typeof config.name === 'string' && config.name.length > 0 ? config.name : undefined;
  return { className: cls, name, layersInConfig: read.inConfig, layers, inputLayers: refs('input_layers'), outputLayers: refs('output_layers') };
}

/** A layer's calls; absent (or not a list) means it is never called, as TF.js reads it. */
function readCalls(nodes: unknown, layer: string, budget: { layers: number; refs: number }, at: (p: string) => Error): LayerRef[][] {
  if (!Array.isArray(nodes)) return [];
  return nodes.map((call, ci) => {
    // Keras 3 writes each call as an object ({args, kwargs}); TF.js Layers (and Keras 2) as a list of refs.
    if (!Array.isArray(call)) throw at(`layer "${shortName(layer)}": inbound_nodes[${ci}] is not a list of inputs (a format other than TF.js Layers, Keras 3?)`);
    return call.map((ref, ri) => readRef(ref, `layer "${shortName(layer)}": inbound_nodes[${ci}][${ri}]`, budget, at));
  });
}

function readRef(ref: unknown, where: string, budget: { layers: number; refs: number }, at: (p: string) => Error): LayerRef {
  if (++budget.refs > MAX_TOPOLOGY_REFS) throw at(`more than ${MAX_TOPOLOGY_REFS} input references`);
  if (!Array.isArray(ref) || typeof ref[0] !== 'string') throw at(`${where} is not a [layer name, node index, tensor index] reference`);
  const index = (v: unknown) => (v === undefined || v === null ? 0 : typeof v === 'number' ? v : NaN);
  return { layer: ref[0], node: index(ref[1]), tensor: index(ref[2]) };
}
