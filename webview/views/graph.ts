/**
 * The model as a graph: the host's laid-out nodes and edges drawn as SVG, each node filled by its sparsity at
 * the selected level (legend below), labelled with its name, class and parameter count. Clicking a node (or
 * Enter on it) selects its layer in every chart; a layer selected elsewhere highlights its node. Built with DOM
 * APIs and SVG presentation attributes only: the webview's CSP forbids `style=` attributes.
 */
import type { CheckpointSummary, GraphData, GraphNodeData } from '../../src/protocol/webview';
import { contrastRatio, toCss, type Palette, type Rgba } from '../colors';
import { clear, h } from '../dom';
import { count, levelLabel, pct } from '../format';
import { colourLevel, edgePath, nodeForLayer, nodeSparsity, sparsityFill, summaryLayers } from '../graphModel';
import { card, setNote, type Card } from './card';

const SVG = 'http://www.w3.org/2000/svg';

function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

export class GraphView {
  readonly card: Card;
  private readonly svg: SVGSVGElement;
  private readonly scroller: HTMLElement;
  private readonly legend: HTMLElement;
  private graph: GraphData | undefined;
  private summary: CheckpointSummary | undefined;
  private palette: Palette | undefined;
  private level = 0;
  private layer: string | undefined;
  /** A node selected by a click that has no chart layer (e.g. an Add or a pooling layer). */
  private pickedNode: string | undefined;
  private notes: string[] = [];

  constructor(private readonly onSelect: (node: GraphNodeData) => void) {
    this.card = card(
      'graph-section',
      'Model graph',
      'Layers as nodes, coloured by the selected level\'s sparsity; click a node to show its layer in every chart.',
    );
    this.svg = s('svg', { id: 'model-graph', role: 'group', 'aria-label': 'Model graph' });
    this.scroller = h('div', { class: 'graph-scroll', id: 'graph-scroll' });
    this.scroller.append(this.svg);
    this.legend = h('div', { class: 'graph-legend', id: 'graph-legend' });
    this.card.body.append(this.legend, this.scroller);
    this.showMessage('Loading the model graph…');
  }

  showMessage(text: string): void {
    this.graph = undefined;
    this.scroller.hidden = true;
    this.legend.hidden = true;
    this.svg.dataset.nodeCount = '0';
    setNote(this.card.note, text);
  }

  setGraph(graph: GraphData): void {
    this.graph = graph;
    this.pickedNode = undefined;
    this.notes = graph.notes;
    this.scroller.hidden = graph.nodes.length === 0;
    this.legend.hidden = graph.nodes.length === 0;
    setNote(this.card.note, graph.nodes.length === 0 ? 'This file has no layers to draw.' : graph.notes.join(' ') || undefined);
    this.svg.dataset.source = graph.source;
    this.svg.dataset.nodeCount = String(graph.nodes.length);
    this.svg.dataset.edgeCount = String(graph.edges.length);
    this.svg.dataset.layerCount = String(graph.layerCount);
  }

  setSummary(summary: CheckpointSummary | undefined): void {
    this.summary = summary;
  }

  /**
   * Shows `layer` (a weight tensor name) as selected. A click on a node without chart layers picks that node
   * instead, with a message saying so.
   */
  setSelection(layer: string | undefined, picked?: { node: string; message: string }): void {
    this.layer = layer;
    this.pickedNode = picked?.node;
    if (this.graph) setNote(this.card.note, [picked?.message, ...this.notes].filter(Boolean).join(' ') || undefined);
    if (this.palette) this.render(this.palette, this.level);
  }

  /** Scrolls the selected node into the middle of the view; false when there is none (yet). */
  revealSelected(): boolean {
    const node = this.selectedNode();
    if (!node || !this.graph) return false;
    this.card.root.scrollIntoView({ block: 'nearest' });
    const scale = this.svg.clientWidth > 0 ? this.svg.clientWidth / Math.max(1, this.graph.width) : 1;
    this.scroller.scrollTop = Math.max(0, node.y * scale - this.scroller.clientHeight / 2);
    this.scroller.scrollLeft = Math.max(0, node.x * scale - this.scroller.clientWidth / 2);
    return true;
  }

  private selectedNode(): GraphNodeData | undefined {
    if (!this.graph) return undefined;
    if (this.pickedNode) return this.graph.nodes.find((n) => n.id === this.pickedNode);
    return nodeForLayer(this.graph, this.layer);
  }

