/**
 * The one Layers topology reader (src/core/models/layersTopology.ts): real TF.js topologies become the records
 * every consumer reads (names, classes, calls with node/tensor indices, nested models, input/output layers);
 * anything past a bound or malformed is one ModelError line naming the file, never a stack overflow.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { isElsaError } from '../../../src/core/errors';
import { parseLayersTopology } from '../../../src/core/io/onnxExport';
import { MAX_NAME_CHARS } from '../../../src/core/io/limits';
import { buildModel } from '../../../src/core/models/builders';
import { MAX_MODEL_NESTING, MAX_TOPOLOGY_LAYERS, MAX_TOPOLOGY_REFS, readLayersTopology } from '../../../src/core/models/layersTopology';
import { modelTopology } from '../../../src/core/models/weights';
import { buildModelGraph } from '../../../src/core/modelGraph';
import { compileSparseModel } from '../../../src/core/sparse/sparseModel';

const FILE = 'm.elsa.safetensors';
const dense = (name: string, from?: string) => ({ class_name: 'Dense', name, config: { name, units: 2 }, inbound_nodes: from ? [[[from, 0, 0, {}]]] : [] });
const input = { class_name: 'InputLayer', name: 'in', config: { name: 'in', batch_input_shape: [null, 3] }, inbound_nodes: [] };
const functional = (layers: unknown[], out = 'd') => ({ class_name: 'Model', config: { name: 'f', layers, input_layers: [['in', 0, 0]], output_layers: [[out, 0, 0]] } });

/** Asserts `topology` is refused with one ModelError line naming FILE and matching `problem`. */
function refuses(topology: unknown, problem: RegExp): void {
  assert.throws(() => readLayersTopology(topology, { file: FILE, purpose: 'test' }), (e: unknown) => {
    assert.ok(isElsaError(e) && e.kind === 'ModelError', String(e));
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    assert.ok(e.message.startsWith(`${FILE}: test: `), e.message);
    assert.match(e.problem.slice('test: '.length), problem);
    return true;
  });
}

