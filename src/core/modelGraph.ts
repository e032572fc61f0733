/**
 * The model as a graph of layers, for the dashboard's graph view. Two sources:
 * - a TF.js Layers topology (our checkpoints carry it in their metadata, a model.json has it): one node per
 *   layer, edges from each layer call's inputs (`inbound_nodes`), a nested model as one node;
 * - a bare safetensors file (no topology): one node per module, i.e. per tensor-name prefix (the name up to
 *   its last `.` or `/`: `encoder.layer.3.attention.self.query.weight` → `…query`), chained in natural name
 *   order (numbers compared as numbers, so `layer.10` follows `layer.9`). The file does not say how modules
 *   are wired; a chain in name order is what the names tell, and the view says so.
 * Each node owns the weight tensors named under it (`<layer>/…`), so its parameter count and its sparsity
 * come from the file. Bounded: a graph never has more than MAX_GRAPH_NODES nodes. Name groups are first
 * merged by shorter prefixes (`encoder.layer.3`), and anything still bigger — a topology of 10,000 layers —
 * becomes runs of consecutive layers in topological order, with a note. Everything is linear in the input
 * plus a sort; nothing recurses on input size.
 */
import { elementCount } from './io/dtype';
import { isElsaError } from './errors';
import { shortName } from './io/limits';
import { readLayersTopology, type LayersModel } from './models/layersTopology';
import { MAX_GRAPH_EDGES, MAX_GRAPH_NODES } from '../protocol/webview';

export interface GraphTensor {
  name: string;
  shape: readonly number[];
}

export interface ModelGraphNode {
  name: string;
  className: string;
  params: number;
  tensors: string[];
  members: number;
}

export interface ModelGraph {
  source: 'topology' | 'names';
  nodes: ModelGraphNode[];
  /** [from, to] indices into `nodes`, no duplicates, no self-loops. */
  edges: [number, number][];
  layerCount: number;
  notes: string[];
}

export interface ModelGraphInput {
  /** The TF.js Layers topology (`modelTopology` of a model.json, or a checkpoint's `topology`). */
  topology?: unknown;
  /** The model's weight tensors (bookkeeping tensors such as `elsa.codes/…` left out by the caller). */
  tensors: readonly GraphTensor[];
}

export function buildModelGraph(input: ModelGraphInput, maxNodes = MAX_GRAPH_NODES): ModelGraph {
  const notes: string[] = [];
  if (input.topology !== undefined) {
    const read = layersOfTopology(input.topology);
    if (typeof read !== 'string') return finish('topology', read.layers, read.edges, input.tensors, notes, maxNodes);
    notes.push(`The model topology could not be read (${read}); the layers are grouped by tensor name instead.`);
  }
  const { layers, edges } = prefixGroups(input.tensors, maxNodes, notes);
  return finish('names', layers, edges, input.tensors, notes, maxNodes);
}

interface Layer {
  name: string;
  className: string;
  members: number;
}

/**
 * The layers and wiring of a Layers topology (read by src/core/models/layersTopology.ts), or a one-line
 * problem. Tolerant on top of the reader: shared layers and nested models are drawn (a nested model is one
 * node), an unnamed layer is `layer_<i>`; only an input from no layer of the model stops it.
 */
function layersOfTopology(topology: unknown): { layers: Layer[]; edges: [number, number][] } | string {
  let model: LayersModel;
  try {
    model = readLayersTopology(topology);
  } catch (e) {
    if (isElsaError(e)) return e.problem;
    throw e;
  }
  if (model.layers.length === 0) return 'no layers';
  const layers: Layer[] = [];
  const index = new Map<string, number>();
  for (const l of model.layers) {
    const name = l.name ?? `layer_${l.index}`;
    if (index.has(name)) return `two layers are named "${shortName(name)}"`;
    index.set(name, l.index);
    layers.push({ name, className: l.className, members: l.model ? Math.max(1, l.model.layers.length) : 1 });
  }
  const edges: [number, number][] = [];
  const seen = new Set<number>();
  const add = (from: number, to: number) => {
    const key = from * layers.length + to;
    if (from === to || seen.has(key)) return;
    seen.add(key);
    edges.push([from, to]);
  };
  if (model.className === 'Sequential') {
    for (let i = 1; i < layers.length; i++) add(i - 1, i);
    return { layers, edges };
  }
  for (const l of model.layers) {
    for (const call of l.calls) {
      for (const ref of call) {
        const from = index.get(ref.layer);
        if (from === undefined) return `layer "${shortName(layers[l.index].name)}" takes an input from ${shortName(JSON.stringify(ref.layer))}, which is not a layer of the model`;
        add(from, l.index);
      }
    }
  }
  return { layers, edges };
}

