/**
 * The Checkpoints view: finds runs, checkpoints and TF.js models with `workspace.findFiles`, keeps the list
 * current with a FileSystemWatcher, reads each header lazily (a few KB, never the tensors) and renders the
 * nodes built by treeModel.ts. A file that cannot be read shows as an error row with its one-line message.
 */
import * as vscode from 'vscode';
import { errorLine } from '../core/errors';
import { openStore } from './fileAccess';
import { log } from './log';
import {
  type ArtifactInfo, type FoundFile, type TreeNode, artifactChildren, artifactType, buildRoots, decorateArtifact,
} from './treeModel';

export const CHECKPOINT_VIEW_ID = 'elsa.checkpoints';
export const DEFAULT_CHECKPOINT_GLOB = '**/{*.safetensors,events.jsonl,model.json,*.model.json}';
const EXCLUDE_GLOB = '{**/node_modules/**,**/.git/**}';
const MAX_FILES = 5000;
const PARALLEL_READS = 4;

export class CheckpointTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private files: FoundFile[] = [];
  private roots: TreeNode[] | undefined;
  private readonly infos = new Map<string, ArtifactInfo>();
  /** What rows showed before a refresh: shown until the header is read again, so rows do not flicker. */
  private readonly stale = new Map<string, ArtifactInfo>();
  private readonly loading = new Map<string, Promise<ArtifactInfo>>();
  /** model.json files that turned out not to be TF.js models: not shown. */
  private readonly notModels = new Set<string>();
  private watcher: vscode.FileSystemWatcher | undefined;
  private rescanTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
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
    for (const d of this.disposables) d.dispose();
  }

  private glob(): string {
    return vscode.workspace.getConfiguration('elsa').get<string>('checkpointGlob') || DEFAULT_CHECKPOINT_GLOB;
  }

  private createWatcher(): void {
    this.watcher?.dispose();
    const w = vscode.workspace.createFileSystemWatcher(this.glob());
    w.onDidCreate(() => this.scheduleRescan(300));
    w.onDidDelete((uri) => {
      this.forget(uri);
      this.scheduleRescan(300);
    });
    w.onDidChange((uri) => {
      // A checkpoint rewritten (training snapshots, re-export): read its header again.
      if (artifactType(uri.path) === 'runMarker') return;
      this.forget(uri, true);
      this.refreshRows();
    });
    this.watcher = w;
  }

  /** Drop what is known of a file; a changed file keeps showing its old row until it is read again. */
  private forget(uri: vscode.Uri, keepShown = false): void {
    const key = uri.toString();
    const info = this.infos.get(key);
    if (keepShown && info) this.stale.set(key, info);
    else this.stale.delete(key);
    this.infos.delete(key);
    this.loading.delete(key);
    this.notModels.delete(key);
  }

  private scheduleRescan(delayMs: number): void {
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
    this.rescanTimer = setTimeout(() => {
      this.rescanTimer = undefined;
      void this.rescan();
    }, delayMs);
  }

  /** Find files again (command Refresh, watcher events, settings changes). */
  async rescan(): Promise<void> {
    const scan = (async () => {
      try {
        const uris = await vscode.workspace.findFiles(this.glob(), EXCLUDE_GLOB, MAX_FILES);
        // With several workspace folders the relative path starts with the folder's name, so runs never merge.
        this.files = uris.map((uri) => ({ uri: uri.toString(), path: vscode.workspace.asRelativePath(uri).replace(/\\/g, '/') }));
      } catch (e) {
        log().error(`Checkpoint search failed: ${errorLine(e)}`);
        this.files = [];
      }
      this.roots = undefined;
      this.changed.fire(undefined);
      void vscode.commands.executeCommand('setContext', 'elsa.hasArtifacts', this.files.some((f) => artifactType(f.path) !== 'other'));
    })();
    this.scanning = scan;
    await scan;
  }

  refresh(): void {
    for (const [uri, info] of this.infos) this.stale.set(uri, info);
    this.infos.clear();
    this.loading.clear();
    this.notModels.clear();
    void this.rescan();
  }

  /**
   * Re-render after headers arrive, coalesced: every refresh replaces the rows (and their click commands), so
   * a burst of header reads must not re-render the tree under the user's pointer again and again.
   */
  private refreshRows(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.roots = undefined;
      this.changed.fire(undefined);
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

  getTreeItem(node: TreeNode): vscode.TreeItem {
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
    return item;
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) {
      if (!this.scanning) await this.rescan();
      else await this.scanning;
      this.roots ??= buildRoots(this.files.filter((f) => !this.notModels.has(f.uri)));
      return this.roots.map((n) => this.decorate(n)).filter((n): n is TreeNode => n !== undefined);
    }
    if (node.kind === 'checkpoint' || node.kind === 'model') {
      const info = await this.load(node.uri!);
      return artifactChildren(node, info);
    }
    return (node.children ?? []).map((n) => this.decorate(n)).filter((n): n is TreeNode => n !== undefined);
  }

  /** Artifacts get their header-derived description; unread ones start reading. */
  private decorate(node: TreeNode): TreeNode | undefined {
    if (node.kind !== 'checkpoint' && node.kind !== 'model') return node;
    if (this.notModels.has(node.uri!)) return undefined;
    const info = this.infos.get(node.uri!);
    if (!info) {
      void this.load(node.uri!).then(() => this.refreshRows());
      return decorateArtifact(node, this.stale.get(node.uri!) ?? { state: 'loading' });
    }
    return decorateArtifact(node, info);
  }

  private load(uri: string): Promise<ArtifactInfo> {
    const known = this.infos.get(uri);
    if (known) return Promise.resolve(known);
    let p = this.loading.get(uri);
    if (!p) {
      p = this.limited(() => readArtifactInfo(vscode.Uri.parse(uri))).then((info) => {
        if (info.state === 'error' && artifactType(vscode.Uri.parse(uri).path) === 'tfjs' && /no weightsManifest|not valid JSON/.test(info.message)) {
          this.notModels.add(uri);
        }
        if (info.state === 'error') log().warn(info.message);
        if (this.loading.get(uri) === p) {
          this.infos.set(uri, info);
          this.stale.delete(uri);
          this.loading.delete(uri);
        }
        return info;
      });
      this.loading.set(uri, p);
    }
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
