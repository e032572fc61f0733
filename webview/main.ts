/**
 * Webview entry (bundled to dist/webview.js as a browser iife). Wires VS Code's webview API to the message
 * client, adopts the layout stylesheet, announces `ready` with the saved UI state, then loads the dashboard.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import layoutCss from './dashboard.css';
import { parseHostMessage } from '../src/protocol/validate';
import { PROTOCOL_VERSION } from '../src/protocol/webview';
import { DashboardClient, type MessageTransport } from './client';
import { Dashboard } from './dashboard';
import { CompareDashboard } from './compareDashboard';
import { StudyDashboard } from './studyDashboard';
import { restoreUiState, type UiState } from './uiState';
import './vscodeApi';

/** A constructable stylesheet is not an inline style: the CSP (styles only from the extension or nonce'd) allows it. */
function adoptStyles(text: string): void {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(text);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

function main(): void {
  const vscode = acquireVsCodeApi();
  adoptStyles(layoutCss);
  const transport: MessageTransport = {
    post: (message) => vscode.postMessage(message),
    listen(handler) {
      const onMessage = (e: MessageEvent): void => handler(e.data);
      window.addEventListener('message', onMessage);
      return () => window.removeEventListener('message', onMessage);
    },
  };
  const client = new DashboardClient(transport, {
    parse: parseHostMessage,
    onDropped: (_data, why) => console.warn(`ELSA dashboard: dropped a message (${why})`),
  });
  const saved = vscode.getState();
  const state = restoreUiState(saved);
  let root = document.getElementById('elsa-dashboard');
  if (!root) {
    root = document.createElement('main');
    root.id = 'elsa-dashboard';
    (document.getElementById('app') ?? document.body).appendChild(root);
  }
  const targetLabel = document.querySelector<HTMLMetaElement>('meta[name="elsa-target-label"]')?.content;
  const targetUri = document.querySelector<HTMLMetaElement>('meta[name="elsa-target-uri"]')?.content;
  // The panel serializer restores a panel from this state after a reload: keep the target beside the UI state.
  const target = targetUri ? { uri: targetUri, label: targetLabel ?? targetUri } : undefined;
  if (target) vscode.setState({ ...state, target });
  const log = (level: 'info' | 'warn' | 'error', message: string) => client.notify({ kind: 'log', level, message });
  // A study folder gets its own page: the study's charts, no checkpoint views.
  const kind = document.querySelector<HTMLMetaElement>('meta[name="elsa-target-kind"]')?.content;
  const dashboard = kind === 'study'
    ? new StudyDashboard(root, client, log)
    : kind === 'compare'
    ? new CompareDashboard(root, client, log)
    : new Dashboard(root, {
        client,
        state,
        saveState(next: UiState) {
          vscode.setState({ ...next, target });
          client.notify({ kind: 'saveState', state: next });
        },
        log,
      });
  client.notify({ kind: 'ready', protocol: PROTOCOL_VERSION, state: saved ?? undefined });
  if (targetLabel) dashboard.setTargetLabel(targetLabel);
  void dashboard.start();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main, { once: true });
else main();
