/**
 * The host side of the dashboard webview — one implementation for the Open Dashboard panel and the custom
 * checkpoint editor. It sets the HTML, waits for the webview's `ready`, answers its requests (summary, heatmap,
 * histogram, events) from the checkpoint read lazily, and pushes `eventsAppended` / `summaryChanged` while the
 * run's files change. Nothing is posted while the webview is hidden: changes are remembered and delivered when
 * it is visible again.
 *
 * The pieces it puts together, one idea per file: what is shown and where its files are (dashboardSubject.ts),
 * the checkpoint opened once (dashboardStore.ts), the events cursor (eventsFeed.ts), watching and polling the
 * folder (dashboardWatch.ts), what the webview may make the host do (dashboardSecurity.ts), delivery only
 * while visible (deliveryGate.ts) and the page itself (dashboardHtml.ts).
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { errorLine } from '../core/errors';
import { heatmapFromStore, histogramFromStore, summarizeStore } from '../core/inspectStore';
import { EVENTS_FILE, isReportFile, STUDY_FILE } from '../protocol/runFolder';
import { EnvelopeIds, parseWebviewMessage } from '../protocol/validate';
import {
  type DashboardTarget, type HostNotification, type HostResponse, PROTOCOL_VERSION, type WebviewNotification, type WebviewRequest,
} from '../protocol/webview';
import { dashboardHtml, makeNonce } from './dashboardHtml';
import { mayOpenFromWebview, needsTrust } from './dashboardSecurity';
import { DashboardStore } from './dashboardStore';
import { type DashboardSubject, subjectFolder } from './dashboardSubject';
import { watchFolder } from './dashboardWatch';
import { type Change, DeliveryGate } from './deliveryGate';
import { EventsFeed } from './eventsFeed';
import { findReport, readStudySummary, uriBaseName } from './fileAccess';
import { log } from './log';
import { copyText, pickSampleImage, samplePredictionForDashboard } from './sampleHost';
import { sensitivityForDashboard } from './sensitivityHost';
import { graphForDashboard } from './dashboardGraph';
import { PendingReveal } from './pendingReveal';
import { compareForDashboard } from './compareHost';
import { artifactType } from './treeModel';
import { requireTrust } from './trust';

// Re-exported for code written against the single-file host (the pieces now live in dashboardSubject.ts).
export { type DashboardSubject, subjectFor, checkpointInFolder } from './dashboardSubject';

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

export class DashboardSession implements vscode.Disposable {
  private readonly ids = new EnvelopeIds();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly gate: DeliveryGate;
  private disposed = false;
  private readonly checkpoint: DashboardStore;
  private readonly events: EventsFeed;
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
    const dir = subjectFolder(subject);
    this.events = new EventsFeed(vscode.Uri.joinPath(dir, EVENTS_FILE));
    this.checkpoint = new DashboardStore(subject);
    this.gate = new DeliveryGate(() => !this.disposed && panel.visible, (change) => this.deliver(change));
    // Listen before the page exists, so its `ready` cannot be missed.
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw) => void this.receive(raw)),
      panel.onDidChangeViewState(() => this.visibilityChanged()),
      panel.onDidDispose(() => this.dispose()),
    );
    panel.webview.options = webviewOptions(extensionUri);
    panel.webview.html = this.html();
    this.disposables.push(watchFolder(dir, {
      events: (created) => {
        if (created) this.events.rewind();
        this.gate.notify('events');
      },
      file: (uri) => this.fileChanged(uri),
      poll: () => void this.pollEvents(),
    }));
  }

  get target(): DashboardTarget {
    return { uri: this.subject.uri.toString(), label: uriBaseName(this.subject.uri), ...(this.subject.isStudy ? { kind: 'study' as const } : {}) };
  }

  /** The checkpoint the dashboard reads (the subject, or the one found in its run folder). */
  private get checkpointUri(): vscode.Uri | undefined {
    return this.checkpoint.checkpointUri;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cancel.cancel();
    this.cancel.dispose();
    for (const d of this.disposables) d.dispose();
    void this.checkpoint.close();
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

  /** A checkpoint, report.json or study.json of the subject changed: the summary is stale. */
  private fileChanged(uri: vscode.Uri): void {
    const isReport = isReportFile(uri.path) || (this.subject.isStudy === true && uri.path.endsWith(`/${STUDY_FILE}`));
    if (this.subject.isFolder ? artifactType(uri.path) === 'other' && !isReport : uri.toString() !== this.subject.uri.toString() && !isReport) return;
    void this.checkpoint.reset();
    this.gate.notify('summary');
  }

  private async pollEvents(): Promise<void> {
    if (!this.gate.isReady || !this.panel.visible) return;
    if (await this.events.grew()) this.gate.notify('events');
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

  private async pushEvents(): Promise<void> {
    try {
      const chunk = await this.events.unsent();
      if (chunk) this.post({ kind: 'eventsAppended', events: chunk.events, from: chunk.from, next: chunk.next });
    } catch (e) {
      log().warn(`Dashboard: reading ${this.events.uri.fsPath} failed: ${errorLine(e)}`);
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
        this.events.rewind();
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
        if (needsTrust(n.command) && !vscode.workspace.isTrusted) {
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

  /** Opens a file the webview names, if dashboardSecurity.ts allows it. */
  private openFile(uri: string): void {
    const target = vscode.Uri.parse(uri);
    if (!mayOpenFromWebview(target, subjectFolder(this.subject), vscode.workspace.getWorkspaceFolder(target) !== undefined)) {
      log().warn(`Dashboard: refused to open ${uri} (outside the workspace)`);
      return;
    }
    void vscode.commands.executeCommand('vscode.open', target);
  }

  private async answer(req: WebviewRequest): Promise<HostResponse> {
    switch (req.kind) {
      case 'getStudy':
        return readStudySummary(vscode.Uri.joinPath(subjectFolder(this.subject), STUDY_FILE));
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
      case 'getEvents': {
        const chunk = await this.events.since(req.since);
        return { kind: 'events', events: chunk.events, from: chunk.from, next: chunk.next };
      }
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

  private openStore() {
    return this.checkpoint.open();
  }

  private requireStore() {
    return this.checkpoint.require();
  }
}

function themeName(kind: vscode.ColorThemeKind): string {
  switch (kind) {
    case vscode.ColorThemeKind.Light: return 'light';
    case vscode.ColorThemeKind.Dark: return 'dark';
    case vscode.ColorThemeKind.HighContrast: return 'high-contrast';
    case vscode.ColorThemeKind.HighContrastLight: return 'high-contrast-light';
  }
}
