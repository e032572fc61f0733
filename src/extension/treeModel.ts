/**
 * The Checkpoints tree as plain data (no `vscode` import, so it is unit-tested without an editor): which
 * files are runs, checkpoints and exported models, how they nest, and the label of every row. The
 * TreeDataProvider only turns these nodes into TreeItems.
 */
import type { DType, ElsaMetadata, LevelInfo } from '../protocol/checkpoint';
import { BASELINES_DIR, EVENTS_FILE, isCheckpointFile, isEventsFile, isSafetensorsFile, isShardIndexFile, isStudyFile, isTfjsModelFile, STUDY_FILE } from '../protocol/runFolder';
import { formatBytes, formatPercent } from '../protocol/format';
import { levelCountOf, levelRowLabel, phaseProgressLabel } from '../protocol/levels';

/** A file the workspace search found; `path` is workspace-relative with `/` separators. */
export interface FoundFile {
  uri: string;
  path: string;
}

export interface LayerInfo {
  name: string;
  shape: number[];
  dtype: DType | string;
}

/** What the header (or a model.json) says about one artifact. Loaded lazily, header only. */
export type ArtifactInfo =
  | { state: 'loading' }
  | { state: 'error'; message: string }
  | { state: 'ok'; format: 'safetensors' | 'tfjs'; fileSize: number; meta?: ElsaMetadata; layers: LayerInfo[]; tensorCount: number };

export type NodeKind = 'study' | 'run' | 'checkpoint' | 'model' | 'group' | 'level' | 'layer' | 'message';

export interface TreeNode {
  /** Stable and unique in the tree, so expansion state survives refreshes. */
  id: string;
  kind: NodeKind;
  label: string;
  description?: string;
  tooltip?: string;
  /** Drives the `view/item/context` menus: elsa.run, elsa.checkpoint.elsa, elsa.checkpoint.safetensors, … */
  contextValue: string;
  /** A codicon id. */
  icon: string;
  /** Shown in red-ish theme colour by the provider. */
  isError?: boolean;
  collapsible: 'none' | 'collapsed' | 'expanded';
  /** The file or folder this row stands for (levels and layers: their checkpoint). */
  uri?: string;
  /** Workspace-relative path of that file (artifacts and runs). */
  path?: string;
  level?: number;
  layer?: string;
  /** Children known without reading anything more (runs and groups); artifacts are expanded via `artifactChildren`. */
  children?: TreeNode[];
}


export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

export function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export type ArtifactType = 'elsa' | 'safetensors' | 'tfjs' | 'runMarker' | 'studyMarker' | 'other';

export function artifactType(path: string): ArtifactType {
  if (isCheckpointFile(path)) return 'elsa';
  if (isSafetensorsFile(path) || isShardIndexFile(path)) return 'safetensors';
  if (isEventsFile(path)) return 'runMarker';
  if (isStudyFile(path)) return 'studyMarker';
  if (isTfjsModelFile(path)) return 'tfjs';
  return 'other';
}

export const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

function levelDescription(level: LevelInfo, levelCount: number): string {
  if (level.dense || level.index === levelCount) return 'dense';
  return `target ${formatPercent(level.targetSparsity, 1)}`;
}

const SHARD_NAME = /-\d{5}-of-\d{5}\.safetensors$/i;

