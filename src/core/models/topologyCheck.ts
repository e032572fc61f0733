/**
 * A guard in front of TF.js model construction from an untrusted topology (a checkpoint's metadata, a
 * model.json). TF.js rebuilds a functional model by queueing every layer call and retrying those whose
 * inputs do not exist yet until none is left (`Container.fromConfig`): an inbound node naming a layer that
 * is not there (one renamed byte: `conv1` -> `cBnv1`), a node index that is never created, or a cycle makes
 * that loop spin forever, deaf to SIGTERM. So the wiring is replayed here first, with the same rules, and a
 * topology that would not finish is refused with one line. Sizes and nesting are bounded without recursion
 * on input size (nesting of models is capped).
 */
import { modelError } from '../errors';
import { shortName } from '../io/limits';
import { MAX_MODEL_NESTING, isContainerClass } from './layersTopology';

/** Layers in one (sub)model, nodes visited in the size check, nesting of JSON and of models. */
export const MAX_LAYERS = 10_000;
const MAX_JSON_NODES = 2_000_000;
const MAX_JSON_DEPTH = 200;
/** Layer sizes above this are refused before TF.js allocates them (a 65,536-unit Dense is already huge). */
const MAX_LAYER_SIZE = 65_536;
const SIZE_KEYS = new Set(['units', 'filters', 'kernel_size', 'input_dim', 'output_dim', 'depth_multiplier', 'batch_input_shape', 'input_shape', 'target_shape', 'pool_size']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Throws a ModelError naming `file` unless `topology` is a Sequential or functional Layers topology whose
 * wiring TF.js can complete. With `weightNames` (a checkpoint's stable names `layer/weight`, nested models
 * as `model/layer/weight`), each weight's first segment must name a top-level layer.
 */
export function checkLayersTopology(topology: unknown, file: string | undefined, weightNames?: readonly string[]): void {
  const bad = (problem: string) => modelError(file, `model topology: ${problem}`);
  if (!isObject(topology)) throw bad('not a JSON object');
  checkJsonSize(topology, bad);
  const root = isObject(topology.model_config) ? topology.model_config : topology;
  const names = checkModel(root, bad, 0);
  if (weightNames) {
    for (const w of weightNames) {
      const layer = w.split('/')[0];
      if (!names.has(layer)) throw bad(`weight "${shortName(w)}" belongs to no layer (no layer named "${shortName(layer)}")`);
    }
  }
}

/** Counts JSON nodes and depth with an explicit stack: hostile nesting cannot overflow ours. */
function checkJsonSize(value: unknown, bad: (p: string) => Error): void {
  const stack: [unknown, number][] = [[value, 0]];
  let nodes = 0;
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (++nodes > MAX_JSON_NODES) throw bad(`more than ${MAX_JSON_NODES} JSON values`);
    if (depth > MAX_JSON_DEPTH) throw bad(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    if (typeof v === 'object' && v !== null) for (const c of Object.values(v)) stack.push([c, depth + 1]);
  }
}

/** Validates one (possibly nested) model; returns its top-level layer names. */
function checkModel(model: Record<string, unknown>, bad: (p: string) => Error, nesting: number): Set<string> {
  if (nesting > MAX_MODEL_NESTING) throw bad(`models nested more than ${MAX_MODEL_NESTING} deep`);
  const cls = model.class_name;
  if (typeof cls !== 'string') throw bad('no class_name');
  if (!isContainerClass(cls)) throw bad(`class_name "${shortName(cls)}" is not Sequential, Model or Functional`);
  const config = model.config;
  const layers = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  if (!Array.isArray(layers)) throw bad(`${cls} "${shortName(String((isObject(config) && config.name) || ''))}" has no layers array`);
  if (layers.length === 0) throw bad(`${cls} model has no layers (an empty model cannot be built)`);
  if (layers.length > MAX_LAYERS) throw bad(`${layers.length} layers, more than the ${MAX_LAYERS} allowed`);
  const names = new Set<string>();
  layers.forEach((l: unknown, i: number) => {
    if (!isObject(l) || typeof l.class_name !== 'string' || !isObject(l.config)) throw bad(`layers[${i}] needs class_name and config`);
    // TF.js keys a functional model's layers by the outer `name` but queues their calls by `config.name`:
    // the two must agree, or the calls of that layer can never run.
    const name = cls === 'Sequential' ? l.config.name : l.name;
    if (cls !== 'Sequential' && l.config.name !== undefined && l.config.name !== l.name) {
      throw bad(`layers[${i}] is named ${shortName(JSON.stringify(l.name) ?? 'nothing')} but its config says ${shortName(JSON.stringify(l.config.name))}`);
    }
    if (cls !== 'Sequential' || name !== undefined) {
      if (typeof name !== 'string' || name.length === 0) throw bad(`layers[${i}] has no name`);
      if (names.has(name)) throw bad(`two layers are named "${shortName(name)}"`);
      names.add(name);
    }
    checkSizes(l.config, bad, typeof name === 'string' ? name : `layers[${i}]`);
    if (isContainerClass(l.class_name)) checkModel(l, bad, nesting + 1);
  });
  if (cls !== 'Sequential') checkWiring(layers as Record<string, unknown>[], config as Record<string, unknown>, bad);
  return names;
}

function checkSizes(config: Record<string, unknown>, bad: (p: string) => Error, layer: string): void {
  for (const key of SIZE_KEYS) {
    const v = config[key];
    const values = Array.isArray(v) ? v : [v];
    for (const x of values) {
      if (typeof x === 'number' && !(x <= MAX_LAYER_SIZE)) throw bad(`layer "${shortName(layer)}": ${key} ${x} exceeds ${MAX_LAYER_SIZE}`);
    }
  }
}

type NodeRef = [string, number];

/**
 * Replays TF.js's reconstruction: every layer starts with the nodes its constructor makes (an InputLayer or
 * a nested model has one), each processed layer call adds one, and a call can run once every input
 * (layer, node index) exists. A pass that runs nothing while calls remain is the endless loop.
 */
function checkWiring(layers: Record<string, unknown>[], config: Record<string, unknown>, bad: (p: string) => Error): void {
  const nodeCount = new Map<string, number>();
  const pending: { layer: string; inputs: NodeRef[] }[][] = [];
  for (const l of layers) {
    const name = l.name as string;
    nodeCount.set(name, initialNodes(l));
    const inbound = l.inbound_nodes ?? [];
    if (!Array.isArray(inbound)) throw bad(`layer "${shortName(name)}": inbound_nodes is not an array`);
    const calls = inbound.map((node: unknown, ni: number) => {
      if (!Array.isArray(node)) throw bad(`layer "${shortName(name)}": inbound_nodes[${ni}] is not an array (Keras 3 files are not supported)`);
      return { layer: name, inputs: node.map((ref: unknown) => nodeRef(ref, bad, name)) };
    });
    pending.push(calls);
  }
  for (const calls of pending) {
    for (const c of calls) {
      for (const [from] of c.inputs) if (!nodeCount.has(from)) throw bad(`layer "${shortName(c.layer)}" takes its input from "${shortName(from)}", which is not a layer of the model`);
    }
  }
  let left = pending.reduce((n, c) => n + c.length, 0);
  while (left > 0) {
    let progressed = false;
    for (let i = 0; i < pending.length; i++) {
      const still: { layer: string; inputs: NodeRef[] }[] = [];
      for (const c of pending[i]) {
        if (c.inputs.every(([from, node]) => nodeCount.get(from)! > node)) {
          if (c.inputs.length > 0) nodeCount.set(c.layer, nodeCount.get(c.layer)! + 1);
          progressed = true;
          left--;
        } else still.push(c);
      }
      pending[i] = still;
    }
    if (!progressed) {
      const stuck = pending.flat()[0];
      const [from, node] = stuck.inputs.find(([f, n]) => !(nodeCount.get(f)! > n))!;
      throw bad(`layer "${shortName(stuck.layer)}" waits for node ${node} of "${shortName(from)}", which is never created (a cycle or a wrong node index)`);
    }
  }
  for (const key of ['input_layers', 'output_layers'] as const) {
    const refs = config[key];
    if (!Array.isArray(refs) || refs.length === 0) throw bad(`${key} must be a non-empty array`);
    for (const r of refs) {
      const [from, node] = nodeRef(r, bad, key);
      if (!nodeCount.has(from)) throw bad(`${key} names "${shortName(from)}", which is not a layer of the model`);
      if (!(nodeCount.get(from)! > node)) throw bad(`${key} names node ${node} of "${shortName(from)}", which is never created`);
    }
  }
}

function initialNodes(l: Record<string, unknown>): number {
  if (l.class_name === 'InputLayer' || l.class_name === 'Model' || l.class_name === 'Functional') return 1;
  if (l.class_name !== 'Sequential') return 0;
  // A nested Sequential makes its node when its first layer knows its input shape.
  const c = l.config as Record<string, unknown>;
  const first = (Array.isArray(c) ? c : Array.isArray(c.layers) ? c.layers : [])[0] as Record<string, unknown> | undefined;
  const fc = isObject(first) && isObject(first.config) ? first.config : {};
  return first && (first.class_name === 'InputLayer' || fc.batch_input_shape !== undefined || fc.input_shape !== undefined || fc.batchInputShape !== undefined) ? 1 : 0;
}

function nodeRef(ref: unknown, bad: (p: string) => Error, where: string): NodeRef {
  if (!Array.isArray(ref) || typeof ref[0] !== 'string' || !Number.isSafeInteger(ref[1]) || (ref[1] as number) < 0 || !Number.isSafeInteger(ref[2]) || (ref[2] as number) < 0) {
    throw bad(`"${shortName(where)}": an input reference must be [layer name, node index, tensor index]`);
  }
  return [ref[0], ref[1] as number];
}
