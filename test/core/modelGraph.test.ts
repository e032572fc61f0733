/**
 * The model as a graph (src/core/modelGraph.ts, src/core/graphLayout.ts): layers and wiring from TF.js
 * Layers topologies (functional with a residual Add, Sequential, a nested model), tensors grouped by name
 * prefix for a bare safetensors, every tensor owned by exactly one node, and the size bound: a 10,000-layer
 * topology is drawn with at most MAX_GRAPH_NODES nodes, nothing lost, in bounded time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layoutModelGraph } from '../../src/core/graphLayout';
import { buildModelGraph, naturalCompare, type GraphTensor, type ModelGraph } from '../../src/core/modelGraph';
import { MAX_GRAPH_NODES } from '../../src/protocol/webview';
import { parseHostMessage } from '../../src/protocol/validate';

type Ref = [string, number, number, Record<string, unknown>];
const layer = (name: string, cls: string, inputs: string[][] = []) => ({
  class_name: cls,
  name,
  config: { name },
  inbound_nodes: inputs.map((call) => call.map((from): Ref => [from, 0, 0, {}])),
});
const functional = (layers: unknown[], output: string) => ({
  class_name: 'Model',
  config: { name: 'm', layers, input_layers: [['input', 0, 0]], output_layers: [[output, 0, 0]] },
});

/** A residual block: conv_a → conv_b, added to the block's input (the skip). */
const residual = functional([
  layer('input', 'InputLayer'),
  layer('stem', 'Conv2D', [['input']]),
  layer('conv_a', 'Conv2D', [['stem']]),
  layer('conv_b', 'Conv2D', [['conv_a']]),
  layer('add', 'Add', [['conv_b', 'stem']]),
  layer('logits', 'Dense', [['add']]),
], 'logits');
const residualTensors: GraphTensor[] = [
  { name: 'stem/kernel', shape: [3, 3, 1, 8] }, { name: 'stem/bias', shape: [8] },
  { name: 'conv_a/kernel', shape: [3, 3, 8, 8] }, { name: 'conv_b/kernel', shape: [3, 3, 8, 8] },
  { name: 'logits/kernel', shape: [8, 10] }, { name: 'logits/bias', shape: [10] },
];

const byName = (g: ModelGraph, name: string) => {
  const i = g.nodes.findIndex((n) => n.name === name);
  assert.ok(i >= 0, `a node named ${name}: ${g.nodes.map((n) => n.name).join(', ')}`);
  return i;
};
const edgeNames = (g: ModelGraph) => g.edges.map(([a, b]) => `${g.nodes[a].name}->${g.nodes[b].name}`).sort();
/** Every tensor belongs to exactly one node. */
function assertOwnedOnce(g: ModelGraph, tensors: readonly GraphTensor[]): void {
  const owned = g.nodes.flatMap((n) => n.tensors).sort();
  assert.deepEqual(owned, tensors.map((t) => t.name).sort());
}