/** Top rows: runs (folders with events.jsonl) holding what lies under them; other artifacts stand alone. */
export function buildRoots(files: readonly FoundFile[]): TreeNode[] {
  const markers = files.filter((f) => artifactType(f.path) === 'runMarker').map((f) => ({ dir: dirName(f.path), uri: dirUri(f.uri) }));
  // A run inside another run (baselines/ has its own events.jsonl) belongs to the outer one.
  const inside = (dir: string, outer: string) => outer === '' ? dir !== '' : dir.startsWith(`${outer}/`);
  const runDirs = markers.filter((m) => !markers.some((o) => inside(m.dir, o.dir)));
  // Deepest run folder first, so a file belongs to its nearest run.
  runDirs.sort((a, b) => b.dir.length - a.dir.length);
  const runChildren = new Map<string, TreeNode[]>(runDirs.map((r) => [r.dir, []]));
  const loose: TreeNode[] = [];
  // A sharded model is one row, its index: the shards beside it (Hugging Face names them
  // `<name>-00001-of-00004.safetensors`) are its parts, not models of their own.
  const indexDirs = new Set(files.filter((f) => f.path.toLowerCase().endsWith('.safetensors.index.json')).map((f) => dirName(f.path)));
  for (const f of files) {
    const t = artifactType(f.path);
    if (t !== 'elsa' && t !== 'safetensors' && t !== 'tfjs') continue;
    if (t === 'safetensors' && indexDirs.has(dirName(f.path)) && SHARD_NAME.test(baseName(f.path))) continue;
    const node = artifactNode(f, t);
    const run = runDirs.find((r) => r.dir === '' || f.path.startsWith(`${r.dir}/`));
    if (run) runChildren.get(run.dir)!.push(node);
    else loose.push(node);
  }
  const runs: TreeNode[] = runDirs.map((r) => {
    const children = groupRunChildren(r.dir, runChildren.get(r.dir)!);
    return {
      id: `run:${r.uri}`,
      kind: 'run',
      label: r.dir === '' ? '(workspace root)' : baseName(r.dir),
      description: dirName(r.dir) || undefined,
      tooltip: `Run folder ${r.dir || '.'} (has ${EVENTS_FILE})`,
      contextValue: 'elsa.run',
      icon: 'beaker',
      collapsible: 'expanded',
      uri: r.uri,
      path: r.dir,
      children,
    };
  });
  runs.sort((a, b) => a.label.localeCompare(b.label));
  loose.sort(byArtifactOrder);
  return groupStudies(files, [...runs, ...loose]);
}

/** Study folders (study.json) on top, each holding the run folders (cells) and files inside it. */
function groupStudies(files: readonly FoundFile[], roots: TreeNode[]): TreeNode[] {
  const markers = files.filter((f) => artifactType(f.path) === 'studyMarker').map((f) => ({ dir: dirName(f.path), uri: dirUri(f.uri) }));
  const inside = (p: string | undefined, dir: string) => p !== undefined && (dir === '' ? p !== '' : p.startsWith(`${dir}/`));
  const studies = markers.filter((m) => !markers.some((o) => o !== m && inside(m.dir, o.dir)));
  if (!studies.length) return roots;
  const taken = new Set<TreeNode>();
  const nodes: TreeNode[] = studies.map((st) => {
    const children = roots.filter((n) => inside(n.path, st.dir));
    for (const c of children) taken.add(c);
    const cells = children.filter((c) => c.kind === 'run').length;
    return {
      id: `study:${st.uri}`,
      kind: 'study',
      label: st.dir === '' ? '(workspace root)' : baseName(st.dir),
      description: `study · ${cells} cell${cells === 1 ? '' : 's'}`,
      tooltip: `Study folder ${st.dir || '.'} (has ${STUDY_FILE}): accuracy vs sparsity over seeds`,
      contextValue: 'elsa.study',
      icon: 'graph-line',
      collapsible: 'collapsed',
      uri: st.uri,
      path: st.dir,
      children,
    };
  });
  nodes.sort((a, b) => a.label.localeCompare(b.label));
  return [...nodes, ...roots.filter((n) => !taken.has(n))];
}

function dirUri(fileUri: string): string {
  const i = fileUri.lastIndexOf('/');
  return i < 0 ? fileUri : fileUri.slice(0, i);
}

function byArtifactOrder(a: TreeNode, b: TreeNode): number {
  const rank = (n: TreeNode) => (n.contextValue.startsWith('elsa.checkpoint.elsa') ? 0 : n.kind === 'checkpoint' ? 1 : 2);
  return rank(a) - rank(b) || a.label.localeCompare(b.label);
}

