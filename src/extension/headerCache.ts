/**
 * What the Checkpoints tree remembers between refreshes, as plain data (no `vscode` import, unit-tested):
 * headers keyed by file URI *and* the file's mtime/size, so a checkpoint rewritten under the same path
 * (training → complete, atomic rename) is read again; and the tests that keep refreshes from firing when
 * nothing a row shows has changed.
 */
import { type ArtifactInfo, type FoundFile, type TreeNode, artifactChildren, decorateArtifact } from './treeModel';

/** What `stat` says about a file; a header read under one stamp is stale under another. */
export interface FileStamp {
  mtime: number;
  size: number;
}

export function sameStamp(a: FileStamp | undefined, b: FileStamp | undefined): boolean {
  return a !== undefined && b !== undefined && a.mtime === b.mtime && a.size === b.size;
}

/**
 * Last value read per URI with the stamp it was read under. A stale value is still returned by `get` (the row
 * keeps showing it until the new read is in, so rows do not flicker); `isFresh` tells whether to read again.
 */
export class HeaderCache<T> {
  private readonly entries = new Map<string, { stamp: FileStamp | undefined; value: T }>();

  get(uri: string): T | undefined {
    return this.entries.get(uri)?.value;
  }

  /** True only when a value was read under exactly this mtime and size. */
  isFresh(uri: string, stamp: FileStamp | undefined): boolean {
    return sameStamp(this.entries.get(uri)?.stamp, stamp);
  }

  /** `stamp` is the one taken before reading: a file changing during the read then looks stale, never fresh. */
  set(uri: string, stamp: FileStamp | undefined, value: T): void {
    this.entries.set(uri, { stamp, value });
  }

  /** Keep the value for display but make the next freshness check fail (explicit Refresh). */
  expire(uri: string): void {
    const e = this.entries.get(uri);
    if (e) e.stamp = undefined;
  }

  expireAll(): void {
    for (const uri of this.entries.keys()) this.expire(uri);
  }

  delete(uri: string): void {
    this.entries.delete(uri);
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }
}

/** Same files in the same order: the roots need no rebuild (and the tree no full refresh). */
export function sameFileList(a: readonly FoundFile[], b: readonly FoundFile[]): boolean {
  return a.length === b.length && a.every((f, i) => f.uri === b[i].uri && f.path === b[i].path);
}

/** Everything a row shows or acts on; equal keys mean re-rendering the row would change nothing. */
export function rowKey(node: TreeNode): string {
  return JSON.stringify([node.id, node.label, node.description, node.tooltip, node.contextValue, node.icon, node.isError ?? false, node.collapsible]);
}

/** Artifact rows (checkpoints and models) by file URI, so one row can be refreshed alone. */
export function artifactRows(roots: readonly TreeNode[]): Map<string, TreeNode> {
  const out = new Map<string, TreeNode>();
  const walk = (nodes: readonly TreeNode[]) => {
    for (const n of nodes) {
      if ((n.kind === 'checkpoint' || n.kind === 'model') && n.uri) out.set(n.uri, n);
      if (n.children) walk(n.children);
    }
  };
  walk(roots);
  return out;
}

/** The artifacts inside a run folder (events.jsonl's folder URI), to re-check when its events grow. */
export function artifactsUnder(rows: ReadonlyMap<string, TreeNode>, folderUri: string): string[] {
  const prefix = folderUri.endsWith('/') ? folderUri : `${folderUri}/`;
  return [...rows.keys()].filter((uri) => uri.startsWith(prefix));
}

/** The rows an artifact's header puts on screen (its row, its levels and layers), as one comparable key. */
export function subtreeKey(row: TreeNode, info: ArtifactInfo): string {
  const keys = (nodes: readonly TreeNode[]): string[] => nodes.flatMap((n) => [rowKey(n), ...keys(n.children ?? [])]);
  return JSON.stringify([rowKey(decorateArtifact(row, info)), ...keys(artifactChildren(row, info))]);
}

/**
 * Whether a re-read header must re-render its row: only a row VS Code has rendered (`shown` is the rowKey it
 * got), and only when something it or its children show changes (a training snapshot's new step count does not).
 */
export function rowNeedsRefresh(shown: string | undefined, row: TreeNode, before: ArtifactInfo | undefined, after: ArtifactInfo): boolean {
  if (shown === undefined) return false;
  if (shown !== rowKey(decorateArtifact(row, after))) return true;
  return before === undefined || subtreeKey(row, before) !== subtreeKey(row, after);
}