/** Where a tensor name's module ends: its last `.` or `/` (-1: the name has none). */
const lastSeparator = (name: string) => Math.max(name.lastIndexOf('.'), name.lastIndexOf('/'));

/** Segments of a name split at `.` and `/`, separators kept with the segment they end. */
function segments(name: string): string[] {
  return name.match(/[^./]+[./]?|[./]/g) ?? [name];
}

/** Natural order: digit runs compare as numbers (`layer.9` < `layer.10`). */
export function naturalCompare(a: string, b: string): number {
  const re = /(\d+)|(\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      const sx = x.replace(/^0+/, '');
      const sy = y.replace(/^0+/, '');
      if (sx.length !== sy.length) return sx.length - sy.length;
      if (sx !== sy) return sx < sy ? -1 : 1;
      continue;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/**
 * Tensors grouped by module (name up to the last separator); more modules than `maxNodes` are merged at the
 * deepest prefix depth that fits (`encoder.layer.3.attention.self.query` → `encoder.layer.3.`).
 */
function prefixGroups(tensors: readonly GraphTensor[], maxNodes: number, notes: string[]): { layers: Layer[]; edges: [number, number][] } {
  const modules = [...new Set(tensors.map((t) => moduleOf(t.name)))];
  let groups = modules;
  if (modules.length > maxNodes) {
    const split = modules.map(segments);
    const depth = Math.max(...split.map((s) => s.length));
    for (let d = depth - 1; d >= 1; d--) {
      groups = [...new Set(split.map((s) => s.slice(0, d).join('')))];
      if (groups.length <= maxNodes) {
        notes.push(`${modules.length} modules are more than the ${maxNodes} drawn: they are merged by the first ${d} part${d === 1 ? '' : 's'} of their names.`);
        break;
      }
    }
  }
  groups.sort(naturalCompare);
  const layers = groups.map((name) => ({ name, className: 'tensors', members: 1 }));
  const edges: [number, number][] = [];
  for (let i = 1; i < layers.length; i++) edges.push([i - 1, i]);
  if (layers.length > 1) notes.push('No model topology in this file: nodes are tensor-name prefixes, chained in name order (the file does not record the wiring).');
  return { layers, edges };
}

function moduleOf(name: string): string {
  const i = lastSeparator(name);
  return i > 0 ? name.slice(0, i) : name;
}

/** Gives every tensor to its node, collapses what is too big, counts parameters. */
function finish(source: ModelGraph['source'], layers: Layer[], edges: [number, number][], tensors: readonly GraphTensor[], notes: string[], maxNodes: number): ModelGraph {
  const owned = assignTensors(layers, tensors, source);
  const orphans = owned.pop()!;
  // A merged name group keeps its trailing separator for matching (`layer.3.` must not take `layer.30.…`).
  const shown = (name: string) => (source === 'names' && name.length > 1 ? name.replace(/[./]$/, '') : name);
  let nodes: ModelGraphNode[] = layers.map((l, i) => ({ name: shown(l.name), className: l.className, members: l.members, tensors: owned[i], params: 0 }));
  const layerCount = nodes.length;
  if (orphans.length > 0) {
    nodes.push({ name: '(not in the topology)', className: 'tensors', members: 1, tensors: orphans, params: 0 });
    notes.push(`${orphans.length} tensor${orphans.length === 1 ? '' : 's'} belong to no layer of the topology (e.g. "${shortName(orphans[0])}"): shown as one unconnected node.`);
  }
  if (nodes.length > maxNodes) ({ nodes, edges } = collapse(nodes, edges, maxNodes, notes, source));
  const shapes = new Map(tensors.map((t) => [t.name, t.shape]));
  for (const n of nodes) n.params = n.tensors.reduce((sum, t) => sum + (elementCount(shapes.get(t) ?? []) ?? 0), 0);
  if (edges.length > MAX_GRAPH_EDGES) {
    notes.push(`${edges.length} connections are more than the ${MAX_GRAPH_EDGES} drawn: the rest are left out.`);
    edges = edges.slice(0, MAX_GRAPH_EDGES);
  }
  return { source, nodes, edges, layerCount, notes };
}

/**
 * Per layer, the tensors named under it; the last list holds tensors of no layer. A topology's weights are
 * `<layer>/<weight>` (nested models `<model>/<layer>/<weight>`): the longest layer name that is a `/`-prefix
 * wins. A name group owns the tensors whose name starts with the group (its modules, merged or not).
 */
function assignTensors(layers: Layer[], tensors: readonly GraphTensor[], source: ModelGraph['source']): string[][] {
  const out: string[][] = layers.map(() => []);
  out.push([]);
  const byName = new Map(layers.map((l, i) => [l.name, i]));
  for (const t of tensors) {
    let owner: number | undefined;
    if (source === 'topology') {
      for (let i = t.name.lastIndexOf('/'); i > 0 && owner === undefined; i = t.name.lastIndexOf('/', i - 1)) owner = byName.get(t.name.slice(0, i));
    } else {
      const m = moduleOf(t.name);
      owner = byName.get(m);
      // Merged groups: the longest group name that starts the module.
      for (let i = m.length; owner === undefined && i > 0; i--) owner = byName.get(m.slice(0, i));
    }
    out[owner ?? layers.length].push(t.name);
  }
  return out;
}

/** Runs of consecutive nodes in topological order (file order breaks ties) become one node each. */
function collapse(nodes: ModelGraphNode[], edges: [number, number][], maxNodes: number, notes: string[], source: ModelGraph['source']): { nodes: ModelGraphNode[]; edges: [number, number][] } {
  const order = topologicalOrder(nodes.length, edges);
  const size = Math.ceil(nodes.length / maxNodes);
  const groupOf = new Int32Array(nodes.length);
  const out: ModelGraphNode[] = [];
  for (let start = 0; start < order.length; start += size) {
    const members = order.slice(start, start + size);
    for (const m of members) groupOf[m] = out.length;
    const first = nodes[members[0]];
    const last = nodes[members[members.length - 1]];
    out.push(members.length === 1 ? first : {
      name: `${first.name} … ${last.name}`,
      className: 'layers',
      members: members.reduce((s, m) => s + nodes[m].members, 0),
      tensors: members.flatMap((m) => nodes[m].tensors),
      params: 0,
    });
  }
  const seen = new Set<number>();
  const merged: [number, number][] = [];
  for (const [a, b] of edges) {
    const ga = groupOf[a];
    const gb = groupOf[b];
    const key = ga * out.length + gb;
    if (ga === gb || seen.has(key)) continue;
    seen.add(key);
    merged.push([ga, gb]);
  }
  const what = source === 'topology' ? 'layers' : 'name groups';
  notes.push(`${nodes.length} ${what} are more than the ${maxNodes} drawn: each node stands for up to ${size} consecutive ${what} (in graph order).`);
  return { nodes: out, edges: merged };
}

/** Kahn's order with the lowest index first; nodes on a cycle (a broken file) follow in index order. */
function topologicalOrder(n: number, edges: [number, number][]): number[] {
  const indegree = new Int32Array(n);
  const next: number[][] = Array.from({ length: n }, () => []);
  for (const [a, b] of edges) {
    indegree[b]++;
    next[a].push(b);
  }
  // A binary heap keeps file order among ready nodes without an O(n²) scan.
  const heap: number[] = [];
  const push = (v: number) => {
    heap.push(v);
    for (let i = heap.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (heap[p] <= heap[i]) break;
      [heap[p], heap[i]] = [heap[i], heap[p]];
      i = p;
    }
  };
  const pop = () => {
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l] < heap[m]) m = l;
        if (r < heap.length && heap[r] < heap[m]) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i], heap[m]];
        i = m;
      }
    }
    return top;
  };
  for (let i = 0; i < n; i++) if (indegree[i] === 0) push(i);
  const order: number[] = [];
  const placed = new Uint8Array(n);
  while (heap.length > 0) {
    const v = pop();
    order.push(v);
    placed[v] = 1;
    for (const w of next[v]) if (--indegree[w] === 0) push(w);
  }
  for (let i = 0; i < n; i++) if (!placed[i]) order.push(i);
  return order;
}