describe('model graph from a TF.js Layers topology', () => {
  it('reads a functional model with a residual Add: the merge has both inputs, each layer its weights and parameter count', () => {
    const g = buildModelGraph({ topology: residual, tensors: residualTensors });
    assert.equal(g.source, 'topology');
    assert.deepEqual(g.nodes.map((n) => `${n.name}:${n.className}`), ['input:InputLayer', 'stem:Conv2D', 'conv_a:Conv2D', 'conv_b:Conv2D', 'add:Add', 'logits:Dense']);
    assert.deepEqual(edgeNames(g), ['add->logits', 'conv_a->conv_b', 'conv_b->add', 'input->stem', 'stem->add', 'stem->conv_a'].sort());
    assert.deepEqual(g.nodes[byName(g, 'stem')].tensors, ['stem/kernel', 'stem/bias']);
    assert.equal(g.nodes[byName(g, 'stem')].params, 3 * 3 * 8 + 8);
    assert.equal(g.nodes[byName(g, 'logits')].params, 8 * 10 + 10);
    assert.equal(g.nodes[byName(g, 'add')].params, 0);
    assertOwnedOnce(g, residualTensors);
    assert.equal(g.layerCount, 6);
    assert.deepEqual(g.notes, []);
  });

  it('accepts the model.json wrapper ({model_config}) as checkpoints and Keras exports store it', () => {
    const g = buildModelGraph({ topology: { model_config: residual, keras_version: 'tfjs-layers 4.22.0' }, tensors: residualTensors });
    assert.equal(g.source, 'topology');
    assert.equal(g.nodes.length, 6);
  });

  it('chains a Sequential model in layer order, named by config.name', () => {
    const seq = { class_name: 'Sequential', config: { name: 's', layers: [
      { class_name: 'Flatten', config: { name: 'flatten', batch_input_shape: [null, 28, 28, 1] } },
      { class_name: 'Dense', config: { name: 'dense_1', units: 300 } },
      { class_name: 'Dense', config: { name: 'dense_10', units: 10 } },
    ] } };
    const tensors = [{ name: 'dense_1/kernel', shape: [784, 300] }, { name: 'dense_10/kernel', shape: [300, 10] }, { name: 'dense_10/bias', shape: [10] }];
    const g = buildModelGraph({ topology: seq, tensors });
    assert.deepEqual(g.nodes.map((n) => n.name), ['flatten', 'dense_1', 'dense_10']);
    assert.deepEqual(edgeNames(g), ['dense_1->dense_10', 'flatten->dense_1']);
    // `dense_1` is a string prefix of `dense_10`: ownership goes by whole name segments.
    assert.deepEqual(g.nodes[1].tensors, ['dense_1/kernel']);
    assert.deepEqual(g.nodes[2].tensors, ['dense_10/kernel', 'dense_10/bias']);
    assert.equal(g.nodes[1].params, 784 * 300);
  });

  it('shows a nested model as one node owning its inner weights (model/layer/weight), and keeps stray tensors', () => {
    const inner = { class_name: 'Sequential', name: 'encoder', config: { name: 'encoder', layers: [
      { class_name: 'Dense', config: { name: 'd1', units: 4, batch_input_shape: [null, 8] } },
      { class_name: 'Dense', config: { name: 'd2', units: 4 } },
    ] }, inbound_nodes: [[['input', 0, 0, {}]]] };
    const topo = functional([layer('input', 'InputLayer'), inner, layer('head', 'Dense', [['encoder']])], 'head');
    const tensors = [
      { name: 'encoder/d1/kernel', shape: [8, 4] }, { name: 'encoder/d2/kernel', shape: [4, 4] },
      { name: 'head/kernel', shape: [4, 2] }, { name: 'stray/kernel', shape: [2, 2] },
    ];
    const g = buildModelGraph({ topology: topo, tensors });
    const enc = g.nodes[byName(g, 'encoder')];
    assert.equal(enc.className, 'Sequential');
    assert.equal(enc.members, 2);
    assert.deepEqual(enc.tensors, ['encoder/d1/kernel', 'encoder/d2/kernel']);
    assert.equal(enc.params, 8 * 4 + 4 * 4);
    assert.deepEqual(edgeNames(g), ['encoder->head', 'input->encoder']);
    const stray = g.nodes[byName(g, '(not in the topology)')];
    assert.deepEqual(stray.tensors, ['stray/kernel']);
    assert.match(g.notes.join(' '), /1 tensor belong.* no layer/);
    assertOwnedOnce(g, tensors);
  });

  it('falls back to name groups, with a note, when the topology cannot be followed', () => {
    const broken = functional([layer('input', 'InputLayer'), layer('dense', 'Dense', [['nowhere']])], 'dense');
    const g = buildModelGraph({ topology: broken, tensors: [{ name: 'dense/kernel', shape: [2, 2] }] });
    assert.equal(g.source, 'names');
    assert.match(g.notes[0], /could not be read .*"dense" takes an input from "nowhere"/);
    assert.deepEqual(g.nodes.map((n) => n.name), ['dense']);
  });
});

describe('model graph of a bare safetensors (name prefixes)', () => {
  const bert: GraphTensor[] = [];
  for (const i of [10, 2, 0, 1, 9]) {
    for (const m of ['attention.self.query', 'attention.self.key', 'output.dense']) {
      bert.push({ name: `encoder.layer.${i}.${m}.weight`, shape: [4, 4] }, { name: `encoder.layer.${i}.${m}.bias`, shape: [4] });
    }
  }
  bert.push({ name: 'embeddings.word_embeddings.weight', shape: [30, 4] }, { name: 'pooler.dense.weight', shape: [4, 4] });

  it('makes one node per module (name up to the last separator), in natural name order, chained', () => {
    const g = buildModelGraph({ tensors: bert });
    assert.equal(g.source, 'names');
    assert.equal(g.nodes.length, 5 * 3 + 2);
    const names = g.nodes.map((n) => n.name);
    assert.equal(names[0], 'embeddings.word_embeddings');
    // layer.9 before layer.10: numbers compare as numbers.
    assert.ok(names.indexOf('encoder.layer.9.attention.self.key') < names.indexOf('encoder.layer.10.attention.self.key'));
    assert.deepEqual(g.nodes[byName(g, 'encoder.layer.2.output.dense')].tensors.sort(), ['encoder.layer.2.output.dense.bias', 'encoder.layer.2.output.dense.weight']);
    assert.equal(g.nodes[byName(g, 'encoder.layer.2.output.dense')].params, 20);
    assert.equal(g.edges.length, g.nodes.length - 1);
    for (let i = 0; i < g.edges.length; i++) assert.deepEqual(g.edges[i], [i, i + 1]);
    assert.match(g.notes.join(' '), /chained in name order/);
    assertOwnedOnce(g, bert);
  });

  it('merges modules by shorter prefixes when there are too many, without mixing layer.1 and layer.10', () => {
    const g = buildModelGraph({ tensors: bert }, 8);
    assert.ok(g.nodes.length <= 8, `${g.nodes.length} nodes`);
    assert.deepEqual(g.nodes.map((n) => n.name), ['embeddings.word_embeddings', 'encoder.layer.0', 'encoder.layer.1', 'encoder.layer.2', 'encoder.layer.9', 'encoder.layer.10', 'pooler.dense']);
    assert.equal(g.nodes[byName(g, 'encoder.layer.1')].tensors.length, 6);
    assert.ok(g.nodes[byName(g, 'encoder.layer.10')].tensors.every((t) => t.startsWith('encoder.layer.10.')));
    assert.match(g.notes.join(' '), /merged by the first 3 parts/);
    assertOwnedOnce(g, bert);
  });

  it('orders names naturally', () => {
    assert.deepEqual(['a.10', 'a.9', 'a.1', 'b', 'a.010x', 'a.2'].sort(naturalCompare), ['a.1', 'a.2', 'a.9', 'a.10', 'a.010x', 'b']);
  });
});

