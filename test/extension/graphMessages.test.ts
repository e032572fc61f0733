/**
 * The graph's protocol messages (getGraph, graph, revealLayer) as the validator sees them: what the host
 * sends is accepted, anything malformed or unbounded is dropped; and the Reveal in Graph request a
 * dashboard session holds until its page can hear it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layoutModelGraph } from '../../src/core/graphLayout';
import { buildModelGraph } from '../../src/core/modelGraph';
import type { TensorStore } from '../../src/core/tensorStore';
import { graphForDashboard } from '../../src/extension/dashboardGraph';
import { PendingReveal } from '../../src/extension/pendingReveal';
import { parseHostMessage, parseWebviewMessage } from '../../src/protocol/validate';
import { MAX_GRAPH_EDGES, MAX_GRAPH_NODES, type GraphData } from '../../src/protocol/webview';

const graph: GraphData = layoutModelGraph(buildModelGraph({ tensors: [{ name: 'a.weight', shape: [2, 2] }, { name: 'b.weight', shape: [2] }] }));
const response = (g: unknown) => ({ id: 2, type: 'response', inReplyTo: 1, body: { kind: 'graph', graph: g } });
const notification = (body: unknown) => ({ id: 3, type: 'notification', body });

describe('graph messages', () => {
  it('accepts getGraph, a laid-out graph and revealLayer', () => {
    assert.deepEqual(parseWebviewMessage({ id: 1, type: 'request', body: { kind: 'getGraph' } }), { id: 1, type: 'request', body: { kind: 'getGraph' } });
    assert.equal(graph.nodes.length, 2);
    assert.deepEqual(parseHostMessage(response(graph))?.body, { kind: 'graph', graph });
    assert.deepEqual(parseHostMessage(notification({ kind: 'revealLayer', layer: 'conv1/kernel' }))?.body, { kind: 'revealLayer', layer: 'conv1/kernel' });
  });

  const node = graph.nodes[0];
  const edge = graph.edges[0];
  const bad: [string, unknown][] = [
    ['an unknown source', { ...graph, source: 'guess' }],
    ['no notes', { ...graph, notes: undefined }],
    ['a node without an id', { ...graph, nodes: [{ ...node, id: undefined }, graph.nodes[1]] }],
    ['two nodes with one id', { ...graph, nodes: [node, { ...graph.nodes[1], id: node.id }] }],
    ['a negative parameter count', { ...graph, nodes: [{ ...node, params: -1 }, graph.nodes[1]] }],
    ['a NaN coordinate', { ...graph, nodes: [{ ...node, x: NaN }, graph.nodes[1]] }],
    ['a zero-width box', { ...graph, nodes: [{ ...node, width: 0 }, graph.nodes[1]] }],
    ['tensors that are not strings', { ...graph, nodes: [{ ...node, tensors: [1] }, graph.nodes[1]] }],
    ['zero members', { ...graph, nodes: [{ ...node, members: 0 }, graph.nodes[1]] }],
    ['an edge to a node that does not exist', { ...graph, edges: [{ ...edge, to: 'n99' }] }],
    ['an edge with an odd number of coordinates', { ...graph, edges: [{ ...edge, points: [0, 0, 1] }] }],
    ['an edge with one point', { ...graph, edges: [{ ...edge, points: [0, 0] }] }],
    ['too many nodes', { ...graph, nodes: Array.from({ length: MAX_GRAPH_NODES + 1 }, (_v, i) => ({ ...node, id: `n${i}` })), edges: [] }],
    ['too many edges', { ...graph, edges: Array.from({ length: MAX_GRAPH_EDGES + 1 }, () => edge) }],
  ];
  for (const [what, g] of bad) it(`drops a graph with ${what}`, () => assert.equal(parseHostMessage(response(g)), undefined));

  it('drops a revealLayer without a layer name', () => {
    for (const layer of [undefined, '', 3, ['a']]) assert.equal(parseHostMessage(notification({ kind: 'revealLayer', layer })), undefined);
  });
});

describe('PendingReveal', () => {
  it('holds the newest reveal until the page can hear it, then delivers it once', () => {
    let open = false;
    const delivered: string[] = [];
    const r = new PendingReveal(() => open, (l) => delivered.push(l));
    r.request('a/kernel');
    r.request('b/kernel');
    r.flush();
    assert.deepEqual(delivered, []);
    open = true;
    r.flush();
    r.flush();
    assert.deepEqual(delivered, ['b/kernel']);
    r.request('c/kernel');
    assert.deepEqual(delivered, ['b/kernel', 'c/kernel']);
  });
});

describe('the dashboard graph while a run trains', () => {
  const store = (shape: number[], topology?: unknown) =>
    ({ layers: [], modelTensors: [{ name: 'a.weight', shape, dtype: 'F32' }, { name: 'b.weight', shape: [2], dtype: 'F32' }], topology }) as unknown as TensorStore;

  it('reuses the layout while the topology and the tensor shapes stay the same (each epoch re-reads the file)', () => {
    const first = graphForDashboard(store([2, 2]));
    assert.equal(graphForDashboard(store([2, 2])), first, 'same names and shapes: the same laid-out graph');
  });

  it('lays the graph out again when a shape or the topology changes', () => {
    const first = graphForDashboard(store([2, 2]));
    const wider = graphForDashboard(store([2, 3]));
    assert.notEqual(wider, first);
    assert.notDeepEqual(wider, first, 'the new graph shows the new shape');
    assert.notEqual(graphForDashboard(store([2, 2], { class_name: 'Sequential', config: { layers: [] } })), first);
  });
});