/** Inside a run: its checkpoints first, then a group per subfolder (baselines/, exports/ …). */
function groupRunChildren(runDir: string, nodes: TreeNode[]): TreeNode[] {
  const direct: TreeNode[] = [];
  const groups = new Map<string, TreeNode[]>();
  for (const n of nodes) {
    const rel = n.path!.slice(runDir === '' ? 0 : runDir.length + 1);
    const slash = rel.indexOf('/');
    if (slash < 0) direct.push(n);
    else {
      const g = rel.slice(0, slash);
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g)!.push(n);
    }
  }
  direct.sort(byArtifactOrder);
  const out = [...direct];
  for (const [g, members] of [...groups].sort((a, b) => a[0].localeCompare(b[0]))) {
    members.sort(byArtifactOrder);
    out.push({
      id: `group:${runDir}/${g}`,
      kind: 'group',
      label: g === BASELINES_DIR ? 'Baselines' : g,
      description: `${members.length}`,
      contextValue: 'elsa.group',
      icon: g === BASELINES_DIR ? 'layers' : 'folder',
      collapsible: 'collapsed',
      children: members,
    });
  }
  return out;
}

function artifactNode(f: FoundFile, t: 'elsa' | 'safetensors' | 'tfjs'): TreeNode {
  const isModel = t === 'tfjs';
  return {
    id: `file:${f.uri}`,
    kind: isModel ? 'model' : 'checkpoint',
    label: isModel ? `${baseName(dirName(f.path)) || '.'}/${baseName(f.path)}` : baseName(f.path),
    tooltip: f.path,
    path: f.path,
    contextValue: isModel ? 'elsa.model' : t === 'elsa' ? 'elsa.checkpoint.elsa' : 'elsa.checkpoint.safetensors',
    icon: isModel ? 'symbol-structure' : t === 'elsa' ? 'layers-active' : 'file-binary',
    collapsible: 'collapsed',
    uri: f.uri,
  };
}

/** The artifact row once its header is known: description, tooltip, context value, error state. */
export function decorateArtifact(node: TreeNode, info: ArtifactInfo): TreeNode {
  const path = node.path ?? node.label;
  if (info.state === 'loading') return { ...node, description: 'reading…' };
  if (info.state === 'error') {
    return {
      ...node, description: info.message, tooltip: `${path}\n${info.message}`, contextValue: `${node.contextValue}.error`,
      icon: 'error', isError: true, collapsible: 'none',
    };
  }
  const meta = info.meta;
  let description: string;
  let contextValue = node.contextValue;
  if (meta) {
    const K = meta.targets.length;
    const kind = meta.kind ?? 'elsa';
    if (meta.training?.status === 'training') description = `training · ${phaseProgressLabel(meta.training.phase, K, meta.targets[meta.training.phase - 1])}`;
    else if (kind === 'elsa') description = `${K} level${K === 1 ? '' : 's'} + dense`;
    else description = kind === 'dense' ? 'dense baseline' : `independent · ${formatPercent(meta.levels[0]?.sparsity ?? meta.targets[0])} sparse`;
    description += ` · ${formatBytes(info.fileSize)}`;
    if (!contextValue.startsWith('elsa.checkpoint.elsa')) contextValue = 'elsa.checkpoint.elsa';
  } else if (info.format === 'tfjs') {
    description = `TF.js · ${info.layers.length} weights · ${formatBytes(info.fileSize)}`;
  } else {
    description = `safetensors · ${info.tensorCount} tensors · ${formatBytes(info.fileSize)}`;
  }
  const tooltip = [path, description, meta?.provenance ? `written by ${meta.provenance.tool} ${meta.provenance.version} (${meta.provenance.backend})` : undefined]
    .filter(Boolean).join('\n');
  return { ...node, description, tooltip, contextValue, collapsible: 'collapsed' };
}

