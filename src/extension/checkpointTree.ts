/**
 * The Checkpoints view: finds runs, checkpoints and TF.js models with `workspace.findFiles`, keeps the list
 * current with a FileSystemWatcher, reads each header lazily (a few KB, never the tensors) and renders the
 * nodes built by treeModel.ts. A file that cannot be read shows as an error row with its one-line message.
 */
import * as vscode from 'vscode';
import { errorLine } from '../core/errors';
import { openStore } from './fileAccess';
import { artifactRows, artifactsUnder, type FileStamp, HeaderCache, rowKey, rowNeedsRefresh, sameFileList } from './headerCache';
import { log } from './log';
import {
  type ArtifactInfo, type FoundFile, type TreeNode, artifactChildren, artifactType, buildRoots, decorateArtifact,
} from './treeModel';
import { ARTIFACT_GLOB } from '../protocol/runFolder';

export const CHECKPOINT_VIEW_ID = 'elsa.checkpoints';
export const DEFAULT_CHECKPOINT_GLOB = ARTIFACT_GLOB;
const EXCLUDE_GLOB = '{**/node_modules/**,**/.git/**}';
const MAX_FILES = 5000;
const PARALLEL_READS = 4;

export class CheckpointTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | TreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private files: FoundFile[] = [];
  private roots: TreeNode[] | undefined;
  /** The artifact rows of `roots` by URI: the very objects handed to VS Code, so `fire(row)` finds them. */
  private rows = new Map<string, TreeNode>();
  /** Headers by URI with the mtime/size they were read under; a stale one is shown until re-read. */
  private readonly infos = new HeaderCache<ArtifactInfo>();
  /** What each artifact row last showed (rowKey), so a re-read that changes nothing fires nothing. */
  private readonly shown = new Map<string, string>();
  private readonly loading = new Map<string, Promise<ArtifactInfo>>();
  /** Files that changed again while being read: checked once more when that read ends. */
  private readonly recheck = new Set<string>();
  /** model.json files that turned out not to be TF.js models: not shown. */
  private readonly notModels = new Set<string>();
  private watcher: vscode.FileSystemWatcher | undefined;
  private rescanTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly pendingRows = new Set<TreeNode>();
  private readonly checkTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private scanning: Promise<void> | undefined;
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor() {
    this.disposables.push(this.changed);
    this.disposables.push(vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('elsa.checkpointGlob')) {
        this.createWatcher();
        this.scheduleRescan(0);
      }
    }));
    this.disposables.push(vscode.workspace.onDidChangeWorkspaceFolders(() => this.scheduleRescan(0)));
    this.createWatcher();
  }

  dispose(): void {
    this.watcher?.dispose();
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    for (const t of this.checkTimers.values()) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
  }

  private glob(): string {
    return vscode.workspace.getConfiguration('elsa').get<string>('checkpointGlob') || DEFAULT_CHECKPOINT_GLOB;
  }

  private createWatcher(): void {
    this.watcher?.dispose();
    const w = vscode.workspace.createFileSystemWatcher(this.glob());
    w.onDidCreate((uri) => {
      this.scheduleRescan(300);
      // An atomic rewrite (temp file renamed over the checkpoint) can arrive as a create of a known file.
      if (artifactType(uri.path) !== 'runMarker' && artifactType(uri.path) !== 'studyMarker') this.scheduleCheck(uri.toString(), 150);
    });
    w.onDidDelete((uri) => {
      this.forget(uri.toString());
      this.scheduleRescan(300);
    });
    w.onDidChange((uri) => {
      // events.jsonl grows every step: re-check (stat only) the run's checkpoints now and then, in case their
      // own change event was missed; rows are re-read and refreshed only when a file's mtime or size moved.
      if (artifactType(uri.path) === 'runMarker') {
        const folder = uri.toString().slice(0, uri.toString().lastIndexOf('/'));
        for (const f of artifactsUnder(this.rows, folder)) this.scheduleCheck(f, 1000);
        return;
      }
      // study.json is rewritten after every cell; the tree shows its folder, not its content.
      if (artifactType(uri.path) === 'studyMarker') return;
      this.scheduleCheck(uri.toString(), 150);
    });
    this.watcher = w;
  }

  /** A deleted file: nothing of it is kept. */
  private forget(uri: string): void {
    this.infos.delete(uri);
    this.loading.delete(uri);
    this.shown.delete(uri);
    this.notModels.delete(uri);
  }

  private scheduleRescan(delayMs: number): void {
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
    this.rescanTimer = setTimeout(() => {
      this.rescanTimer = undefined;
      void this.rescan();
    }, delayMs);
  }

  /** Coalesced per file: a burst of watcher events (or every epoch's events.jsonl append) is one stat. */
  private scheduleCheck(uri: string, delayMs: number): void {
    if (this.checkTimers.has(uri)) return;
    this.checkTimers.set(uri, setTimeout(() => {
      this.checkTimers.delete(uri);
      void this.check(uri);
    }, delayMs));
  }

  /** Re-read a header if the file's mtime/size moved since it was read; refresh its row if the row changed. */
  private async check(uri: string): Promise<void> {
    if (!this.infos.get(uri) && !this.loading.has(uri)) return; // never shown yet: read when it is
    if (this.loading.has(uri)) {
      this.recheck.add(uri);
      return;
    }
    const stamp = await statStamp(uri);
    if (this.infos.isFresh(uri, stamp)) return;
    await this.readHeader(uri);
  }

  /** Find files again (command Refresh, watcher events, settings changes); the tree is rebuilt only if the list changed. */
  async rescan(): Promise<void> {
    const scan = (async () => {
      let files: FoundFile[];
      try {
        const uris = await vscode.workspace.findFiles(this.glob(), EXCLUDE_GLOB, MAX_FILES);
        // With several workspace folders the relative path starts with the folder's name, so runs never merge.
        files = uris.map((uri) => ({ uri: uri.toString(), path: vscode.workspace.asRelativePath(uri).replace(/\\/g, '/') }));
      } catch (e) {
        log().error(`Checkpoint search failed: ${errorLine(e)}`);
        files = [];
      }
      files.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
      if (this.roots && sameFileList(files, this.files)) return;
      this.files = files;
      this.rebuild();
      void vscode.commands.executeCommand('setContext', 'elsa.hasArtifacts', this.files.some((f) => artifactType(f.path) !== 'other'));
    })();
    this.scanning = scan;
    await scan;
  }

  /** New root rows: the only full refresh (files appeared or went, or a model.json turned out not to be one). */
  private rebuild(): void {
    this.roots = buildRoots(this.files.filter((f) => !this.notModels.has(f.uri)));
    this.rows = artifactRows(this.roots);
    this.pendingRows.clear();
    this.changed.fire(undefined);
  }

  /** Command Refresh, end of a task, trust granted: look for files again and re-check every header shown. */
  refresh(): void {
    this.infos.expireAll();
    for (const uri of this.infos.keys()) this.scheduleCheck(uri, 0);
    void this.rescan();
  }

  /**
   * Re-render the rows whose header changed, coalesced and only those rows: a full refresh drops every row's
   * identity in the extension host, and a context-menu command issued meanwhile would lose its row.
   */
  private refreshRow(row: TreeNode): void {
    this.pendingRows.add(row);
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      const rows = [...this.pendingRows];
      this.pendingRows.clear();
      if (rows.length > 0) this.changed.fire(rows);
    }, 150);
  }

  /** Every checkpoint and model found (for pickers), ELSA checkpoints first. */
  async artifacts(): Promise<FoundFile[]> {
    if (!this.scanning) await this.rescan();
    else await this.scanning;
    const rank = (f: FoundFile) => (artifactType(f.path) === 'elsa' ? 0 : artifactType(f.path) === 'safetensors' ? 1 : 2);
    return this.files
      .filter((f) => ['elsa', 'safetensors', 'tfjs'].includes(artifactType(f.path)) && !this.notModels.has(f.uri))
      .sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
  }

  /** Run folders (with events.jsonl) found. */
  async runFolders(): Promise<FoundFile[]> {
    await this.artifacts();
    return this.files.filter((f) => artifactType(f.path) === 'runMarker');
  }

  infoOf(uri: string): ArtifactInfo | undefined {
    return this.infos.get(uri);
  }

  getTreeItem(element: TreeNode): vscode.TreeItem {
    const node = this.decorate(element);
    const collapsible = node.collapsible === 'none' ? vscode.TreeItemCollapsibleState.None
      : node.collapsible === 'expanded' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(node.label, collapsible);
    item.id = node.id;
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.contextValue = node.contextValue;
    // Screen readers (and UI tests) name the row by its label and description, not by the multi-line tooltip.
    item.accessibilityInformation = { label: node.description ? `${node.label}, ${node.description}` : node.label };
    item.iconPath = node.isError ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')) : new vscode.ThemeIcon(node.icon);
    if ((node.kind === 'checkpoint' || node.kind === 'model') && node.uri) {
      item.resourceUri = vscode.Uri.parse(node.uri);
      // A click opens the checkpoint like a file: its charts in the custom editor (models: the dashboard panel).
      if (!node.isError) {
        item.command = node.kind === 'checkpoint'
          ? { command: 'elsa.openWithDashboardEditor', title: 'Open', arguments: [item.resourceUri] }
          : { command: 'elsa.openDashboard', title: 'Open Dashboard', arguments: [item.resourceUri] };
      }
    }
    // A study row opens the study's charts (its cells stay one click away, expanded with the arrow).
    if (node.kind === 'study' && node.uri) item.command = { command: 'elsa.openDashboard', title: 'Open Dashboard', arguments: [vscode.Uri.parse(node.uri)] };
    return item;
  }

  /** Rows are the undecorated nodes of `roots` (stable objects); getTreeItem adds what the header says. */
  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) {
      if (!this.scanning) await this.rescan();
      else await this.scanning;
      return this.visible(this.roots ?? []);
    }
    if (node.kind === 'checkpoint' || node.kind === 'model') {
      const info = await this.load(node.uri!);
      return artifactChildren(node, info);
    }
    return this.visible(node.children ?? []);
  }

  private visible(nodes: readonly TreeNode[]): TreeNode[] {
    return nodes.filter((n) => !(n.kind === 'model' && this.notModels.has(n.uri!)));
  }

  /** Artifacts get their header-derived description; unread ones start reading. */
  private decorate(node: TreeNode): TreeNode {
    if (node.kind !== 'checkpoint' && node.kind !== 'model') return node;
    const uri = node.uri!;
    const info = this.infos.get(uri);
    if (!info && !this.loading.has(uri)) void this.load(uri);
    const row = decorateArtifact(node, info ?? { state: 'loading' });
    this.shown.set(uri, rowKey(row));
    return row;
  }

  /** The header as known (possibly stale: `check` re-reads those), else read now. */
  private load(uri: string): Promise<ArtifactInfo> {
    const known = this.infos.get(uri);
    return this.loading.get(uri) ?? (known ? Promise.resolve(known) : this.readHeader(uri));
  }

  private readHeader(uri: string): Promise<ArtifactInfo> {
    const p: Promise<ArtifactInfo> = this.limited(async () => {
      // Stamp first: a file rewritten during the read then looks stale next time, never fresh.
      const stamp = await statStamp(uri);
      return { stamp, info: await readArtifactInfo(vscode.Uri.parse(uri)) };
    }).then(({ stamp, info }) => {
      if (this.loading.get(uri) !== p) return info; // deleted meanwhile
      this.loading.delete(uri);
      const before = this.infos.get(uri);
      this.infos.set(uri, stamp, info);
      if (info.state === 'error' && artifactType(vscode.Uri.parse(uri).path) === 'tfjs' && /no weightsManifest|not valid JSON/.test(info.message)) {
        if (!this.notModels.has(uri)) {
          this.notModels.add(uri);
          this.rebuild();
        }
        return info;
      }
      if (this.notModels.delete(uri)) {
        this.rebuild(); // a model.json that was not a TF.js model now is one
        return info;
      }
      if (info.state === 'error') log().warn(info.message);
      const row = this.rows.get(uri);
      if (row && rowNeedsRefresh(this.shown.get(uri), row, before, info)) this.refreshRow(row);
      if (this.recheck.delete(uri)) this.scheduleCheck(uri, 150);
      return info;
    });
    this.loading.set(uri, p);
    return p;
  }

  /** At most PARALLEL_READS header reads at a time, so opening a big workspace does not flood the disk. */
  private limited<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const run = () => {
        this.active++;
        fn().then(resolve, reject).finally(() => {
          this.active--;
          this.queue.shift()?.();
        });
      };
      if (this.active < PARALLEL_READS) run();
      else this.queue.push(run);
    });
  }
}

/** mtime and size, or undefined when the file cannot be stat'ed (then every check reads it again). */
async function statStamp(uri: string): Promise<FileStamp | undefined> {
  try {
    const st = await vscode.workspace.fs.stat(vscode.Uri.parse(uri));
    return { mtime: st.mtime, size: st.size };
  } catch {
    return undefined;
  }
}

/** Header (or model.json) only; every failure becomes an error row, never an exception. */
export async function readArtifactInfo(uri: vscode.Uri): Promise<ArtifactInfo> {
  try {
    const store = await openStore(uri);
    try {
      return {
        state: 'ok', format: store.format, fileSize: store.fileSize, meta: store.meta, layers: store.layers, tensorCount: store.tensorCount,
      };
    } finally {
      await store.close();
    }
  } catch (e) {
    return { state: 'error', message: errorLine(e) };
  }
}