describe('size bound', () => {
  it('draws a 10,000-layer topology with at most MAX_GRAPH_NODES nodes, every tensor and parameter kept, in bounded time', () => {
    const layers: unknown[] = [layer('input', 'InputLayer')];
    const tensors: GraphTensor[] = [];
    let prev = 'input';
    for (let i = 0; i < 10_000; i++) {
      const name = `dense_${i}`;
      // Every tenth layer adds a skip from two layers back: merges must survive the collapse.
      const inputs = i % 10 === 9 ? [[prev, `dense_${i - 2}`]] : [[prev]];
      layers.push(layer(name, i % 10 === 9 ? 'Add' : 'Dense', inputs));
      if (i % 10 !== 9) tensors.push({ name: `${name}/kernel`, shape: [4, 4] });
      prev = name;
    }
    const start = performance.now();
    const g = buildModelGraph({ topology: functional(layers, prev), tensors });
    const built = performance.now() - start;
    assert.ok(g.nodes.length <= MAX_GRAPH_NODES, `${g.nodes.length} nodes`);
    assert.equal(g.layerCount, 10_001);
    assert.equal(g.nodes.reduce((s, n) => s + n.members, 0), 10_001);
    assert.equal(g.nodes.reduce((s, n) => s + n.params, 0), tensors.length * 16);
    assertOwnedOnce(g, tensors);
    assert.match(g.notes.join(' '), /10001 layers are more than the 200 drawn: each node stands for up to 51 consecutive layers/);
    // Still one connected chain, first to last.
    for (let i = 1; i < g.nodes.length; i++) assert.ok(g.edges.some(([a, b]) => a === i - 1 && b === i), `edge ${i - 1}->${i}`);
    const laid = layoutModelGraph(g);
    const total = performance.now() - start;
    assert.ok(total < 20_000, `built in ${built.toFixed(0)} ms, laid out in ${(total - built).toFixed(0)} ms`);
    // The message the host sends is one the webview accepts.
    assert.ok(parseHostMessage({ id: 1, type: 'response', inReplyTo: 1, body: { kind: 'graph', graph: laid } }));
  });
});

describe('layout', () => {
  it('places every node without overlap and routes each edge downwards from its source to its target', () => {
    const g = layoutModelGraph(buildModelGraph({ topology: residual, tensors: residualTensors }));
    for (const n of g.nodes) {
      assert.ok([n.x, n.y, n.width, n.height].every(Number.isFinite));
      assert.ok(n.x - n.width / 2 >= 0 && n.x + n.width / 2 <= g.width + 0.5 && n.y + n.height / 2 <= g.height + 0.5, `${n.name} inside the drawing`);
    }
    for (let i = 0; i < g.nodes.length; i++) {
      for (let j = i + 1; j < g.nodes.length; j++) {
        const a = g.nodes[i];
        const b = g.nodes[j];
        const apart = Math.abs(a.x - b.x) >= (a.width + b.width) / 2 || Math.abs(a.y - b.y) >= (a.height + b.height) / 2;
        assert.ok(apart, `${a.name} and ${b.name} overlap`);
      }
    }
    const node = new Map(g.nodes.map((n) => [n.id, n]));
    for (const e of g.edges) {
      const from = node.get(e.from)!;
      const to = node.get(e.to)!;
      assert.ok(to.y > from.y, `${from.name} above ${to.name}`);
      assert.ok(Math.abs(e.points[1] - (from.y + from.height / 2)) < 1, 'starts at the source box');
      assert.ok(Math.abs(e.points[e.points.length - 1] - (to.y - to.height / 2)) < 1, 'ends at the target box');
    }
    const names = new Map(g.nodes.map((n) => [n.id, n.name]));
    assert.deepEqual(g.edges.filter((e) => names.get(e.to) === 'add').map((e) => names.get(e.from)).sort(), ['conv_b', 'stem']);
  });
});