  render(p: Palette, selectedLevel: number): void {
    this.palette = p;
    this.level = selectedLevel;
    const g = this.graph;
    clear(this.svg);
    if (!g || g.nodes.length === 0) return;
    const levelCount = this.summary?.levelCount ?? 0;
    const level = colourLevel(selectedLevel, levelCount);
    const layers = summaryLayers(this.summary);
    const selected = this.selectedNode();
    this.svg.setAttribute('viewBox', `0 0 ${g.width} ${g.height}`);
    this.svg.setAttribute('width', String(Math.ceil(g.width)));
    this.svg.setAttribute('height', String(Math.ceil(g.height)));
    this.svg.dataset.level = String(level);
    this.svg.dataset.selectedLayer = this.layer ?? '';
    this.svg.dataset.selectedNode = selected?.id ?? '';

    const edgeColour = toCss(p.muted, p.highContrast ? 1 : 0.8);
    const defs = s('defs');
    const marker = s('marker', { id: 'graph-arrow', viewBox: '0 0 8 8', refX: 8, refY: 4, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    marker.append(s('path', { d: 'M0,0 L8,4 L0,8 z', fill: edgeColour }));
    defs.append(marker);
    this.svg.append(defs);
    const edges = s('g', { class: 'graph-edges' });
    for (const e of g.edges) {
      edges.append(s('path', { class: 'graph-edge', d: edgePath(e.points), fill: 'none', stroke: edgeColour, 'stroke-width': p.highContrast ? 1.5 : 1, 'marker-end': 'url(#graph-arrow)', 'data-from': e.from, 'data-to': e.to }));
    }
    this.svg.append(edges);

    const nodes = s('g', { class: 'graph-nodes' });
    for (const n of g.nodes) nodes.append(this.drawNode(n, p, nodeSparsity(n, layers, level), n === selected));
    this.svg.append(nodes);
    this.renderLegend(p, level, levelCount);
  }

  private drawNode(n: GraphNodeData, p: Palette, sparsity: number | undefined, isSelected: boolean): SVGGElement {
    const fill: Rgba = sparsity === undefined ? { ...p.background, a: 1 } : sparsityFill(p, sparsity);
    const text = readableOn(fill, p);
    const detail = `${n.className === 'layers' ? `${n.members} layers` : n.className} · ${count(n.params)} params`;
    const group = s('g', {
      class: `graph-node${isSelected ? ' selected' : ''}${sparsity === undefined ? ' no-weights' : ''}`,
      tabindex: 0,
      role: 'button',
      'aria-pressed': String(isSelected),
      'aria-label': `${n.name}, ${detail}${sparsity === undefined ? '' : `, ${pct(sparsity, 1)} sparse`}`,
      transform: `translate(${(n.x - n.width / 2).toFixed(1)},${(n.y - n.height / 2).toFixed(1)})`,
    });
    group.dataset.nodeId = n.id;
    group.dataset.name = n.name;
    group.dataset.className = n.className;
    group.dataset.params = String(n.params);
    group.dataset.members = String(n.members);
    if (sparsity !== undefined) group.dataset.sparsity = String(sparsity);
    group.dataset.tensors = JSON.stringify(n.tensors);
    const title = s('title');
    title.textContent = `${n.name}\n${detail}${sparsity === undefined ? '\nno sparsifiable weights' : `\n${pct(sparsity, 2)} sparse`}${n.tensors.length ? `\n${n.tensors.slice(0, 12).join('\n')}${n.tensors.length > 12 ? `\n… ${n.tensors.length - 12} more` : ''}` : ''}`;
    group.append(
      title,
      s('rect', {
        width: n.width, height: n.height, rx: 4, fill: toCss(fill),
        stroke: isSelected ? toCss(p.foreground) : toCss(p.muted, p.highContrast ? 1 : 0.6),
        'stroke-width': isSelected ? 3 : 1,
        ...(sparsity === undefined ? { 'stroke-dasharray': '4 3' } : {}),
      }),
    );
    const name = s('text', { x: 8, y: 16, fill: toCss(text), class: 'graph-name' });
    name.textContent = n.label;
    const sub = s('text', { x: 8, y: 32, fill: toCss(text, 0.85), class: 'graph-detail' });
    sub.textContent = detail;
    group.append(name, sub);
    const choose = () => this.onSelect(n);
    group.addEventListener('click', choose);
    group.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        choose();
      }
    });
    return group;
  }

  private renderLegend(p: Palette, level: number, levelCount: number): void {
    clear(this.legend);
    const what = levelCount === 0
      ? 'share of exact zeros'
      : `sparsity at ${levelLabel(level, levelCount, level < levelCount ? this.summary?.meta?.targets[level - 1] : undefined)}${this.level === 0 ? ' (all levels selected: the sparsest level)' : ''}`;
    const steps = s('svg', { class: 'graph-scale', width: 160, height: 14, role: 'img', 'aria-label': 'colour scale from 0 to 100 %' });
    for (let i = 0; i < 10; i++) steps.append(s('rect', { x: i * 16, y: 0, width: 16, height: 14, fill: toCss(sparsityFill(p, (i + 0.5) / 10)) }));
    const none = s('svg', { class: 'graph-scale', width: 22, height: 14, 'aria-hidden': 'true' });
    none.append(s('rect', { x: 1, y: 1, width: 20, height: 12, rx: 2, fill: toCss(p.background), stroke: toCss(p.muted), 'stroke-dasharray': '4 3' }));
    this.legend.append(
      h('span', { class: 'graph-legend-title', text: `Colour: ${what}` }),
      h('span', { class: 'graph-legend-scale' }, h('span', { text: '0 %' }), steps, h('span', { text: '100 %' })),
      h('span', { class: 'graph-legend-scale' }, none, h('span', { text: 'no sparsifiable weights' })),
    );
    this.legend.dataset.level = String(level);
  }
}

/** Foreground or background, whichever reads better on the fill. */
function readableOn(fill: Rgba, p: Palette): Rgba {
  const fg = { ...p.foreground, a: 1 };
  const bg = { ...p.background, a: 1 };
  return contrastRatio(fill, fg) >= contrastRatio(fill, bg) ? fg : bg;
}