/** Children of an artifact row: its levels and a Layers group (ELSA), else its layers. */
export function artifactChildren(node: TreeNode, info: ArtifactInfo): TreeNode[] {
  if (info.state === 'loading') return [messageNode(node, 'loading', 'Reading header…', 'loading~spin')];
  if (info.state === 'error') return [messageNode(node, 'error', info.message, 'error', true)];
  const uri = node.uri!;
  const meta = info.meta;
  if (!meta) return info.layers.map((l) => layerNode(uri, `layer:${uri}#${l.name}`, l, `${shapeText(l.shape)} · ${l.dtype}`));
  const levelCount = levelCountOf(meta.targets.length);
  const levels: TreeNode[] = meta.levels.map((lv) => ({
    id: `level:${uri}#${lv.index}`,
    kind: 'level',
    label: levelRowLabel(lv),
    description: levelDescription(lv, levelCount),
    tooltip: levelTooltip(lv),
    contextValue: lv.index === levelCount || lv.dense ? 'elsa.level.dense' : 'elsa.level',
    icon: lv.index === levelCount || lv.dense ? 'circle-filled' : 'circle-large-outline',
    collapsible: lv.layerSparsity ? 'collapsed' : 'none',
    uri,
    level: lv.index,
    children: lv.layerSparsity
      ? info.layers.filter((l) => l.name in meta.codes).map((l) =>
        layerNode(uri, `levellayer:${uri}#${lv.index}/${l.name}`, l, `${shapeText(l.shape)} · ${formatPercent(lv.layerSparsity?.[l.name])} sparse`, lv.index))
      : undefined,
  }));
  const pending = meta.targets.slice(meta.levels.length).map((t, i): TreeNode => ({
    id: `level:${uri}#${meta.levels.length + i + 1}`,
    kind: 'level',
    label: `Level ${meta.levels.length + i + 1} · pending`,
    description: `target ${formatPercent(t)}`,
    contextValue: 'elsa.level.pending',
    icon: 'clock',
    collapsible: 'none',
    uri,
  }));
  const sparse = info.layers.filter((l) => l.name in meta.codes);
  const layersGroup: TreeNode = {
    id: `layers:${uri}`,
    kind: 'group',
    label: `Layers (${sparse.length})`,
    description: 'sparsity per level',
    contextValue: 'elsa.group.layers',
    icon: 'list-tree',
    collapsible: 'collapsed',
    uri,
    children: sparse.map((l) => layerNode(uri, `layer:${uri}#${l.name}`, l, layerSparsityText(l, meta))),
  };
  return [...levels, ...pending, layersGroup];
}

/** "[784, 256] · 95.0 / 90.0 / 75.0 / 50.0 / 0.0 % sparse" from the levels' recorded per-layer sparsity. */
export function layerSparsityText(layer: LayerInfo, meta: ElsaMetadata): string {
  const values = meta.levels.map((lv) => lv.layerSparsity?.[layer.name]);
  if (values.length === 0 || values.some((v) => v === undefined)) return shapeText(layer.shape);
  return `${shapeText(layer.shape)} · ${values.map((v) => ((v as number) * 100).toFixed(1)).join(' / ')} % sparse`;
}

function levelTooltip(lv: LevelInfo): string {
  const lines = [`Level ${lv.index}: ${formatPercent(lv.sparsity, 2)} sparse (target ${formatPercent(lv.targetSparsity, 2)})`];
  for (const [k, v] of Object.entries(lv.metrics ?? {})) if (v !== undefined) lines.push(`${k}: ${k === 'accuracy' ? formatPercent(v, 2) : v.toFixed(4)}`);
  return lines.join('\n');
}

function layerNode(uri: string, id: string, l: LayerInfo, description: string, level?: number): TreeNode {
  return {
    id, kind: 'layer', label: l.name, description, tooltip: `${l.name}\n${shapeText(l.shape)} ${l.dtype}`,
    contextValue: 'elsa.layer', icon: 'symbol-array', collapsible: 'none', uri, layer: l.name, level,
  };
}

function messageNode(parent: TreeNode, what: string, text: string, icon: string, isError = false): TreeNode {
  return { id: `${what}:${parent.id}`, kind: 'message', label: text, contextValue: 'elsa.message', icon, collapsible: 'none', isError };
}
