/**
 * Places a model graph with dagre (@dagrejs/dagre, the maintained fork of the layered-graph layout): layers
 * top to bottom, edges routed around nodes. It runs in the extension host, not in the webview: the host
 * computes and the webview only draws (like the heatmap's cell mapping), the layout is testable in node,
 * and the webview bundle does not grow. The graph is already bounded (MAX_GRAPH_NODES, modelGraph.ts), so
 * one layout takes tens of milliseconds for a real model and under a second at the cap (README, "Model graph").
 */
import dagre from '@dagrejs/dagre';
import type { GraphData } from '../protocol/webview';
import type { ModelGraph } from './modelGraph';

/** Characters of a name drawn in a node; longer names are cut in the middle (the tooltip has the rest). */
export const GRAPH_LABEL_CHARS = 28;
/** Box metrics in SVG user units, matched by the webview's font (12 px monospace-ish width per char). */
const CHAR_WIDTH = 7;
const NODE_HEIGHT = 40;
const MIN_WIDTH = 96;
const PADDING = 20;

export function graphLabel(name: string): string {
  if (name.length <= GRAPH_LABEL_CHARS) return name;
  const head = Math.ceil((GRAPH_LABEL_CHARS - 1) / 2);
  return `${name.slice(0, head)}…${name.slice(name.length - (GRAPH_LABEL_CHARS - 1 - head))}`;
}

/** The second line of a node: its class and parameter count (`Conv2D · 4,640 params`). */
export function graphDetail(className: string, params: number, members: number): string {
  const what = className === 'layers' ? `${members} layers` : className;
  return `${what} · ${params.toLocaleString('en-US')} params`;
}

export function layoutModelGraph(graph: ModelGraph): GraphData {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 32, edgesep: 12, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const labels = graph.nodes.map((n) => graphLabel(n.name));
  graph.nodes.forEach((n, i) => {
    const chars = Math.max(labels[i].length, graphDetail(n.className, n.params, n.members).length);
    g.setNode(String(i), { width: Math.max(MIN_WIDTH, chars * CHAR_WIDTH + PADDING), height: NODE_HEIGHT });
  });
  for (const [a, b] of graph.edges) g.setEdge(String(a), String(b));
  dagre.layout(g);
  const size = g.graph();
  return {
    source: graph.source,
    nodes: graph.nodes.map((n, i) => {
      const p = g.node(String(i));
      return { id: `n${i}`, name: n.name, label: labels[i], className: n.className, params: n.params, tensors: n.tensors, members: n.members, x: p.x, y: p.y, width: p.width, height: p.height };
    }),
    edges: graph.edges.map(([a, b]) => ({
      from: `n${a}`,
      to: `n${b}`,
      points: (g.edge(String(a), String(b)).points ?? []).flatMap((q: { x: number; y: number }) => [q.x, q.y]),
    })),
    width: Math.max(1, size.width ?? 1),
    height: Math.max(1, size.height ?? 1),
    layerCount: graph.layerCount,
    notes: graph.notes,
  };
}
