/**
 * The Open Dashboard panel: one panel per checkpoint or run folder (opening it again reveals it), restored
 * after a reload by a WebviewPanelSerializer from the state the webview saved (`state.target.uri`), or from
 * the last target the host saw for it.
 */
import * as vscode from 'vscode';
import { DashboardSession, webviewOptions } from './dashboardHost';
import { type DashboardSubject, subjectFor } from './dashboardSubject';
import { exists, uriBaseName } from './fileAccess';
import { log } from './log';

export const DASHBOARD_VIEW_TYPE = 'elsa.dashboard';
const LAST_TARGET_KEY = 'elsa.dashboard.lastTarget';
const TITLE_TARGETS_KEY = 'elsa.dashboard.titleTargets';

export class DashboardPanels implements vscode.Disposable {
  private readonly sessions = new Map<string, DashboardSession>();

  constructor(private readonly context: vscode.ExtensionContext) {}

  dispose(): void {
    for (const s of this.sessions.values()) s.dispose();
    this.sessions.clear();
  }

  async show(uri: vscode.Uri): Promise<DashboardSession> {
    const subject = await subjectFor(uri);
    const open = this.sessions.get(subject.uri.toString());
    if (open) {
      open.panel.reveal();
      return open;
    }
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, title(subject), vscode.ViewColumn.Active, {
      ...webviewOptions(this.context.extensionUri),
      retainContextWhenHidden: false,
    });
    return this.attach(panel, subject);
  }

  /** The serializer: the webview saved `{ target: { uri } }` with setState; fall back to the last target. */
  serializer(): vscode.WebviewPanelSerializer {
    return {
      deserializeWebviewPanel: async (panel, state: unknown) => {
        const saved = (state as { target?: { uri?: unknown } } | undefined)?.target?.uri;
        // Without a target in the webview's state, the panel's title ("ELSA: <name>") names it.
        const byTitle = this.context.workspaceState.get<Record<string, string>>(TITLE_TARGETS_KEY, {})[panel.title];
        const uriText = typeof saved === 'string' ? saved : byTitle ?? this.context.workspaceState.get<string>(LAST_TARGET_KEY);
        const uri = uriText ? vscode.Uri.parse(uriText) : undefined;
        if (!uri || !(await exists(uri))) {
          log().info(`Dashboard not restored: ${uriText ?? 'no saved target'} is gone`);
          panel.dispose();
          return;
        }
        // Restored panels keep the options of the old version: reset them before setting the HTML.
        panel.webview.options = webviewOptions(this.context.extensionUri);
        const subject = await subjectFor(uri);
        panel.title = title(subject);
        this.attach(panel, subject);
      },
    };
  }

  private attach(panel: vscode.WebviewPanel, subject: DashboardSubject): DashboardSession {
    const key = subject.uri.toString();
    const icon = (variant: string) => vscode.Uri.joinPath(this.context.extensionUri, 'media', 'icons', `elsa-${variant}.svg`);
    panel.iconPath = { light: icon('light'), dark: icon('dark') };
    void this.context.workspaceState.update(LAST_TARGET_KEY, key);
    const titles = this.context.workspaceState.get<Record<string, string>>(TITLE_TARGETS_KEY, {});
    void this.context.workspaceState.update(TITLE_TARGETS_KEY, { ...titles, [panel.title]: key });
    const session = new DashboardSession(panel, subject, this.context.extensionUri, 'panel');
    this.sessions.set(key, session);
    panel.onDidDispose(() => {
      if (this.sessions.get(key) === session) this.sessions.delete(key);
    });
    panel.onDidChangeViewState((e) => {
      if (e.webviewPanel.active) void this.context.workspaceState.update(LAST_TARGET_KEY, key);
    });
    return session;
  }
}

function title(subject: DashboardSubject): string {
  return `ELSA: ${uriBaseName(subject.uri)}`;
}
