/**
 * The graph view's data logic, pure (tested without a browser): which node holds a layer, which layer a node
 * selects, a node's sparsity at the selected level, and the colour scale. The host lays the graph out; this
 * only reads the summary the other charts read, so the graph and the bars always show the same numbers.
 */
import type { CheckpointSummary, GraphData, GraphNodeData, LayerSummary } from '../src/protocol/webview';
import { mix, type Palette, type Rgba } from './colors';

/**
 * The level whose sparsity colours the nodes: the selected one, or, with all levels selected, the sparsest
 * (level 1). A file without levels: its zero share (`levelSparsity[0]`), shown as level 0.
 */
export function colourLevel(selected: number, levelCount: number): number {
  if (levelCount === 0) return 0;
  return selected >= 1 && selected <= levelCount ? selected : 1;
}

/** Parameter-weighted sparsity of the node's summary layers at `level` (0: the zero share); undefined: none. */
export function nodeSparsity(node: GraphNodeData, layers: ReadonlyMap<string, LayerSummary>, level: number): number | undefined {
  let zeros = 0;
  let total = 0;
  for (const t of node.tensors) {
    const l = layers.get(t);
    const s = l?.levelSparsity[Math.max(0, level - 1)];
    if (!l || s === undefined || !Number.isFinite(s)) continue;
    zeros += s * l.params;
    total += l.params;
  }
  return total > 0 ? zeros / total : undefined;
}

/** The layer a click on the node selects: its largest tensor that the charts know (undefined: none). */
export function layerForNode(node: GraphNodeData, layers: ReadonlyMap<string, LayerSummary>): string | undefined {
  let best: LayerSummary | undefined;
  for (const t of node.tensors) {
    const l = layers.get(t);
    if (l && (!best || l.params > best.params)) best = l;
  }
  return best?.name;
}

/** The node that owns a weight tensor. */
export function nodeForLayer(graph: GraphData, layer: string | undefined): GraphNodeData | undefined {
  if (!layer) return undefined;
  return graph.nodes.find((n) => n.tensors.includes(layer));
}

export function summaryLayers(summary: CheckpointSummary | undefined): Map<string, LayerSummary> {
  return new Map((summary?.layers ?? []).map((l) => [l.name, l]));
}

/**
 * Sparsity → fill: from a quiet neutral (dense, 0 %) to the theme's blue (100 % zeros), linear in sparsity.
 * Blue is the colour the dashboard already uses for the sparsest level.
 */
export function sparsityFill(p: Palette, sparsity: number): Rgba {
  const quiet = mix({ ...p.background, a: 1 }, { ...p.foreground, a: 1 }, p.highContrast ? 0.25 : 0.12);
  return mix(quiet, { ...p.blue, a: 1 }, Math.min(1, Math.max(0, sparsity)));
}

/** The SVG path of an edge's routed points. */
export function edgePath(points: readonly number[]): string {
  let d = '';
  for (let i = 0; i + 1 < points.length; i += 2) d += `${i === 0 ? 'M' : ' L'}${points[i].toFixed(1)},${points[i + 1].toFixed(1)}`;
  return d;
}
