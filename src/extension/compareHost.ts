/**
 * Compare, on the editor side: choosing the two sides (palette, the tree's context menus on checkpoints and on
 * level rows), the Compare panel that shows them (the dashboard bundle with page kind `compare`), and the
 * answer to a dashboard's `getCompare` (two levels of its own checkpoint). The numbers come from
 * src/core/compare.ts, the same code `elsa compare` runs; it only reads, so it needs no workspace trust.
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { compareStores } from '../core/compare';
import type { ElsaMetadata } from '../protocol/checkpoint';
import { errorLine } from '../core/errors';
import type { TensorStore } from '../core/tensorStore';
import type { CompareResult } from '../protocol/compare';
import { EnvelopeIds, parseWebviewMessage } from '../protocol/validate';
import { type DashboardTarget, type HostResponse, PROTOCOL_VERSION, type WebviewRequest } from '../protocol/webview';
import type { CheckpointTreeProvider } from './checkpointTree';
import { readArtifactInfo } from './checkpointTree';
import { dashboardHtml, makeNonce } from './dashboardHtml';
import { comparisonForTitle, COMPARE_SIDES_KEY, rememberComparison } from './compareRestore';
import { exists, openStore, uriBaseName } from './fileAccess';
import { log } from './log';
import { type TreeNode, baseName, dirName } from './treeModel';
import { formatPercent } from '../protocol/format';
import { DENSE_LABEL, levelRowLabel } from '../protocol/levels';

export const COMPARE_VIEW_TYPE = 'elsa.compare';

/** One network of a comparison: a file and, for ELSA-format files, a level (1..K+1). */
export interface CompareSideSpec {
  uri: vscode.Uri;
  level?: number;
}

/** Opens both sides (one store when they are the same file), compares, closes. */
export async function compareUris(a: CompareSideSpec, b: CompareSideSpec, bins: number, signal?: AbortSignal): Promise<CompareResult> {
  const stores: TensorStore[] = [];
  try {
    const storeA = await openStore(a.uri);
    stores.push(storeA);
    const storeB = a.uri.toString() === b.uri.toString() ? storeA : await openStore(b.uri);
    if (storeB !== storeA) stores.push(storeB);
    return await compareStores({ store: storeA, level: a.level }, { store: storeB, level: b.level }, { bins, signal });
  } finally {
    for (const s of stores) await s.close().catch(() => undefined);
  }
}

/** A dashboard's "Compare levels": two levels of the checkpoint it shows. */
export async function compareForDashboard(checkpoint: vscode.Uri, req: Extract<WebviewRequest, { kind: 'getCompare' }>, signal?: AbortSignal): Promise<HostResponse> {
  if (req.levelA === 0 || req.levelB === 0) return { kind: 'error', message: `${uriBaseName(checkpoint)}: name both levels to compare` };
  return { kind: 'compare', compare: await compareUris({ uri: checkpoint, level: req.levelA }, { uri: checkpoint, level: req.levelB }, req.bins, signal) };
}

// ---------- choosing the sides ----------

type MetaOf = (uri: vscode.Uri) => Promise<ElsaMetadata | undefined>;

const metaOf: MetaOf = async (uri) => {
  const info = await readArtifactInfo(uri);
  if (info.state === 'error') throw new Error(info.message.replace(/^\w+Error: /, ''));
  return info.state === 'ok' ? info.meta : undefined;
};

/** The level of one side: asked only when the file holds several; the level with `preferTarget` is offered first. */
async function pickSideLevel(uri: vscode.Uri, meta: ElsaMetadata | undefined, title: string, preferTarget?: number, exclude?: number): Promise<number | undefined | null> {
  if (!meta) return undefined;
  const levels = meta.levels.filter((l) => l.index !== exclude);
  if (levels.length === 1) return levels[0].index;
  const items = levels.map((lv) => ({
    label: levelRowLabel(lv),
    description: lv.dense ? DENSE_LABEL : `target ${formatPercent(lv.targetSparsity)}${preferTarget !== undefined && Math.abs(lv.targetSparsity - preferTarget) < 1e-9 ? ' · same target as A' : ''}`,
    level: lv.index,
    first: preferTarget !== undefined && Math.abs(lv.targetSparsity - preferTarget) < 1e-9,
  }));
  items.sort((x, y) => Number(y.first) - Number(x.first));
  const picked = await vscode.window.showQuickPick(items, { title: `${title} · ${uriBaseName(uri)}`, ignoreFocusOut: true });
  return picked ? picked.level : null;
}

