/** The graph view's pure logic (webview/graphModel.ts): node sparsity, node ↔ layer, colour level and scale. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GraphData, GraphNodeData, LayerSummary } from '../../src/protocol/webview';
import { contrastRatio, readPalette } from '../../webview/colors';
import { colourLevel, edgePath, layerForNode, nodeForLayer, nodeSparsity, sparsityFill } from '../../webview/graphModel';

const layerSummary = (name: string, params: number, levelSparsity: number[]): LayerSummary => ({ name, shape: [params], params, levelSparsity, codeShare: [] });
const node = (id: string, tensors: string[]): GraphNodeData => ({ id, name: id, label: id, className: 'Dense', params: 0, tensors, members: 1, x: 0, y: 0, width: 10, height: 10 });
const layers = new Map([
  ['a/kernel', layerSummary('a/kernel', 300, [0.9, 0.5, 0])],
  ['a/recurrent', layerSummary('a/recurrent', 100, [0.5, 0.1, 0])],
  ['b/kernel', layerSummary('b/kernel', 10, [0.2, 0.1, 0])],
]);

describe('graph model', () => {
  it('weights a node\'s sparsity by the parameters of its chart layers, at the chosen level', () => {
    const n = node('a', ['a/kernel', 'a/bias', 'a/recurrent']);
    assert.equal(nodeSparsity(n, layers, 1), (0.9 * 300 + 0.5 * 100) / 400);
    assert.equal(nodeSparsity(n, layers, 2), (0.5 * 300 + 0.1 * 100) / 400);
    assert.equal(nodeSparsity(node('add', []), layers, 1), undefined);
    assert.equal(nodeSparsity(node('bn', ['bn/gamma']), layers, 1), undefined);
  });

  it('colours by the selected level, the sparsest one for "all levels", the zero share for a file without levels', () => {
    assert.equal(colourLevel(2, 3), 2);
    assert.equal(colourLevel(0, 3), 1);
    assert.equal(colourLevel(7, 3), 1);
    assert.equal(colourLevel(0, 0), 0);
    // Level 0 reads levelSparsity[0], where a foreign file keeps its zero share.
    assert.equal(nodeSparsity(node('b', ['b/kernel']), layers, 0), 0.2);
  });

  it('a click selects the node\'s largest chart layer; a layer finds its node', () => {
    assert.equal(layerForNode(node('a', ['a/recurrent', 'a/kernel']), layers), 'a/kernel');
    assert.equal(layerForNode(node('pool', ['pool/x']), layers), undefined);
    const graph = { nodes: [node('a', ['a/kernel']), node('b', ['b/kernel'])] } as GraphData;
    assert.equal(nodeForLayer(graph, 'b/kernel')?.id, 'b');
    assert.equal(nodeForLayer(graph, 'c/kernel'), undefined);
  });

  it('the colour scale runs from a quiet neutral to the theme blue, monotonically', () => {
    for (const [bg, fg] of [['#1e1e1e', '#cccccc'], ['#ffffff', '#3b3b3b']]) {
      const p = readPalette((v) => ({ '--vscode-editor-background': bg, '--vscode-foreground': fg, '--vscode-charts-blue': '#3794ff' } as Record<string, string>)[v] ?? '', false);
      const full = sparsityFill(p, 1);
      assert.deepEqual([full.r, full.g, full.b], [p.blue.r, p.blue.g, p.blue.b]);
      const distance = (s: number) => {
        const c = sparsityFill(p, s);
        return Math.hypot(c.r - p.blue.r, c.g - p.blue.g, c.b - p.blue.b);
      };
      for (let i = 0; i < 10; i++) assert.ok(distance((i + 1) / 10) < distance(i / 10), `closer to blue at ${(i + 1) / 10}`);
      assert.ok(contrastRatio(sparsityFill(p, 0), { ...p.background, a: 1 }) < 1.5, 'dense is quiet, near the background');
    }
  });

  it('draws an edge through its routed points', () => {
    assert.equal(edgePath([0, 0, 10.25, 20, 10, 40]), 'M0.0,0.0 L10.3,20.0 L10.0,40.0');
  });
});
