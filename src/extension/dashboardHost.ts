/**
 * The host side of the dashboard webview — one implementation for the Open Dashboard panel and the custom
 * checkpoint editor. It sets the HTML, waits for the webview's `ready`, answers its requests (summary, heatmap,
 * histogram, events) from the checkpoint read lazily, and pushes `eventsAppended` / `summaryChanged` while the
 * run's files change. Nothing is posted while the webview is hidden: changes are remembered and delivered when
 * it is visible again.
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { errorLine } from '../core/errors';
import { heatmapFromStore, histogramFromStore, summarizeStore } from '../core/inspectStore';
import type { TensorStore } from '../core/tensorStore';
import { EnvelopeIds, parseWebviewMessage } from '../protocol/validate';
import {
  type DashboardTarget, type HostNotification, type HostResponse, PROTOCOL_VERSION, type WebviewNotification, type WebviewRequest,
} from '../protocol/webview';
import { requireTrust } from './commands';
import { dashboardHtml, makeNonce } from './dashboardHtml';
import { type Change, DeliveryGate } from './deliveryGate';
import { exists, findReport, isDirectory, openStore, readEventsSince, uriBaseName } from './fileAccess';
import { log } from './log';
import { isStudySummary } from '../protocol/study';
import { copyText, pickSampleImage, samplePredictionForDashboard } from './sampleHost';
import { sensitivityForDashboard } from './sensitivityHost';
import { graphForDashboard } from './graphHost';
import { PendingReveal } from './pendingReveal';
import { compareForDashboard } from './compareHost';
import { artifactType, STUDY_MARKER } from './treeModel';

/** What a dashboard shows: a checkpoint / model file, or a run folder (its checkpoint and events.jsonl). */
export interface DashboardSubject {
  uri: vscode.Uri;
  isFolder: boolean;
  /** A study folder (it holds study.json): the dashboard shows the study's charts. */
  isStudy?: boolean;
}