async function pickFile(tree: CheckpointTreeProvider, title: string, preselect?: string): Promise<vscode.Uri | undefined> {
  const files = await tree.artifacts();
  if (files.length === 0) {
    void vscode.window.showInformationMessage('ELSA: no checkpoints or models in this workspace to compare.');
    return undefined;
  }
  const items = files.map((f) => ({ label: baseName(f.path), description: `${dirName(f.path)}${f.uri === preselect ? ' · this file (compare two of its levels)' : ''}`, uri: f.uri }));
  const picked = await vscode.window.showQuickPick(items, { title, matchOnDescription: true, ignoreFocusOut: true });
  return picked ? vscode.Uri.parse(picked.uri) : undefined;
}

/**
 * The palette's and the tree's Compare: two files (a two-row selection in the tree, else picked; the same
 * file twice compares two of its levels), then each side's level where the file holds several.
 */
export async function pickComparison(tree: CheckpointTreeProvider, first: vscode.Uri | undefined, selected: vscode.Uri[]): Promise<[CompareSideSpec, CompareSideSpec] | undefined> {
  let uriA = selected.length >= 2 ? selected[0] : first;
  let uriB = selected.length >= 2 ? selected[1] : undefined;
  if (selected.length > 2) void vscode.window.showInformationMessage(`ELSA: Compare takes two networks at a time: ${uriBaseName(uriA!)} and ${uriBaseName(uriB!)}.`);
  uriA ??= await pickFile(tree, 'ELSA: compare — first network (A)');
  if (!uriA) return undefined;
  uriB ??= await pickFile(tree, `ELSA: compare ${uriBaseName(uriA)} with… (B)`, uriA.toString());
  if (!uriB) return undefined;
  const metaA = await metaOf(uriA);
  const levelA = await pickSideLevel(uriA, metaA, 'ELSA: level of A');
  if (levelA === null) return undefined;
  const same = uriA.toString() === uriB.toString();
  const targetA = metaA?.levels.find((l) => l.index === levelA)?.targetSparsity;
  const levelB = await pickSideLevel(uriB, same ? metaA : await metaOf(uriB), 'ELSA: level of B', targetA, same ? levelA : undefined);
  if (levelB === null) return undefined;
  return [{ uri: uriA, level: levelA }, { uri: uriB, level: levelB }];
}

/** A level row's "Compare with…": another level of the same checkpoint, or a level of another file. */
export async function pickLevelComparison(tree: CheckpointTreeProvider, node: TreeNode): Promise<[CompareSideSpec, CompareSideSpec] | undefined> {
  if (!node.uri || !node.level) return undefined;
  const uri = vscode.Uri.parse(node.uri);
  const meta = await metaOf(uri);
  const other = { label: '$(files) Another checkpoint…', level: -1 };
  const items = [
    ...(meta?.levels ?? []).filter((l) => l.index !== node.level).map((lv) => ({ label: levelRowLabel(lv), description: lv.dense ? DENSE_LABEL : `target ${formatPercent(lv.targetSparsity)}`, level: lv.index })),
    other,
  ];
  const picked = await vscode.window.showQuickPick(items, { title: `ELSA: compare level ${node.level} of ${uriBaseName(uri)} with…`, ignoreFocusOut: true });
  if (!picked) return undefined;
  const a = { uri, level: node.level };
  if (picked.level !== -1) return [a, { uri, level: picked.level }];
  const uriB = await pickFile(tree, `ELSA: compare level ${node.level} of ${uriBaseName(uri)} with… (B)`);
  if (!uriB) return undefined;
  const targetA = meta?.levels.find((l) => l.index === node.level)?.targetSparsity;
  const levelB = await pickSideLevel(uriB, await metaOf(uriB), 'ELSA: level of B', targetA);
  return levelB === null ? undefined : [a, { uri: uriB, level: levelB }];
}

// ---------- the Compare panel ----------

const sideName = (s: CompareSideSpec) => `${uriBaseName(s.uri)}${s.level ? `@${s.level}` : ''}`;

/**
 * One panel per pair of sides (opening the same comparison again reveals it), restored after a window reload
 * from the sides remembered under its title (compareRestore.ts).
 */
export class ComparePanels implements vscode.Disposable {
  private readonly sessions = new Map<string, CompareSession>();

  constructor(private readonly context: vscode.ExtensionContext) {}

  show(a: CompareSideSpec, b: CompareSideSpec): void {
    const open = this.sessions.get(sessionKey(a, b));
    if (open) {
      open.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, `ELSA: ${sideName(a)} ↔ ${sideName(b)}`, vscode.ViewColumn.Active, compareWebviewOptions(this.context.extensionUri));
    const saved = this.context.workspaceState.get<unknown>(COMPARE_SIDES_KEY);
    const side = (s: CompareSideSpec) => (s.level === undefined ? { uri: s.uri.toString() } : { uri: s.uri.toString(), level: s.level });
    void this.context.workspaceState.update(COMPARE_SIDES_KEY, rememberComparison(saved, panel.title, { a: side(a), b: side(b) }));
    this.attach(panel, a, b);
  }