describe('Layers topology reader', () => {
  it('reads a real TF.js functional model: names, calls, node/tensor indices, inputs, outputs', () => {
    const m = readLayersTopology(modelTopology(buildModel({ type: 'resnet' }, [8, 8, 1], 4, 1)));
    assert.ok(m.className === 'Model' || m.className === 'Functional', m.className);
    assert.equal(m.layersInConfig, true);
    const add = m.layers.find((l) => l.className === 'Add');
    assert.ok(add, 'the residual Add');
    assert.equal(add.calls.length, 1);
    assert.equal(add.calls[0].length, 2);
    for (const ref of add.calls[0]) {
      assert.ok(m.layers.some((l) => l.name === ref.layer), ref.layer);
      assert.deepEqual([ref.node, ref.tensor], [0, 0]);
    }
    assert.equal(m.inputLayers.length, 1);
    assert.equal(m.layers.find((l) => l.name === m.inputLayers[0].layer)?.className, 'InputLayer');
    assert.equal(m.outputLayers.length, 1);
    assert.equal(m.layers[m.layers.length - 1].name, m.outputLayers[0].layer);
    assert.ok(m.layers.every((l, i) => l.index === i && l.config !== undefined && l.model === undefined));
  });

  it('reads a Sequential (config.layers or a bare array, model_config unwrapped) without calls', () => {
    const seq = modelTopology(tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], name: 'a' }), tf.layers.dense({ units: 1, name: 'b' })] }));
    const m = readLayersTopology({ model_config: seq });
    assert.equal(m.className, 'Sequential');
    assert.deepEqual(m.layers.map((l) => [l.name, l.className, l.calls.length]), [['a', 'Dense', 0], ['b', 'Dense', 0]]);
    const bare = readLayersTopology({ class_name: 'Sequential', config: [{ class_name: 'Dense', config: {} }] });
    assert.equal(bare.layersInConfig, false);
    assert.equal(bare.layers[0].name, undefined);
  });

  it('reads nested models into their own records, and shared layers as several calls', () => {
    const inner = { class_name: 'Sequential', name: 'enc', config: { name: 'enc', layers: [{ class_name: 'Dense', config: { name: 'x' } }] }, inbound_nodes: [[['in', 0, 0, {}]]] };
    const shared = { ...dense('d', 'enc'), inbound_nodes: [[['enc', 0, 0, {}]], [['enc', 1, 0, {}]]] };
    const m = readLayersTopology(functional([input, inner, shared]));
    assert.equal(m.layers[1].model?.className, 'Sequential');
    assert.deepEqual(m.layers[1].model?.layers.map((l) => l.name), ['x']);
    assert.deepEqual(m.layers[2].calls.map((c) => c.map((r) => [r.layer, r.node])), [[['enc', 0]], [['enc', 1]]]);
  });

  it('keeps indices the file leaves out as 0 and ones that are not numbers as NaN', () => {
    const m = readLayersTopology(functional([input, { ...dense('d'), inbound_nodes: [[['in'], ['in', '1', null]]] }]));
    assert.deepEqual(m.layers[1].calls[0].map((r) => [r.node, r.tensor]), [[0, 0], [NaN, 0]]);
  });

  it('refuses malformed topologies with one typed line', () => {
    refuses([], /not a JSON object/);
    refuses({ config: { layers: [] } }, /no class_name/);
    refuses({ class_name: 'Dense', config: { layers: [] } }, /"Dense" is not Sequential, Model or Functional/);
    refuses({ class_name: 'Model', config: {} }, /no layers array/);
    refuses(functional([input, { name: 'd', config: {} }]), /layers\[1\] has no class_name/);
    refuses(functional([input, dense('d', 'in'), dense('d', 'in')]), /two layers are named "d"/);
    refuses(functional([input, { ...dense('d'), inbound_nodes: [{ args: [], kwargs: {} }] }]), /layer "d": inbound_nodes\[0\] is not a list of inputs .*Keras 3/);
    refuses(functional([input, { ...dense('d'), inbound_nodes: [[[7, 0, 0]]] }]), /layer "d": inbound_nodes\[0\]\[0\] is not a \[layer name, node index, tensor index\] reference/);
    refuses({ class_name: 'Model', config: { layers: [input], output_layers: ['in'] } }, /output_layers\[0\] is not a \[layer name/);
    const badNested = { class_name: 'Sequential', name: 'enc', config: { name: 'enc' }, inbound_nodes: [] };
    refuses(functional([input, badNested]), /^nested model "enc": the model topology has no layers array$/);
  });

  it('refuses topologies past its bounds, without recursing on input size', () => {
    refuses(functional([input, dense('n'.repeat(MAX_NAME_CHARS + 1))]), new RegExp(`${MAX_NAME_CHARS + 1} characters \\(at most ${MAX_NAME_CHARS}\\)`));
    assert.equal(readLayersTopology(functional([input, dense('n'.repeat(MAX_NAME_CHARS))])).layers[1].name?.length, MAX_NAME_CHARS);
    const many = Array.from({ length: MAX_TOPOLOGY_LAYERS + 1 }, () => ({ class_name: 'Dense', config: {} }));
    refuses({ class_name: 'Sequential', config: { layers: many } }, new RegExp(`more than ${MAX_TOPOLOGY_LAYERS} layers`));
    assert.equal(readLayersTopology({ class_name: 'Sequential', config: { layers: many.slice(1) } }).layers.length, MAX_TOPOLOGY_LAYERS);
    const ref = ['in', 0, 0];
    refuses(functional([input, { ...dense('d'), inbound_nodes: [Array<unknown>(MAX_TOPOLOGY_REFS + 1).fill(ref)] }]), new RegExp(`more than ${MAX_TOPOLOGY_REFS} input references`));
    // Models nested 100,000 deep: refused at the nesting cap, not by a stack overflow.
    const nest = (depth: number) => {
      let m: Record<string, unknown> = { class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: { name: 'leaf' } }] } };
      for (let i = 0; i < depth; i++) m = { class_name: 'Sequential', config: { layers: [{ ...m, config: { ...(m.config as object), name: `m${i}` } }] } };
      return m;
    };
    refuses(nest(100_000), new RegExp(`models nested more than ${MAX_MODEL_NESTING} deep`));
    assert.doesNotThrow(() => readLayersTopology(nest(MAX_MODEL_NESTING)));
    refuses(nest(MAX_MODEL_NESTING + 1), /nested more than/);
  });

  it('each consumer keeps its policy on the same records: the graph draws shared layers and nested models, the export and the sparse path refuse them', () => {
    const inner = { class_name: 'Sequential', name: 'enc', config: { name: 'enc', layers: [{ class_name: 'Dense', config: { name: 'x', units: 2 } }] }, inbound_nodes: [[['in', 0, 0, {}]]] };
    const nested = functional([input, inner, dense('d', 'enc')]);
    const shared = functional([input, dense('a', 'in'), { ...dense('d'), inbound_nodes: [[['a', 0, 0, {}]], [['a', 0, 0, {}]]] }]);
    const g = buildModelGraph({ topology: nested, tensors: [] });
    assert.equal(g.source, 'topology');
    assert.deepEqual(g.nodes.map((n) => [n.name, n.members]), [['in', 1], ['enc', 1], ['d', 1]]);
    assert.equal(buildModelGraph({ topology: shared, tensors: [] }).source, 'topology');
    assert.throws(() => parseLayersTopology(nested, FILE), /^ModelError: m\.elsa\.safetensors: ONNX export: layer "enc" is a nested Sequential model \(nested models are not supported\)$/);
    assert.throws(() => compileSparseModel(nested, {}, FILE), /^ModelError: m\.elsa\.safetensors: sparse path: layer "enc" is a nested Sequential model/);
    assert.throws(() => parseLayersTopology(shared, FILE), /ONNX export: layer "d" is called 2 times \(shared layers are not supported\)$/);
    // A topology the reader refuses reaches the graph as a note, and the export as its one line.
    const keras3 = functional([input, { ...dense('d'), inbound_nodes: [{ args: [] }] }]);
    assert.match(buildModelGraph({ topology: keras3, tensors: [] }).notes[0], /could not be read \(layer "d": inbound_nodes\[0\] is not a list of inputs/);
    assert.throws(() => parseLayersTopology(keras3, FILE), /^ModelError: m\.elsa\.safetensors: ONNX export: layer "d": inbound_nodes\[0\] is not a list of inputs/);
  });
});