/** A run's events.jsonl stands for its run folder. */
export async function subjectFor(uri: vscode.Uri): Promise<DashboardSubject> {
  if (artifactType(uri.path) === 'runMarker') return { uri: vscode.Uri.joinPath(uri, '..'), isFolder: true };
  if (artifactType(uri.path) === 'studyMarker') return { uri: vscode.Uri.joinPath(uri, '..'), isFolder: true, isStudy: true };
  // A run's output folder does not exist until its first epoch: a missing path that names no file is a folder.
  if (!(await exists(uri))) return { uri, isFolder: !/\.(safetensors|json)$/i.test(uri.path) };
  const isFolder = await isDirectory(uri);
  return isFolder && (await exists(vscode.Uri.joinPath(uri, STUDY_MARKER))) ? { uri, isFolder, isStudy: true } : { uri, isFolder };
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

const POLL_MS = 2000;

export class DashboardSession implements vscode.Disposable {
  private readonly ids = new EnvelopeIds();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly gate: DeliveryGate;
  private disposed = false;
  private store: Promise<TensorStore | undefined> | undefined;
  private checkpointUri: vscode.Uri | undefined;
  private readonly eventsUri: vscode.Uri;
  /** Offset of events.jsonl up to which the webview has been sent events. */
  private eventsOffset = 0;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private lastEventsSize = -1;
  /** Cancels CLI runs (the sensitivity scan) when the dashboard closes. */
  private readonly cancel = new vscode.CancellationTokenSource();
  /** A Reveal in Graph waiting for the page. */
  private readonly reveal = new PendingReveal(() => !this.disposed && this.gate.isReady && this.panel.visible, (layer) => this.post({ kind: 'revealLayer', layer }));

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly subject: DashboardSubject,
    private readonly extensionUri: vscode.Uri,
    private readonly kind: 'panel' | 'editor',
  ) {
    const dir = subject.isFolder ? subject.uri : vscode.Uri.joinPath(subject.uri, '..');
    this.eventsUri = vscode.Uri.joinPath(dir, 'events.jsonl');
    if (!subject.isFolder) this.checkpointUri = subject.uri;
    this.gate = new DeliveryGate(() => !this.disposed && panel.visible, (change) => this.deliver(change));
    // Listen before the page exists, so its `ready` cannot be missed.
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw) => void this.receive(raw)),
      panel.onDidChangeViewState(() => this.visibilityChanged()),
      panel.onDidDispose(() => this.dispose()),
    );
    panel.webview.options = webviewOptions(extensionUri);
    panel.webview.html = this.html();
    this.watch(dir);
  }

  get target(): DashboardTarget {
    return { uri: this.subject.uri.toString(), label: uriBaseName(this.subject.uri), ...(this.subject.isStudy ? { kind: 'study' as const } : {}) };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.cancel.cancel();
    this.cancel.dispose();
    for (const d of this.disposables) d.dispose();
    void this.closeStore();
  }

  private html(): string {
    const web = this.panel.webview;
    const asUri = (...p: string[]) => web.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...p)).toString();
    const styles = [asUri('media', 'dashboard.css')];
    if (existsSync(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.css').fsPath)) styles.push(asUri('dist', 'webview.css'));
    return dashboardHtml({
      cspSource: web.cspSource, scriptUri: asUri('dist', 'webview.js'), styleUris: styles, nonce: makeNonce(), target: this.target, host: this.kind,
    });
  }

  private watch(dir: vscode.Uri): void {
    const events = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(dir, 'events.jsonl'));
    const onEvents = () => this.gate.notify('events');
    events.onDidChange(onEvents);
    events.onDidCreate(() => {
      this.eventsOffset = 0;
      onEvents();
    });
    this.disposables.push(events);
    // The checkpoint(s) and report.json beside them; a fixed pattern, so odd file names need no glob escaping.
    const files = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(dir, '*.{safetensors,json}'));
    const onFile = (uri: vscode.Uri) => {
      const isReport = uri.path.endsWith('/report.json') || (this.subject.isStudy === true && uri.path.endsWith(`/${STUDY_MARKER}`));
      if (this.subject.isFolder ? artifactType(uri.path) === 'other' && !isReport : uri.toString() !== this.subject.uri.toString() && !isReport) return;
      void this.closeStore();
      if (this.subject.isFolder) this.checkpointUri = undefined;
      this.gate.notify('summary');
    };
    files.onDidChange(onFile);
    files.onDidCreate(onFile);
    files.onDidDelete(onFile);
    this.disposables.push(files);
    // File events can be late or missing (network drives, files outside the workspace): a cheap size poll
    // while the dashboard is visible covers them.
    this.pollTimer = setInterval(() => void this.pollEvents(), POLL_MS);
  }

  private async pollEvents(): Promise<void> {
    if (!this.gate.isReady || !this.panel.visible) return;
    try {
      const size = (await vscode.workspace.fs.stat(this.eventsUri)).size;
      if (size !== this.lastEventsSize) {
        this.lastEventsSize = size;
        if (size !== this.eventsOffset) this.gate.notify('events');
      }
    } catch {
      // no events.jsonl (yet)
    }
  }

  private visibilityChanged(): void {
    if (this.panel.visible) this.gate.flush();
    this.reveal.flush();
  }

  /** Selects a layer in the page (every chart and the graph follow), now or once the page is ready. */
  revealLayer(layer: string): void {
    this.reveal.request(layer);
  }

  private post(body: HostNotification): void {
    void this.panel.webview.postMessage(this.ids.notification(body));
  }

  /** Called by the gate once the webview is ready and visible. */
  private deliver(change: Change): void {
    if (change === 'summary') this.post({ kind: 'summaryChanged' });
    else void this.pushEvents();
  }

  /** Event reads run one at a time: the watcher, the size poll and `getEvents` never read the same bytes twice. */
  private eventsQueue: Promise<unknown> = Promise.resolve();
  private serializeEvents<T>(read: () => Promise<T>): Promise<T> {
    const next = this.eventsQueue.then(read, read);
    this.eventsQueue = next.catch(() => undefined);
    return next;
  }

  private pushEvents(): Promise<void> {
    return this.serializeEvents(() => this.readAndPushEvents());
  }

  private async readAndPushEvents(): Promise<void> {
    try {
      const from = this.eventsOffset;
      const chunk = await readEventsSince(this.eventsUri, from);
      if (chunk.next === from && chunk.events.length === 0) return;
      this.eventsOffset = chunk.next;
      if (chunk.events.length > 0 || chunk.next < from) this.post({ kind: 'eventsAppended', events: chunk.events, next: chunk.next });
    } catch (e) {
      log().warn(`Dashboard: reading ${this.eventsUri.fsPath} failed: ${errorLine(e)}`);
    }
  }

  private async receive(raw: unknown): Promise<void> {
    const msg = parseWebviewMessage(raw);
    if (!msg) {
      log().warn(`Dashboard: dropped a malformed message from the webview: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    if (msg.type === 'notification') return this.notification(msg.body);
    let body: HostResponse;
    try {
      body = await this.answer(msg.body);
    } catch (e) {
      body = { kind: 'error', message: errorLine(e) };
      log().warn(`Dashboard: ${msg.body.kind} failed: ${body.message}`);
    }
    if (!this.disposed) void this.panel.webview.postMessage(this.ids.response(msg.id, body));
  }

  private notification(n: WebviewNotification): void {
    switch (n.kind) {
      case 'ready':
        if (n.protocol !== PROTOCOL_VERSION) log().warn(`Dashboard: webview speaks protocol ${n.protocol}, host ${PROTOCOL_VERSION}`);
        this.gate.markReady();
        this.eventsOffset = 0;
        this.post({ kind: 'init', target: this.target, theme: themeName(vscode.window.activeColorTheme.kind), workspaceTrusted: vscode.workspace.isTrusted });
        this.reveal.flush();
        return;
      case 'saveState':
        // VS Code keeps the webview's own setState for restores; the host needs nothing from it.
        return;
      case 'log':
        log()[n.level === 'warn' ? 'warn' : n.level](`Dashboard: ${n.message}`);
        return;
      case 'copyText':
        void copyText(n.text);
        return;
      case 'command': {
        const uri = n.uri ?? this.checkpointUri?.toString() ?? this.subject.uri.toString();
        // Both start the CLI: refused here too (not only in the commands), whatever the webview sends.
        if ((n.command === 'extractLevel' || n.command === 'evaluate') && !vscode.workspace.isTrusted) {
          log().warn(`Dashboard: ${n.command} refused in Restricted Mode`);
          void requireTrust(n.command === 'evaluate' ? 'Evaluate' : 'Extract Sparse Model');
          return;
        }
        if (n.command === 'extractLevel') void vscode.commands.executeCommand('elsa.extractLevel', vscode.Uri.parse(uri), n.level);
        else if (n.command === 'evaluate') void vscode.commands.executeCommand('elsa.evaluate', vscode.Uri.parse(uri), n.level);
        else if (n.command === 'openFile') this.openFile(uri);
        return;
      }
    }
  }

  /** Opens a file the webview names: only a file of the subject's scheme, inside the workspace or beside the subject. */
  private openFile(uri: string): void {
    const target = vscode.Uri.parse(uri);
    const dir = this.subject.isFolder ? this.subject.uri : vscode.Uri.joinPath(this.subject.uri, '..');
    const inside = target.scheme === dir.scheme && (vscode.workspace.getWorkspaceFolder(target) !== undefined || target.path.startsWith(`${dir.path}/`));
    if (!inside) {
      log().warn(`Dashboard: refused to open ${uri} (outside the workspace)`);
      return;
    }
    void vscode.commands.executeCommand('vscode.open', target);
  }

  private async answer(req: WebviewRequest): Promise<HostResponse> {
    switch (req.kind) {
      case 'getStudy':
        return this.readStudy();
      case 'getSummary': {
        if (this.subject.isStudy) return { kind: 'error', message: `${uriBaseName(this.subject.uri)}: a study folder; its cells are run folders of their own` };
        const store = await this.openStore();
        if (!store) return { kind: 'error', message: `${uriBaseName(this.subject.uri)}: no checkpoint in this run folder yet` };
        const uri = this.checkpointUri!;
        const report = await findReport(this.subject.isFolder ? this.subject.uri : uri, this.subject.isFolder);
        return { kind: 'summary', summary: await summarizeStore(store, { uri: uri.toString(), fileName: uriBaseName(uri), report }) };
      }
      case 'getHeatmap': {
        const store = await this.requireStore();
        const limit = vscode.workspace.getConfiguration('elsa').get<number>('heatmapMaxCells') ?? 65536;
        return { kind: 'heatmap', heatmap: await heatmapFromStore(store, req.layer, Math.max(1, Math.min(req.maxCells, limit))) };
      }
      case 'getHistogram': {
        const store = await this.requireStore();
        return { kind: 'histogram', histogram: await histogramFromStore(store, req.layer, req.bins) };
      }
      case 'getEvents':
        return this.serializeEvents(async () => {
          const chunk = await readEventsSince(this.eventsUri, req.since);
          this.eventsOffset = Math.max(this.eventsOffset, chunk.next);
          if (chunk.next < req.since) this.eventsOffset = chunk.next;
          return { kind: 'events', events: chunk.events, next: chunk.next } as HostResponse;
        });
      case 'getGraph':
        return graphForDashboard(await this.requireStore());
      case 'getSensitivity':
        await this.requireStore();
        return sensitivityForDashboard(this.checkpointUri!, req.level, req.target, this.cancel.token);
      case 'getCompare':
        await this.requireStore();
        return compareForDashboard(this.checkpointUri!, req);
      case 'getSamplePrediction':
        await this.requireStore();
        return samplePredictionForDashboard(this.checkpointUri!, req, this.cancel.token);
      case 'pickSampleImage':
        return pickSampleImage(this.checkpointUri);
    }
  }

  private async readStudy(): Promise<HostResponse> {
    const file = vscode.Uri.joinPath(this.subject.isFolder ? this.subject.uri : vscode.Uri.joinPath(this.subject.uri, '..'), STUDY_MARKER);
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(file)));
    } catch (e) {
      return { kind: 'error', message: `${file.fsPath}: ${e instanceof SyntaxError ? 'invalid JSON (being written? it is rewritten after every cell)' : 'no study.json here'}` };
    }
    if (!isStudySummary(value)) return { kind: 'error', message: `${file.fsPath}: not a study summary (format elsa-study/1)` };
    return { kind: 'study', study: value };
  }

  private async requireStore(): Promise<TensorStore> {
    const store = await this.openStore();
    if (!store) throw new Error(`${uriBaseName(this.subject.uri)}: no checkpoint in this run folder yet`);
    return store;
  }

  private openStore(): Promise<TensorStore | undefined> {
    if (!this.store) {
      const opening = (async () => {
        this.checkpointUri ??= await checkpointInFolder(this.subject.uri);
        return this.checkpointUri ? openStore(this.checkpointUri) : undefined;
      })();
      this.store = opening;
      // A failed open is not cached: the next request tries again (the file may be mid-write).
      opening.catch(() => {
        if (this.store === opening) this.store = undefined;
      });
    }
    return this.store;
  }

  private async closeStore(): Promise<void> {
    const s = this.store;
    this.store = undefined;
    try {
      await (await s)?.close();
    } catch {
      // it never opened
    }
  }
}

/** The run's ELSA checkpoint: `*.elsa.safetensors` directly in the folder (else any safetensors there). */
export async function checkpointInFolder(folder: vscode.Uri): Promise<vscode.Uri | undefined> {
  let entries: [string, vscode.FileType][];
  try {
    entries = await vscode.workspace.fs.readDirectory(folder);
  } catch {
    return undefined;
  }
  const files = entries.filter(([, t]) => t === vscode.FileType.File).map(([n]) => n).sort();
  const pick = files.find((n) => n.endsWith('.elsa.safetensors')) ?? files.find((n) => n.endsWith('.safetensors')) ?? files.find((n) => n === 'model.json');
  return pick ? vscode.Uri.joinPath(folder, pick) : undefined;
}

function themeName(kind: vscode.ColorThemeKind): string {
  switch (kind) {
    case vscode.ColorThemeKind.Light: return 'light';
    case vscode.ColorThemeKind.Dark: return 'dark';
    case vscode.ColorThemeKind.HighContrast: return 'high-contrast';
    case vscode.ColorThemeKind.HighContrastLight: return 'high-contrast-light';
  }
}