  /** The serializer: the panel's title names the comparison; a panel whose files are gone closes. */
  serializer(): vscode.WebviewPanelSerializer {
    return {
      deserializeWebviewPanel: async (panel) => {
        const sides = comparisonForTitle(this.context.workspaceState.get<unknown>(COMPARE_SIDES_KEY), panel.title);
        const a = sides && { uri: vscode.Uri.parse(sides.a.uri), level: sides.a.level };
        const b = sides && { uri: vscode.Uri.parse(sides.b.uri), level: sides.b.level };
        if (!a || !b || !(await exists(a.uri)) || !(await exists(b.uri)) || this.sessions.has(sessionKey(a, b))) {
          log().info(`Compare panel not restored: ${sides ? `${sides.a.uri} or ${sides.b.uri} is gone` : `nothing remembered for "${panel.title}"`}`);
          panel.dispose();
          return;
        }
        // Restored panels keep the options of the old version: reset them before setting the HTML.
        panel.webview.options = compareWebviewOptions(this.context.extensionUri);
        this.attach(panel, a, b);
      },
    };
  }

  private attach(panel: vscode.WebviewPanel, a: CompareSideSpec, b: CompareSideSpec): void {
    const key = sessionKey(a, b);
    const icon = (variant: string) => vscode.Uri.joinPath(this.context.extensionUri, 'media', 'icons', `elsa-${variant}.svg`);
    panel.iconPath = { light: icon('light'), dark: icon('dark') };
    const session = new CompareSession(panel, a, b, this.context.extensionUri);
    this.sessions.set(key, session);
    panel.onDidDispose(() => {
      if (this.sessions.get(key) === session) this.sessions.delete(key);
    });
  }

  dispose(): void {
    for (const s of this.sessions.values()) s.panel.dispose();
    this.sessions.clear();
  }
}

const sessionKey = (a: CompareSideSpec, b: CompareSideSpec) => `${a.uri.toString()}@${a.level ?? ''} ${b.uri.toString()}@${b.level ?? ''}`;

const compareWebviewOptions = (extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions => ({
  enableScripts: true,
  localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
});

/** The host end of one Compare panel: `ready` → `init`, then `getCompare` answers; reads stop when it closes. */
class CompareSession {
  private readonly ids = new EnvelopeIds();
  private readonly abort = new AbortController();

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly a: CompareSideSpec,
    private readonly b: CompareSideSpec,
    extensionUri: vscode.Uri,
  ) {
    const target: DashboardTarget = { uri: a.uri.toString(), label: `${sideName(a)} ↔ ${sideName(b)}`, kind: 'compare' };
    panel.webview.onDidReceiveMessage((raw) => void this.receive(raw, target));
    panel.onDidDispose(() => this.abort.abort());
    const asUri = (...p: string[]) => panel.webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...p)).toString();
    const styles = [asUri('media', 'dashboard.css')];
    if (existsSync(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.css').fsPath)) styles.push(asUri('dist', 'webview.css'));
    panel.webview.html = dashboardHtml({ cspSource: panel.webview.cspSource, scriptUri: asUri('dist', 'webview.js'), styleUris: styles, nonce: makeNonce(), target, host: 'panel' });
  }

  private async receive(raw: unknown, target: DashboardTarget): Promise<void> {
    const msg = parseWebviewMessage(raw);
    if (!msg) {
      log().warn(`Compare: dropped a malformed message from the webview: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    if (msg.type === 'notification') {
      const n = msg.body;
      if (n.kind === 'ready') {
        if (n.protocol !== PROTOCOL_VERSION) log().warn(`Compare: webview speaks protocol ${n.protocol}, host ${PROTOCOL_VERSION}`);
        void this.panel.webview.postMessage(this.ids.notification({ kind: 'init', target, workspaceTrusted: vscode.workspace.isTrusted }));
      } else if (n.kind === 'log') log()[n.level === 'warn' ? 'warn' : n.level](`Compare: ${n.message}`);
      return;
    }
    const req = msg.body;
    let body: HostResponse;
    if (req.kind !== 'getCompare') body = { kind: 'error', message: `the Compare panel does not answer ${req.kind}` };
    else {
      try {
        const a = { uri: this.a.uri, level: req.levelA || this.a.level };
        const b = { uri: this.b.uri, level: req.levelB || this.b.level };
        body = { kind: 'compare', compare: await compareUris(a, b, req.bins, this.abort.signal) };
      } catch (e) {
        body = { kind: 'error', message: errorLine(e) };
        log().warn(`Compare: ${body.message}`);
      }
    }
    if (!this.abort.signal.aborted) void this.panel.webview.postMessage(this.ids.response(msg.id, body));
  }
}
